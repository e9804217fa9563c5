//! Python classes for Rhai values that have no Python counterpart: `Timestamp`, `FnPtr`
//! and `Opaque`, and the lookup of `Char`, which is defined in Python.

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyTuple, PyType};
use pyo3::{PyTraverseError, PyVisit};
use rhai::{Dynamic, FnPtr, Instant};

use crate::convert::{to_dynamic, to_python, to_python_keeping_opaque};

static CHAR_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Returns `nodes.rhai.values.Char`, importing it on first use.
pub fn char_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    CHAR_TYPE.import(py, "nodes.rhai.values", "Char")
}

/// A Rhai timestamp: a point on this process's monotonic clock.
///
/// It pickles as "taken `elapsed` seconds ago", so unpickling (in this or another
/// process) rebuilds it relative to the moment of unpickling.
#[pyclass(module = "nodes._rhai", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub struct Timestamp {
    pub instant: Instant,
}

#[pymethods]
impl Timestamp {
    /// Creates the timestamp taken `elapsed` seconds ago (a negative value is in the future).
    #[new]
    #[pyo3(signature = (elapsed = 0.0))]
    fn new(elapsed: f64) -> PyResult<Self> {
        let now = Instant::now();
        let invalid = || {
            PyValueError::new_err(format!(
                "cannot make a Timestamp taken {elapsed} seconds ago: it is outside the \
                 range of this host's monotonic clock"
            ))
        };
        let offset = Duration::try_from_secs_f64(elapsed.abs()).map_err(|_| invalid())?;
        let instant = if elapsed >= 0.0 {
            now.checked_sub(offset)
        } else {
            now.checked_add(offset)
        };
        Ok(Self {
            instant: instant.ok_or_else(invalid)?,
        })
    }

    /// Seconds since the timestamp was taken, negative when it lies in the future.
    #[getter]
    fn elapsed(&self) -> f64 {
        let now = Instant::now();
        if self.instant <= now {
            (now - self.instant).as_secs_f64()
        } else {
            -(self.instant - now).as_secs_f64()
        }
    }

    fn __repr__(&self) -> String {
        format!("<Timestamp taken {:.6} seconds ago>", self.elapsed())
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let arguments = PyTuple::new(slf.py(), [slf.get().elapsed()])?;
        Ok((slf.get_type(), arguments))
    }
}

/// A Rhai function pointer: a function name with curried arguments.
#[pyclass(module = "nodes._rhai", name = "FnPtr", frozen)]
pub struct FunctionPointer {
    name: String,
    curried: Vec<Dynamic>,
    /// The Rhai pointer, or `None` when `name` is not a valid function name, which
    /// happens for a closure (named `anon$...`) that was rebuilt from pickle.
    pointer: Option<FnPtr>,
}

impl FunctionPointer {
    /// Wraps a function pointer that Rhai created.
    pub fn from_rhai(pointer: FnPtr) -> Self {
        Self {
            name: pointer.fn_name().to_string(),
            curried: pointer.curry().to_vec(),
            pointer: Some(pointer),
        }
    }

    /// Returns the Rhai function pointer, or raises ValueError when it cannot be rebuilt.
    pub fn to_rhai(&self) -> PyResult<FnPtr> {
        self.pointer.clone().ok_or_else(|| {
            PyValueError::new_err(format!(
                "cannot convert FnPtr {:?} to a Rhai function pointer: it is not a valid \
                 function name. A pointer to a closure (named anon$...) converts back to \
                 Rhai only in the process that created it",
                self.name
            ))
        })
    }
}

#[pymethods]
impl FunctionPointer {
    /// Creates a pointer to the function `name` with `curried` arguments, as Rhai's
    /// `Fn(name).curry(...)` does.
    #[new]
    #[pyo3(signature = (name, curried = None))]
    fn new(name: String, curried: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let curried = match curried {
            Some(values) => values
                .try_iter()?
                .map(|value| to_dynamic(&value?))
                .collect::<PyResult<Vec<_>>>()?,
            None => Vec::new(),
        };
        // Rhai rejects closure names (anon$...), so such a pointer has no Rhai pointer
        // and `to_rhai` raises for it.
        let pointer = FnPtr::new(name.as_str()).ok().map(|mut pointer| {
            pointer.set_curry(curried.iter().cloned());
            pointer
        });
        Ok(Self {
            name,
            curried,
            pointer,
        })
    }

    /// The name of the function that the pointer calls.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The curried arguments converted to Python, in a new list on each access.
    #[getter]
    fn curried<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.curried_list(py, to_python)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let name = self.name.as_str().into_pyobject(py)?.repr()?;
        if self.curried.is_empty() {
            return Ok(format!("FnPtr({name})"));
        }
        let curried = self.curried_list(py, to_python)?.repr()?;
        Ok(format!("FnPtr({name}, {curried})"))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let pointer = slf.get();
        // Opaque values stay wrapped, so that the constructor accepts them again.
        let curried = pointer.curried_list(slf.py(), to_python_keeping_opaque)?;
        (slf.get_type(), (pointer.name.clone(), curried)).into_pyobject(slf.py())
    }
}

impl FunctionPointer {
    fn curried_list<'py>(
        &self,
        py: Python<'py>,
        convert: fn(Python<'py>, Dynamic) -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let values = self
            .curried
            .iter()
            .map(|value| convert(py, value.clone()))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, values)
    }
}

/// A Python object passed through Rhai unchanged, as the Rhai type `PyObject`.
///
/// Scripts can store it, pass it to registered functions, print it (with Python's
/// `str()`) and compare it with `==` and `!=` (Python's `==`). Converting it back
/// to Python gives `value` itself, not the wrapper.
#[pyclass(module = "nodes._rhai", frozen)]
pub struct Opaque {
    #[pyo3(get)]
    pub value: Py<PyAny>,
}

#[pymethods]
impl Opaque {
    #[new]
    fn new(value: Py<PyAny>) -> Self {
        Self { value }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Opaque({})", self.value.bind(py).repr()?))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (Py<PyAny>,)) {
        (slf.get_type(), (slf.get().value.clone_ref(slf.py()),))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.value)
    }
}
