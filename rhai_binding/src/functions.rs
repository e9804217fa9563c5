//! Python functions registered into Rhai, and the Rhai functions of the `PyObject` type.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};
use rhai::{Dynamic, EvalAltResult, NativeCallContext, Position};

use crate::convert::{to_dynamic, to_python, PyObjectValue, PY_OBJECT_TYPE_NAME};
use crate::evaluation::python_repr;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

thread_local! {
    /// The last exception raised by a registered Python function on this thread, with
    /// the Rhai error message made from it. When the script fails with that message,
    /// the exception becomes the `__cause__` of the `RhaiError`.
    static LAST_PYTHON_ERROR: RefCell<Option<(String, PyErr)>> = const { RefCell::new(None) };
}

/// Takes the exception stored by a failed Python function call, returning it when the
/// final Rhai error message contains the message that was made from it.
pub fn take_python_cause(rhai_message: &str) -> Option<PyErr> {
    let (message, cause) = LAST_PYTHON_ERROR.with(|slot| slot.borrow_mut().take())?;
    rhai_message.contains(&message).then_some(cause)
}

/// Clears the stored exception after a script succeeds, so it cannot attach to a
/// later error.
pub fn discard_python_cause() {
    LAST_PYTHON_ERROR.with(|slot| slot.borrow_mut().take());
}

/// The Python callables registered on one engine, keyed by Rhai name and arity.
///
/// Rhai keeps only a lookup closure, so the garbage collector can see (and clear)
/// the callables here.
#[derive(Default)]
pub struct PythonFunctions {
    callables: Mutex<HashMap<(String, usize), Py<PyAny>>>,
}

impl PythonFunctions {
    /// Registers `callable` into `engine` as a Rhai function `name` taking `arity`
    /// arguments of any type.
    pub fn register(
        self: &Arc<Self>,
        engine: &mut rhai::Engine,
        name: &str,
        callable: Py<PyAny>,
        arity: usize,
    ) {
        let key = (name.to_string(), arity);
        let previous = self.callables.lock().insert(key.clone(), callable);
        // The replaced callable is released after the lock, in case its finalizer
        // uses this engine.
        drop(previous);

        let functions = Arc::clone(self);
        let argument_types = vec![TypeId::of::<Dynamic>(); arity];
        engine.register_raw_fn(
            name,
            argument_types,
            move |_context: NativeCallContext, arguments: &mut [&mut Dynamic]| {
                functions.call(&key, arguments)
            },
        );
    }

    fn call(&self, key: &(String, usize), arguments: &mut [&mut Dynamic]) -> RhaiResult<Dynamic> {
        // The first argument may be the object of a method call (`x.f()`), which Rhai
        // passes by reference, so it is cloned. The others are temporary copies.
        let values: Vec<Dynamic> = arguments
            .iter_mut()
            .enumerate()
            .map(|(index, argument)| {
                if index == 0 {
                    argument.clone()
                } else {
                    argument.take()
                }
            })
            .collect();

        Python::attach(|py| {
            let Some(callable) = self.callables.lock().get(key).map(|c| c.clone_ref(py)) else {
                return Err(runtime_error(format!(
                    "Python function {}/{} was released by the garbage collector",
                    key.0, key.1
                )));
            };
            let outcome = (|| -> PyResult<Dynamic> {
                let python_arguments = values
                    .into_iter()
                    .map(|value| to_python(py, value))
                    .collect::<PyResult<Vec<_>>>()?;
                let result = callable
                    .bind(py)
                    .call1(PyTuple::new(py, python_arguments)?)?;
                to_dynamic(&result)
            })();
            outcome.map_err(|err| python_error_to_rhai(py, err))
        })
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        // Skipping a locked table only makes the collector keep the engine alive.
        if let Some(callables) = self.callables.try_lock() {
            for callable in callables.values() {
                visit.call(callable)?;
            }
        }
        Ok(())
    }

    pub fn clear(&self) {
        let callables = std::mem::take(&mut *self.callables.lock());
        drop(callables);
    }
}

/// Turns a Python exception into a Rhai runtime error whose message is
/// `ExceptionType: message`, and keeps the exception for `take_python_cause`.
fn python_error_to_rhai(py: Python<'_>, err: PyErr) -> Box<EvalAltResult> {
    let message = describe_python_error(py, &err);
    LAST_PYTHON_ERROR.with(|slot| *slot.borrow_mut() = Some((message.clone(), err)));
    runtime_error(message)
}

fn describe_python_error(py: Python<'_>, err: &PyErr) -> String {
    let type_name = match err.get_type(py).qualname() {
        Ok(name) => name.to_string(),
        Err(name_error) => format!("<exception type without a name: {name_error}>"),
    };
    match err.value(py).str() {
        Ok(text) if text.is_empty().unwrap_or(false) => type_name,
        Ok(text) => format!("{type_name}: {}", text.to_string_lossy()),
        Err(str_error) => format!("{type_name}: <str() raised {str_error}>"),
    }
}

fn runtime_error(message: String) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(message.into(), Position::NONE).into()
}

/// Registers the `PyObject` type name and its `to_string`, `to_debug`, `==` and `!=`
/// functions, which call Python's `str()`, `repr()` and `==`.
pub fn register_py_object_type(engine: &mut rhai::Engine) {
    engine.register_type_with_name::<PyObjectValue>(PY_OBJECT_TYPE_NAME);
    engine.register_fn(
        "to_string",
        |object: &mut PyObjectValue| -> RhaiResult<String> {
            Python::attach(|py| match object.bind(py).str() {
                Ok(text) => Ok(text.to_string_lossy().into_owned()),
                Err(err) => Err(python_error_to_rhai(py, err)),
            })
        },
    );
    engine.register_fn("to_debug", |object: &mut PyObjectValue| python_repr(object));
    engine.register_fn(
        "==",
        |left: &mut PyObjectValue, right: PyObjectValue| -> RhaiResult<bool> {
            python_equal(left, &right)
        },
    );
    engine.register_fn(
        "!=",
        |left: &mut PyObjectValue, right: PyObjectValue| -> RhaiResult<bool> {
            python_equal(left, &right).map(|equal| !equal)
        },
    );
}

fn python_equal(left: &PyObjectValue, right: &PyObjectValue) -> RhaiResult<bool> {
    Python::attach(|py| {
        left.bind(py)
            .eq(right.bind(py))
            .map_err(|err| python_error_to_rhai(py, err))
    })
}
