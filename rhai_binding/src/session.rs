//! `Session`: the variables and functions that a notebook keeps between evaluations.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Mutex, MutexGuard};
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rhai::{Dynamic, EvalAltResult, Scope, AST};

use crate::convert::{to_dynamic, to_python};

/// Variables and script-defined functions kept between evaluations, like Rhai's REPL.
///
/// Each script is compiled, merged with the functions of earlier scripts, and run
/// with the session's `Scope`, so top-level `let` and `const` stay defined.
/// The script's functions are kept afterwards even when running it failed.
#[pyclass(module = "nodes._rhai", frozen)]
pub struct Session {
    state: Mutex<SessionState>,
    /// Token of the thread that has `state` locked, or 0. With it, a registered Python
    /// function that reenters its own session fails instead of deadlocking.
    holder: AtomicUsize,
}

struct SessionState {
    scope: Scope<'static>,
    /// An AST without statements, holding the functions defined so far.
    functions: AST,
}

/// The locked state of a session, which records the locking thread in `holder`.
pub struct SessionGuard<'a> {
    state: MutexGuard<'a, SessionState>,
    holder: &'a AtomicUsize,
}

impl Drop for SessionGuard<'_> {
    fn drop(&mut self) {
        self.holder.store(0, Ordering::Release);
    }
}

/// Whether a script's value is needed (`eval`) or only its effects (`run`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Eval,
    Run,
}

impl Session {
    /// Fails when the current thread already has this session locked, which happens
    /// when a registered Python function uses the session its script runs in.
    /// Called with the GIL held, before waiting for the lock.
    pub fn ensure_not_reentered(&self) -> PyResult<()> {
        if self.holder.load(Ordering::Acquire) == current_thread_token() {
            return Err(PyRuntimeError::new_err(
                "cannot use this Session from a function called by the script running in it; \
                 use another Session for nested evaluations",
            ));
        }
        Ok(())
    }

    /// Locks the state. Call only with the GIL released, because the holder may be
    /// running a script that calls back into Python.
    pub fn lock(&self) -> SessionGuard<'_> {
        let state = self.state.lock();
        self.holder.store(current_thread_token(), Ordering::Release);
        SessionGuard {
            state,
            holder: &self.holder,
        }
    }
}

impl SessionGuard<'_> {
    /// Compiles and runs `script` with this session's scope and functions.
    ///
    /// Returns the script's value in `RunMode::Eval`, and unit in `RunMode::Run`.
    pub fn run_script(
        &mut self,
        engine: &rhai::Engine,
        script: &str,
        mode: RunMode,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        let state = &mut *self.state;
        let script_ast = engine.compile_with_scope(&state.scope, script)?;
        let runnable = state.functions.merge(&script_ast);
        let result = match mode {
            RunMode::Eval => engine.eval_ast_with_scope::<Dynamic>(&mut state.scope, &runnable),
            RunMode::Run => engine
                .run_ast_with_scope(&mut state.scope, &runnable)
                .map(|()| Dynamic::UNIT),
        };
        // Keep the new functions whether or not the run succeeded, as a Python `def`
        // before a failing line stays defined. A redefinition replaces the old one.
        state.functions = state.functions.merge(&script_ast.clone_functions_only());
        drop_shadowed_variables(&mut state.scope);
        result
    }
}

#[pymethods]
impl Session {
    #[new]
    fn new() -> Self {
        Self {
            state: Mutex::new(SessionState {
                scope: Scope::new(),
                functions: AST::empty(),
            }),
            holder: AtomicUsize::new(0),
        }
    }

