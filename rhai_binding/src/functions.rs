//! Python functions registered into Rhai, and the Rhai functions of the `PyObject` type.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};
use rhai::{Dynamic, EvalAltResult, FuncRegistration, Position};

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

/// Maximum number of arguments of a registered Python function. Rhai 1.27 finds a
/// function whose arguments may have any type (`Dynamic`) only up to this many
/// arguments (its `MAX_DYNAMIC_PARAMETERS`).
pub const MAX_ARITY: usize = 16;

/// Raises ValueError when a Python function of `arity` arguments cannot be registered.
pub fn check_arity(name: &str, arity: usize) -> PyResult<()> {
    if arity <= MAX_ARITY {
        return Ok(());
    }
    Err(PyValueError::new_err(format!(
        "register_fn({name:?}) got arity {arity}, but Rhai finds a function whose \
         arguments may have any type only up to {MAX_ARITY} arguments; pass the values \
         in an array or a map instead"
    )))
}

/// Return type shown in the signature of a registered Python function.
const UNKNOWN_RETURN_TYPE: &str = "?";

/// Registers `$call`, a `Fn(Vec<Dynamic>) -> RhaiResult<Dynamic>`, with `$registration`
/// as a typed Rhai function of `$arity` `Dynamic` arguments. Evaluates to the hash
/// of the registered function, or `None` when `$arity` is not listed.
macro_rules! register_typed {
    ($registration:expr, $engine:expr, $call:ident, $arity:expr,
     [$($count:literal => ($($argument:ident),*)),* $(,)?]) => {
        match $arity {
            $($count => Some(
                $registration
                    .register_into_engine(
                        $engine,
                        move |$($argument: Dynamic),*| -> RhaiResult<Dynamic> {
                            $call(vec![$($argument),*])
                        },
                    )
                    .hash,
            ),)*
            _ => None,
        }
    };
}

/// The Python callables registered on one engine, keyed by Rhai name and arity.
///
/// Rhai keeps only a lookup closure, so the garbage collector can see (and clear)
/// the callables here.
#[derive(Default)]
pub struct PythonFunctions {
    callables: Mutex<HashMap<(String, usize), Py<PyAny>>>,
    /// Rhai's hashes of the registered functions, which tell them apart from
    /// built-in functions of the same name and arity in Rhai's metadata.
    hashes: Mutex<HashSet<u64>>,
}

impl PythonFunctions {
    /// Registers `callable` into `engine` as a Rhai function `name` taking `arity`
    /// arguments of any type. Rhai's metadata shows `params` (one display name per
    /// argument, `_` for each when `None`) and `doc` (text without comment markers).
    ///
    /// Raises ValueError when `arity` is above `MAX_ARITY`. Check that first with
    /// `check_arity`, so that `callable` is not dropped here, without the GIL.
    pub fn register(
        self: &Arc<Self>,
        engine: &mut rhai::Engine,
        name: &str,
        callable: Py<PyAny>,
        arity: usize,
        params: Option<Vec<String>>,
        doc: &str,
    ) -> PyResult<()> {
        check_arity(name, arity)?;
        let key = (name.to_string(), arity);
        let functions = Arc::clone(self);
        let call_key = key.clone();
        let call = move |values: Vec<Dynamic>| functions.call(&call_key, values);
        let mut params_info = params.unwrap_or_else(|| vec!["_".to_string(); arity]);
        params_info.push(UNKNOWN_RETURN_TYPE.to_string());
        let registration = FuncRegistration::new(name)
            .with_params_info(params_info)
            .with_comments(doc_comment_lines(doc))
            // Python functions may have side effects or return a new value each call,
            // so the optimizer must not call them at compile time.
            .with_volatility(true);

        let hash = register_typed!(registration, engine, call, arity, [
            0 => (),
            1 => (a1),
            2 => (a1, a2),
            3 => (a1, a2, a3),
            4 => (a1, a2, a3, a4),
            5 => (a1, a2, a3, a4, a5),
            6 => (a1, a2, a3, a4, a5, a6),
            7 => (a1, a2, a3, a4, a5, a6, a7),
            8 => (a1, a2, a3, a4, a5, a6, a7, a8),
            9 => (a1, a2, a3, a4, a5, a6, a7, a8, a9),
            10 => (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10),
            11 => (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11),
            12 => (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12),
            13 => (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13),
            14 => (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14),
            15 => (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15),
            16 => (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16),
        ]);
        let Some(hash) = hash else {
            unreachable!("check_arity accepts only arities listed in register_typed");
        };
        self.hashes.lock().insert(hash);
        // A script cannot call the function before this insert, because registering
        // holds the engine's write lock.
        let previous = self.callables.lock().insert(key, callable);
        // The replaced callable is released after the lock, in case its finalizer
        // uses this engine.
        drop(previous);
        Ok(())
    }

    /// Returns Rhai's hashes of the registered functions, as the `fullHash` field of
    /// Rhai's function metadata shows them.
    pub fn hashes(&self) -> HashSet<u64> {
        self.hashes.lock().clone()
    }

    fn call(&self, key: &(String, usize), values: Vec<Dynamic>) -> RhaiResult<Dynamic> {
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
        // As for `OutputCallback::traverse`: the table is locked only with the GIL
        // held, so every pass of one collection finds it locked or unlocked alike.
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

/// Turns doc text into the doc comment that Rhai's metadata expects: one string of
/// `///` lines. Empty text gives no comment.
fn doc_comment_lines(doc: &str) -> Vec<String> {
    if doc.trim().is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = doc
        .trim_end()
        .lines()
        .map(|line| {
            if line.is_empty() {
                "///".to_string()
            } else {
                format!("/// {line}")
            }
        })
        .collect();
    vec![lines.join("\n")]
}

fn runtime_error(message: String) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(message.into(), Position::NONE).into()
}

/// Registers the `PyObject` type name and its `to_string`, `to_debug`, `==` and `!=`
/// functions, which call Python's `str()`, `repr()` and `==`.
pub fn register_py_object_type(engine: &mut rhai::Engine) {
    engine.register_type_with_name::<PyObjectValue>(PY_OBJECT_TYPE_NAME);
    FuncRegistration::new("to_string")
        .with_params_info(["object: PyObject", "String"])
        .with_comments(["/// Return Python's `str()` of the object."])
        .register_into_engine(engine, |object: &mut PyObjectValue| -> RhaiResult<String> {
            Python::attach(|py| match object.bind(py).str() {
                Ok(text) => Ok(text.to_string_lossy().into_owned()),
                Err(err) => Err(python_error_to_rhai(py, err)),
            })
        });
    FuncRegistration::new("to_debug")
        .with_params_info(["object: PyObject", "String"])
        .with_comments(["/// Return Python's `repr()` of the object."])
        .register_into_engine(engine, |object: &mut PyObjectValue| python_repr(object));
    FuncRegistration::new("==")
        .with_params_info(["object: PyObject", "other: PyObject", "bool"])
        .with_comments(["/// Return whether the objects are equal by Python's `==`."])
        .register_into_engine(
            engine,
            |left: &mut PyObjectValue, right: PyObjectValue| -> RhaiResult<bool> {
                python_equal(left, &right)
            },
        );
    FuncRegistration::new("!=")
        .with_params_info(["object: PyObject", "other: PyObject", "bool"])
        .with_comments(["/// Return whether the objects differ by Python's `==`."])
        .register_into_engine(
            engine,
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
