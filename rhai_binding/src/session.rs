//! `Session`: the variables and functions that a notebook keeps between evaluations.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Mutex, MutexGuard};
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rhai::{Dynamic, EvalAltResult, Scope, AST};

use crate::convert::{to_dynamic, to_python};
use crate::engine::Engine;
use crate::error::{parse_error_to_pyerr, ANONYMOUS_FUNCTION_PREFIX};
use crate::metadata::{script_function, FunctionInfo};

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

#[derive(Default)]
struct SessionState {
    scope: Scope<'static>,
    /// An AST without statements, holding the functions defined so far.
    functions: AST,
    /// The scripts that defined the current functions, oldest first.
    function_sources: Vec<FunctionSource>,
}

/// A script that defined functions, with those of its functions that no later
/// script redefined.
struct FunctionSource {
    text: String,
    /// Name and number of parameters of each function still in use.
    functions: HashSet<(String, usize)>,
}

impl SessionState {
    /// Adds the functions of `script_ast` (compiled from `source`), replacing those
    /// of the same name and number of parameters, and records `source` for them.
    fn take_functions(&mut self, script_ast: &AST, source: &str) {
        let defined: HashSet<(String, usize)> = script_ast
            .iter_functions()
            .map(|function| (function.name.to_string(), function.params.len()))
            .collect();
        if defined.is_empty() {
            return;
        }
        self.functions = self.functions.merge(&script_ast.clone_functions_only());
        for older in &mut self.function_sources {
            older.functions.retain(|key| !defined.contains(key));
        }
        self.function_sources
            .retain(|older| !older.functions.is_empty());
        self.function_sources.push(FunctionSource {
            text: source.to_string(),
            functions: defined,
        });
    }
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
        state.take_functions(&script_ast, script);
        drop_shadowed_variables(&mut state.scope);
        result
    }
}

#[pymethods]
impl Session {
    #[new]
    fn new() -> Self {
        Self {
            state: Mutex::new(SessionState::default()),
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

    /// Describes the script-defined functions, sorted by name and number of
    /// parameters. Closures are left out, because scripts cannot call them by name.
    fn function_info(&self, py: Python<'_>) -> PyResult<Vec<FunctionInfo>> {
        self.ensure_not_reentered()?;
        Ok(py.detach(|| {
            let guard = self.lock();
            let mut functions: Vec<FunctionInfo> = guard
                .state
                .functions
                .iter_functions()
                .filter(|function| !function.name.starts_with(ANONYMOUS_FUNCTION_PREFIX))
                .map(|function| script_function(&function))
                .collect();
            functions.sort_by(|left, right| {
                (&left.name, left.params.len()).cmp(&(&right.name, right.params.len()))
            });
            functions
        }))
    }

    /// Returns the source texts of the scripts that defined the current functions,
    /// oldest first, leaving out scripts whose functions were all redefined later.
    fn function_sources(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.ensure_not_reentered()?;
        Ok(py.detach(|| {
            self.lock()
                .state
                .function_sources
                .iter()
                .map(|source| source.text.clone())
                .collect()
        }))
    }

    /// Compiles `source` with `engine` and adds its functions to the session, as
    /// running it would, without running any statement.
    fn load_functions(
        &self,
        py: Python<'_>,
        engine: &Bound<'_, Engine>,
        source: &str,
    ) -> PyResult<()> {
        self.ensure_not_reentered()?;
        let engine = engine.get();
        py.detach(|| {
            let rhai_engine = engine.read();
            let mut guard = self.lock();
            let state = &mut *guard.state;
            let script_ast = rhai_engine.compile_with_scope(&state.scope, source)?;
            state.take_functions(&script_ast, source);
            Ok(())
        })
        .map_err(|err| parse_error_to_pyerr(py, &err, engine.configured_limits(), source))
    }

    /// Returns the names of the constants, in definition order.
    fn constants(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.ensure_not_reentered()?;
        Ok(py.detach(|| {
            self.lock()
                .state
                .scope
                .iter()
                .filter(|(_, is_constant, _)| *is_constant)
                .map(|(name, ..)| name.to_string())
                .collect::<Vec<_>>()
        }))
    }

    /// Sets a variable, or a constant with `constant=True`, adding it when missing.
    /// A constant of that name is shadowed, as a script's `let` or `const` would.
    #[pyo3(signature = (name, value, *, constant = false))]
    fn set(
        &self,
        py: Python<'_>,
        name: &str,
        value: &Bound<'_, PyAny>,
        constant: bool,
    ) -> PyResult<()> {
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
            let scope = &mut guard.state.scope;
            if constant {
                scope.push_constant_dynamic(name.to_string(), value);
            } else {
                scope.set_or_push(name, value);
            }
            drop_shadowed_variables(scope);
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
        let old_state = py.detach(|| std::mem::take(&mut *self.lock().state));
        drop(old_state);
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