    /// Returns the variables of the session converted to Python, in definition order.
    fn variables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.ensure_not_reentered()?;
        let entries: Vec<(String, Dynamic)> = py.detach(|| {
            let guard = self.lock();
            guard
                .state
                .scope
                .iter()
                .map(|(name, _is_constant, value)| (name.to_string(), value))
                .collect()
        });
        let variables = PyDict::new(py);
        for (name, value) in entries {
            variables.set_item(name, to_python(py, value)?)?;
        }
        Ok(variables)
    }

    /// Returns the signatures of the script-defined functions, such as `add(a, b)`.
    fn functions(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.ensure_not_reentered()?;
        Ok(py.detach(|| {
            let guard = self.lock();
            let mut signatures: Vec<String> = guard
                .state
                .functions
                .iter_functions()
                .map(|function| format!("{}({})", function.name, function.params.join(", ")))
                .collect();
            signatures.sort();
            signatures
        }))
    }

    /// Sets a variable, adding it when missing. A constant of that name is shadowed
    /// by a new variable, as a script's `let` would.
    fn set(&self, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if !is_identifier(name) {
            return Err(PyValueError::new_err(format!(
                "invalid Rhai variable name {name:?}: use letters, digits and underscores, \
                 not starting with a digit"
            )));
        }
        self.ensure_not_reentered()?;
        let value = to_dynamic(value)?;
        py.detach(|| {
            let mut guard = self.lock();
            guard.state.scope.set_or_push(name, value);
            drop_shadowed_variables(&mut guard.state.scope);
        });
        Ok(())
    }

    /// Returns a variable converted to Python; raises KeyError when it is not defined.
    fn get<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        self.ensure_not_reentered()?;
        let value = py.detach(|| {
            self.lock()
                .state
                .scope
                .get(name)
                .map(Dynamic::flatten_clone)
        });
        match value {
            Some(value) => to_python(py, value),
            None => Err(PyKeyError::new_err(format!(
                "Rhai variable {name:?} is not defined in this session"
            ))),
        }
    }

    fn __contains__(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        self.ensure_not_reentered()?;
        Ok(py.detach(|| self.lock().state.scope.contains(name)))
    }

    /// Removes all variables and functions.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        self.ensure_not_reentered()?;
        // The old values are dropped once the GIL is back, so Python objects inside
        // them are released directly rather than through PyO3's pending-release pool.
        let (old_scope, old_functions) = py.detach(|| {
            let mut guard = self.lock();
            let state = &mut *guard.state;
            (
                std::mem::take(&mut state.scope),
                std::mem::replace(&mut state.functions, AST::empty()),
            )
        });
        drop((old_scope, old_functions));
        Ok(())
    }

    fn __repr__(&self) -> String {
        // A repr must not wait for a long script running in this session, so it only tries the lock.
        match self.state.try_lock() {
            Some(state) => format!(
                "<Session with {} variables and {} functions>",
                state.scope.len(),
                state.functions.iter_functions().count()
            ),
            None => "<Session running a script>".to_string(),
        }
    }
}

/// Removes variables hidden by a later one of the same name, keeping definition
/// order, so that re-running `let x = ...` does not keep every old value alive.
fn drop_shadowed_variables(scope: &mut Scope<'static>) {
    let mut seen = HashSet::new();
    let has_shadowed = scope
        .iter_raw()
        .any(|(name, ..)| !seen.insert(name.to_string()));
    if !has_shadowed {
        return;
    }
    // `clone_visible` keeps the last entry of each name, in reverse order, and
    // `iter_raw` walks a scope from its last entry, so together they restore the order.
    let visible = scope.clone_visible();
    let mut compacted = Scope::new();
    for (name, is_constant, value) in visible.iter_raw() {
        if is_constant {
            compacted.push_constant_dynamic(name.to_string(), value.clone());
        } else {
            compacted.push_dynamic(name.to_string(), value.clone());
        }
    }
    *scope = compacted;
}

fn is_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    match characters.next() {
        Some(first) if first.is_ascii_alphabetic() || first == '_' => {}
        _ => return false,
    }
    characters.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Returns a number that differs between live threads: the address of a thread-local.
fn current_thread_token() -> usize {
    thread_local! {
        static TOKEN: u8 = const { 0 };
    }
    TOKEN.with(|token| token as *const u8 as usize)
}
