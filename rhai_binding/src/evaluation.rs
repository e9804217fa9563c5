//! The `Evaluation` result class and Rhai's debug-style display text of a value.

use std::fmt::Write;

use pyo3::prelude::*;
use rhai::Dynamic;

use crate::convert::{PyObjectValue, MAX_NESTING_DEPTH};

/// The result of `Engine.evaluate`: the converted value with Rhai's view of it.
#[pyclass(module = "nodes._rhai", frozen, get_all)]
pub struct Evaluation {
    /// The result converted to Python.
    pub value: Py<PyAny>,
    /// Rhai's type name of the result, such as `i64`, `map` or `()`.
    pub type_name: String,
    /// The result as Rhai shows it with debug formatting, such as `#{"a": 1}` or `"hi"`.
    pub text: String,
}

#[pymethods]
impl Evaluation {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Evaluation(value={}, type_name={}, text={})",
            self.value.bind(py).repr()?,
            self.type_name.as_str().into_pyobject(py)?.repr()?,
            self.text.as_str().into_pyobject(py)?.repr()?,
        ))
    }
}

/// Formats a value as Rhai's `Debug` output does, except that a `PyObject` shows its
/// Python `repr()` instead of a Rust type name.
pub fn debug_text(value: &Dynamic) -> String {
    let mut text = String::new();
    write_debug_text(&mut text, value, 0);
    text
}

fn write_debug_text(text: &mut String, value: &Dynamic, depth: usize) {
    if depth > MAX_NESTING_DEPTH {
        text.push_str("...");
        return;
    }
    if value.is_shared() {
        write_debug_text(text, &value.flatten_clone(), depth);
        return;
    }
    if let Ok(array) = value.as_array_ref() {
        text.push('[');
        for (index, item) in array.iter().enumerate() {
            if index > 0 {
                text.push_str(", ");
            }
            write_debug_text(text, item, depth + 1);
        }
        text.push(']');
        return;
    }
    if let Ok(map) = value.as_map_ref() {
        text.push_str("#{");
        for (index, (key, item)) in map.iter().enumerate() {
            if index > 0 {
                text.push_str(", ");
            }
            // Writing to a String cannot fail.
            let _ = write!(text, "{:?}: ", key.as_str());
            write_debug_text(text, item, depth + 1);
        }
        text.push('}');
        return;
    }
    if let Some(object) = value.read_lock::<PyObjectValue>() {
        text.push_str(&python_repr(&object));
        return;
    }
    let _ = write!(text, "{value:?}");
}

/// Returns `repr(object)`, or a description of the failure when `__repr__` raises.
pub fn python_repr(object: &PyObjectValue) -> String {
    Python::attach(|py| match object.bind(py).repr() {
        Ok(repr) => repr.to_string_lossy().into_owned(),
        Err(err) => format!("<PyObject whose repr() raised {err}>"),
    })
}
