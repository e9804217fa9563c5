//! Conversion of values between Rhai's `Dynamic` and Python objects.

use std::sync::Arc;

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use rhai::{Array, Blob, Dynamic, FnPtr, ImmutableString, Instant, Map, INT};

/// Maximum nesting of lists, tuples, dicts, arrays and maps that a conversion follows.
/// Deeper or cyclic data raises `ValueError` instead of overflowing the native stack.
pub const MAX_NESTING_DEPTH: usize = 256;

/// Rhai type name of a Python object that has no Rhai equivalent.
pub const PY_OBJECT_TYPE_NAME: &str = "PyObject";

/// A Python object carried through Rhai unchanged, so that it comes back to Python
/// as the very same object.
///
/// Rhai clones values often, so the reference sits behind an `Arc`: cloning needs no GIL.
#[derive(Clone)]
pub struct PyObjectValue(Arc<Py<PyAny>>);

impl PyObjectValue {
    pub fn new(object: Py<PyAny>) -> Self {
        Self(Arc::new(object))
    }

    pub fn bind<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.0.bind(py)
    }
}

/// Converts a Rhai value to the equivalent Python object.
///
/// INT, FLOAT, bool, string, char (a one-letter str), unit (None), Array (list), Map
/// (dict), Blob (bytes), timestamp (float seconds elapsed since it was taken) and
/// function pointer (its function name) convert by value. A `PyObject` returns its
/// original object. Any other custom type becomes its `to_string()` text.
pub fn to_python<'py>(py: Python<'py>, value: Dynamic) -> PyResult<Bound<'py, PyAny>> {
    dynamic_to_python(py, value, 0)
}

fn dynamic_to_python<'py>(
    py: Python<'py>,
    value: Dynamic,
    depth: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if depth > MAX_NESTING_DEPTH {
        return Err(PyValueError::new_err(format!(
            "Rhai value is nested more than {MAX_NESTING_DEPTH} levels deep; \
             flatten it before returning it to Python"
        )));
    }
    // Variables captured by closures are shared; convert the value they contain.
    let value = value.flatten();

    if value.is_unit() {
        return Ok(py.None().into_bound(py));
    }
    if let Ok(flag) = value.as_bool() {
        return Ok(PyBool::new(py, flag).to_owned().into_any());
    }
    if let Ok(integer) = value.as_int() {
        return Ok(integer.into_pyobject(py)?.into_any());
    }
    if let Ok(float) = value.as_float() {
        return Ok(PyFloat::new(py, float).into_any());
    }
    if let Ok(character) = value.as_char() {
        return Ok(PyString::new(py, character.encode_utf8(&mut [0; 4])).into_any());
    }

    let value = match value.try_cast_result::<ImmutableString>() {
        Ok(text) => return Ok(PyString::new(py, &text).into_any()),
        Err(value) => value,
    };
    let value = match value.try_cast_result::<Array>() {
        Ok(array) => {
            let list = PyList::empty(py);
            for item in array {
                list.append(dynamic_to_python(py, item, depth + 1)?)?;
            }
            return Ok(list.into_any());
        }
        Err(value) => value,
    };
    let value = match value.try_cast_result::<Map>() {
        Ok(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key.as_str(), dynamic_to_python(py, item, depth + 1)?)?;
            }
            return Ok(dict.into_any());
        }
        Err(value) => value,
    };
    let value = match value.try_cast_result::<Blob>() {
        Ok(blob) => return Ok(PyBytes::new(py, &blob).into_any()),
        Err(value) => value,
    };
    let value = match value.try_cast_result::<Instant>() {
        Ok(instant) => return Ok(PyFloat::new(py, instant.elapsed().as_secs_f64()).into_any()),
        Err(value) => value,
    };
    let value = match value.try_cast_result::<FnPtr>() {
        Ok(function) => return Ok(PyString::new(py, function.fn_name()).into_any()),
        Err(value) => value,
    };
    match value.try_cast_result::<PyObjectValue>() {
        Ok(object) => Ok(object.bind(py).clone()),
        Err(value) => Ok(PyString::new(py, &value.to_string()).into_any()),
    }
}

/// Converts a Python object to a Rhai value.
///
/// bool, int (must fit in i64), float, str, None, list and tuple (Array), dict with str
/// keys (Map) and bytes or bytearray (Blob) convert by value. Anything else becomes an
/// opaque `PyObject` value.
pub fn to_dynamic(object: &Bound<'_, PyAny>) -> PyResult<Dynamic> {
    python_to_dynamic(object, 0)
}

fn python_to_dynamic(object: &Bound<'_, PyAny>, depth: usize) -> PyResult<Dynamic> {
    if depth > MAX_NESTING_DEPTH {
        return Err(PyValueError::new_err(format!(
            "Python value is nested more than {MAX_NESTING_DEPTH} levels deep \
             (or contains itself); Rhai values must be finite trees"
        )));
    }

    if object.is_none() {
        return Ok(Dynamic::UNIT);
    }
    // bool is a subclass of int in Python, so it must be checked first.
    if let Ok(flag) = object.cast::<PyBool>() {
        return Ok(Dynamic::from_bool(flag.is_true()));
    }
    if let Ok(integer) = object.cast::<PyInt>() {
        return integer_to_dynamic(integer);
    }
    if let Ok(float) = object.cast::<PyFloat>() {
        return Ok(Dynamic::from_float(float.value()));
    }
    if let Ok(text) = object.cast::<PyString>() {
        return Ok(Dynamic::from(text.to_str()?.to_string()));
    }
    if let Ok(bytes) = object.cast::<PyBytes>() {
        return Ok(Dynamic::from_blob(bytes.as_bytes().to_vec()));
    }
    if let Ok(bytes) = object.cast::<PyByteArray>() {
        return Ok(Dynamic::from_blob(bytes.to_vec()));
    }
    if let Ok(list) = object.cast::<PyList>() {
        let array = list
            .iter()
            .map(|item| python_to_dynamic(&item, depth + 1))
            .collect::<PyResult<Array>>()?;
        return Ok(Dynamic::from_array(array));
    }
    if let Ok(tuple) = object.cast::<PyTuple>() {
        let array = tuple
            .iter()
            .map(|item| python_to_dynamic(&item, depth + 1))
            .collect::<PyResult<Array>>()?;
        return Ok(Dynamic::from_array(array));
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let Ok(key_text) = key.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "Rhai map keys must be str, got {} key {}",
                    key.get_type().name()?,
                    key.repr()?
                )));
            };
            map.insert(
                key_text.to_str()?.into(),
                python_to_dynamic(&item, depth + 1)?,
            );
        }
        return Ok(Dynamic::from_map(map));
    }
    Ok(Dynamic::from(PyObjectValue::new(object.clone().unbind())))
}

fn integer_to_dynamic(integer: &Bound<'_, PyInt>) -> PyResult<Dynamic> {
    match integer.extract::<INT>() {
        Ok(value) => Ok(Dynamic::from_int(value)),
        Err(extract_error) => {
            let py = integer.py();
            let error = PyOverflowError::new_err(format!(
                "Python int {} does not fit in Rhai's 64-bit INT; pass it as a string or float",
                integer.str()?
            ));
            error.set_cause(py, Some(extract_error));
            Err(error)
        }
    }
}
