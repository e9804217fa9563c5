//! Python callbacks for Rhai's `print` and `debug`, and logging of their failures.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};
use rhai::Position;

/// Name of the Python logger that reports callback failures.
pub const LOGGER_NAME: &str = "nodes.rhai";

/// After the first failure of a callback, only every this-many-th failure is logged,
/// so a failing `print` inside a loop cannot flood the log.
const FAILURE_LOG_INTERVAL: u64 = 1000;

/// A replaceable Python callable that Rhai output is sent to.
pub struct OutputCallback {
    /// `print` or `debug`, used in log messages.
    role: &'static str,
    /// Taken only while the GIL is held, so that the garbage collector, which runs
    /// with the GIL, never finds it held by another thread (see `traverse`).
    callable: Mutex<Option<Py<PyAny>>>,
    /// Whether a callable is set, read without the GIL to skip output no callable receives.
    enabled: AtomicBool,
    failures: AtomicU64,
}

impl OutputCallback {
    pub fn new(role: &'static str) -> Self {
        Self {
            role,
            callable: Mutex::new(None),
            enabled: AtomicBool::new(false),
            failures: AtomicU64::new(0),
        }
    }

    /// Replaces the callable. With `None`, the output is discarded.
    pub fn set(&self, callable: Option<Py<PyAny>>) {
        // The old callable is dropped after the lock is released, because its
        // finalizer may run Python code that calls `set` again.
        self.enabled.store(callable.is_some(), Ordering::Release);
        let previous = std::mem::replace(&mut *self.callable.lock(), callable);
        self.failures.store(0, Ordering::Relaxed);
        drop(previous);
    }

    /// Sends a `print` line to the callable as `callback(text)`.
    pub fn send_print(&self, text: &str) {
        self.invoke(|callable| callable.call1((text,)).map(drop));
    }

    /// Sends a `debug` line to the callable as `callback(text, line, column)`.
    pub fn send_debug(&self, text: &str, position: Position) {
        self.invoke(|callable| {
            callable
                .call1((text, position.line(), position.position()))
                .map(drop)
        });
    }

    fn invoke(&self, call: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<()>) {
        // Without a callable, the output is dropped without taking the GIL.
        if !self.enabled.load(Ordering::Acquire) {
            return;
        }
        Python::attach(|py| {
            let Some(callable) = self.callable.lock().as_ref().map(|c| c.clone_ref(py)) else {
                return;
            };
            let callable = callable.into_bound(py);
            if let Err(err) = call(&callable) {
                self.log_failure(py, &callable, err);
            }
        });
    }

    /// Logs a callback exception as a warning. Rhai's `on_print` and `on_debug`
    /// callbacks return nothing, so the error cannot reach the script.
    fn log_failure(&self, py: Python<'_>, callable: &Bound<'_, PyAny>, err: PyErr) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures != 1 && !failures.is_multiple_of(FAILURE_LOG_INTERVAL) {
            return;
        }
        let logged = (|| -> PyResult<()> {
            let logger = py
                .import("logging")?
                .call_method1("getLogger", (LOGGER_NAME,))?;
            let options = PyDict::new(py);
            options.set_item("exc_info", err.value(py))?;
            logger.call_method(
                "warning",
                (
                    "Rhai %s callback %r raised an exception, so its output was dropped \
                     (failure %d of this callback)",
                    self.role,
                    callable,
                    failures,
                ),
                Some(&options),
            )?;
            Ok(())
        })();
        if let Err(logging_error) = logged {
            logging_error.write_unraisable(py, Some(callable));
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        // The lock is only taken with the GIL held, and the collector holds the GIL,
        // so another thread never has it here. Only this thread can, when a
        // collection starts inside a locked section, and then every pass of that
        // collection skips the reference alike. A reference visited by one pass and
        // skipped by another would let the collector free a live callable.
        if let Some(guard) = self.callable.try_lock() {
            if let Some(callable) = guard.as_ref() {
                visit.call(callable)?;
            }
        }
        Ok(())
    }
}
