//! Conversion of values between Rhai's `Dynamic` and Python objects.

use std::sync::Arc;

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use rhai::{Array, Blob, Dynamic, FnPtr, ImmutableString, Instant, Map, INT};

use crate::values::{char_type, FunctionPointer, Opaque, Timestamp};

/// Maximum nesting of lists, tuples, dicts, arrays and maps that a conversion follows.
/// Deeper or cyclic data raises `ValueError` instead of overflowing the native stack.
pub const MAX_NESTING_DEPTH: usize = 256;

/// Rhai type name of a Python object passed in as `Opaque(value)`.
pub const PY_OBJECT_TYPE_NAME: &str = "PyObject";

/// Maximum length of the `repr()` that the error for an unconvertible value shows.
const MAX_REPR_LENGTH: usize = 80;

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

/// The handling of `PyObject` values in a conversion to Python.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OpaqueObjects {
    /// Return the original object.
    Unwrap,
    /// Return the object wrapped in `Opaque` again, so it converts back to Rhai.
    Wrap,
}

/// Converts a Rhai value to the equivalent Python object.
///
/// INT, FLOAT, bool, string, unit (None), Array (list), Map (dict) and Blob (bytes)
/// convert by value. A char becomes a `nodes.rhai.Char`, a timestamp a `Timestamp`
/// and a function pointer an `FnPtr`. A `PyObject` returns its original object. Any
/// other custom type becomes its `to_string()` text.
pub fn to_python<'py>(py: Python<'py>, value: Dynamic) -> PyResult<Bound<'py, PyAny>> {
    dynamic_to_python(py, value, 0, OpaqueObjects::Unwrap)
}

/// Converts like `to_python`, except that a `PyObject` comes back wrapped in `Opaque`,
/// so that the result converts back to the same Rhai value (as pickling needs).
pub fn to_python_keeping_opaque<'py>(
    py: Python<'py>,
    value: Dynamic,
) -> PyResult<Bound<'py, PyAny>> {
    dynamic_to_python(py, value, 0, OpaqueObjects::Wrap)
}

fn dynamic_to_python<'py>(
    py: Python<'py>,
    value: Dynamic,
    depth: usize,
    opaque: OpaqueObjects,
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
        let text = PyString::new(py, character.encode_utf8(&mut [0; 4]));
        return char_type(py)?.call1((text,));
    }

    let value = match value.try_cast_result::<ImmutableString>() {
        Ok(text) => return Ok(PyString::new(py, &text).into_any()),
        Err(value) => value,
    };
    let value = match value.try_cast_result::<Array>() {
        Ok(array) => {
            let list = PyList::empty(py);
            for item in array {
                list.append(dynamic_to_python(py, item, depth + 1, opaque)?)?;
            }
            return Ok(list.into_any());
        }
        Err(value) => value,
    };
    let value = match value.try_cast_result::<Map>() {
        Ok(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(
                    key.as_str(),
                    dynamic_to_python(py, item, depth + 1, opaque)?,
                )?;
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
        Ok(instant) => return Ok(Bound::new(py, Timestamp { instant })?.into_any()),
        Err(value) => value,
    };
    let value = match value.try_cast_result::<FnPtr>() {
        Ok(pointer) => {
            return Ok(Bound::new(py, FunctionPointer::from_rhai(pointer))?.into_any());
        }
        Err(value) => value,
    };
    match value.try_cast_result::<PyObjectValue>() {
        Ok(object) => match opaque {
            OpaqueObjects::Unwrap => Ok(object.bind(py).clone()),
            OpaqueObjects::Wrap => {
                let value = object.bind(py).clone().unbind();
                Ok(Bound::new(py, Opaque { value })?.into_any())
            }
        },
        Err(value) => Ok(PyString::new(py, &value.to_string()).into_any()),
    }
}

/// Converts a Python object to a Rhai value.
///
/// bool, int (must fit in i64), float, str, None, list and tuple (Array), dict with str
/// keys (Map) and bytes or bytearray (Blob) convert by value. `Char` becomes a char,
/// `Timestamp` a timestamp, `FnPtr` a function pointer and `Opaque(value)` a
/// `PyObject` holding `value`. Anything else raises TypeError.
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
    if let Ok(text) = object.cast_exact::<PyString>() {
        return Ok(Dynamic::from(text.to_str()?.to_string()));
    }
    if let Ok(text) = object.cast::<PyString>() {
        return str_subclass_to_dynamic(text);
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
    if let Ok(opaque) = object.cast::<Opaque>() {
        let value = opaque.get().value.clone_ref(object.py());
        return Ok(Dynamic::from(PyObjectValue::new(value)));
    }
    if let Ok(timestamp) = object.cast::<Timestamp>() {
        return Ok(Dynamic::from_timestamp(timestamp.get().instant));
    }
    if let Ok(pointer) = object.cast::<FunctionPointer>() {
        return Ok(Dynamic::from(pointer.get().to_rhai()?));
    }
    Err(unconvertible_value_error(object))
}

/// Converts a `Char` to a Rhai char, and any other str subclass to a string.
fn str_subclass_to_dynamic(text: &Bound<'_, PyString>) -> PyResult<Dynamic> {
    let content = text.to_str()?;
    if !text.is_instance(char_type(text.py())?)? {
        return Ok(Dynamic::from(content.to_string()));
    }
    let mut characters = content.chars();
    match (characters.next(), characters.next()) {
        (Some(character), None) => Ok(Dynamic::from_char(character)),
        _ => Err(PyValueError::new_err(format!(
            "Char {content:?} must hold exactly one character to convert to a Rhai char"
        ))),
    }
}

fn unconvertible_value_error(object: &Bound<'_, PyAny>) -> PyErr {
    let type_name = match object.get_type().fully_qualified_name() {
        Ok(name) => name.to_string(),
        Err(err) => format!("<type without a name: {err}>"),
    };
    let repr = match object.repr() {
        Ok(repr) => shorten(&repr.to_string_lossy(), MAX_REPR_LENGTH),
        Err(err) => format!("<repr() raised {err}>"),
    };
    PyTypeError::new_err(format!(
        "cannot convert {repr} of type {type_name} to a Rhai value; wrap it in \
         nodes.rhai.Opaque(value) to pass it through Rhai unchanged"
    ))
}

/// Returns `text` cut to at most `max_length` characters, ending in "..." when cut.
fn shorten(text: &str, max_length: usize) -> String {
    if text.chars().count() <= max_length {
        return text.to_string();
    }
    let head: String = text.chars().take(max_length.saturating_sub(3)).collect();
    format!("{head}...")
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
