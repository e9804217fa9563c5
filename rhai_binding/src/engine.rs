//! `Engine`: a configured Rhai engine that runs scripts with the GIL released.

use std::sync::Arc;

use parking_lot::{RwLock, RwLockReadGuard};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};
use rhai::{Dynamic, EvalAltResult};

use crate::callbacks::OutputCallback;
use crate::cancel::Cancellation;
use crate::convert::to_python;
use crate::error::{eval_error_to_pyerr, parse_error_to_pyerr};
use crate::evaluation::{debug_text, Evaluation};
use crate::functions::{
    check_arity, discard_python_cause, register_py_object_type, PythonFunctions,
};
use crate::limits::Limits;
use crate::metadata::{engine_functions, FunctionInfo};
use crate::modules::RegisteredModules;
use crate::session::{RunMode, Session};

/// A Rhai engine with limits, Python callbacks and cancellation.
#[pyclass(module = "nodes._rhai", frozen)]
pub struct Engine {
    /// Scripts take a read lock for their whole run, and `register_fn` takes the write lock.
    engine: RwLock<rhai::Engine>,
    print: Arc<OutputCallback>,
    debug: Arc<OutputCallback>,
    cancellation: Arc<Cancellation>,
    functions: Arc<PythonFunctions>,
    /// The modules that `import` resolves, shared with the engine's module resolver.
    modules: RegisteredModules,
    /// Set once in `new`, because no method changes a limit afterwards.
    limits: Limits,
}

/// The Rhai API that `Engine::execute` calls.
#[derive(Clone, Copy)]
enum Request {
    Eval,
    Run,
    EvalExpression,
}

impl Engine {
    /// Runs a script with the GIL released and returns its value with Rhai's type name.
    fn execute(
        &self,
        py: Python<'_>,
        script: &str,
        session: Option<&Bound<'_, Session>>,
        request: Request,
    ) -> PyResult<(Dynamic, String)> {
        let session = session.map(Bound::get);
        if let Some(session) = session {
            session.ensure_not_reentered()?;
        }
        let outcome = py.detach(|| -> Result<(Dynamic, String), Box<EvalAltResult>> {
            let engine = self.read();
            self.cancellation.check()?;
            let value = match (session, request) {
                (Some(session), Request::Run) => {
                    session.lock().run_script(&engine, script, RunMode::Run)?
                }
                (Some(session), _) => session.lock().run_script(&engine, script, RunMode::Eval)?,
                (None, Request::Eval) => engine.eval::<Dynamic>(script)?,
                (None, Request::Run) => {
                    engine.run(script)?;
                    Dynamic::UNIT
                }
                (None, Request::EvalExpression) => engine.eval_expression::<Dynamic>(script)?,
            };
            let type_name = engine.map_type_name(value.type_name()).to_string();
            Ok((value, type_name))
        });
        match outcome {
            Ok(value_and_type) => {
                discard_python_cause();
                Ok(value_and_type)
            }
            Err(err) => Err(eval_error_to_pyerr(py, &err, &self.limits, Some(script))),
        }
    }

    /// Locks the Rhai engine for reading. Call only with the GIL released.
    pub fn read(&self) -> RwLockReadGuard<'_, rhai::Engine> {
        // Recursive, so that a registered Python function can use this engine while
        // another thread waits for the write lock.
        self.engine.read_recursive()
    }

    pub fn configured_limits(&self) -> &Limits {
        &self.limits
    }
}

#[pymethods]
impl Engine {
    /// Creates an engine like Rhai's `Engine::new()`, except that `import` resolves
    /// only modules added with `register_module`, and `print`/`debug` output is
    /// discarded until a callback is set.
    ///
    /// A size or operation limit of 0 means unlimited; `None` keeps Rhai's default.
    #[new]
    #[pyo3(signature = (
        *,
        max_operations = 0,
        max_call_levels = None,
        max_expr_depth = None,
        max_function_expr_depth = None,
        max_string_size = 0,
        max_array_size = 0,
        max_map_size = 0,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        max_operations: u64,
        max_call_levels: Option<usize>,
        max_expr_depth: Option<usize>,
        max_function_expr_depth: Option<usize>,
        max_string_size: usize,
        max_array_size: usize,
        max_map_size: usize,
    ) -> Self {
        let mut engine = rhai::Engine::new();
        // NOTE: Engine::new() installs a FileModuleResolver, which would let a
        // notebook script `import` any file readable on the node. Only registered
        // modules resolve.
        let modules = RegisteredModules::default();
        engine.set_module_resolver(modules.clone());

        engine.set_max_operations(max_operations);
        if let Some(levels) = max_call_levels {
            engine.set_max_call_levels(levels);
        }
        let expr_depth = max_expr_depth.unwrap_or(engine.max_expr_depth());
        let function_expr_depth =
            max_function_expr_depth.unwrap_or(engine.max_function_expr_depth());
        engine.set_max_expr_depths(expr_depth, function_expr_depth);
        engine.set_max_string_size(max_string_size);
        engine.set_max_array_size(max_array_size);
        engine.set_max_map_size(max_map_size);

        let print = Arc::new(OutputCallback::new("print"));
        let debug = Arc::new(OutputCallback::new("debug"));
        let cancellation = Arc::new(Cancellation::default());
        {
            let print = Arc::clone(&print);
            engine.on_print(move |text| print.send_print(text));
        }
        {
            let debug = Arc::clone(&debug);
            engine.on_debug(move |text, _source, position| debug.send_debug(text, position));
        }
        {
            let cancellation = Arc::clone(&cancellation);
            engine.on_progress(move |_operations| cancellation.termination_token());
        }
        register_py_object_type(&mut engine);
        let limits = Limits::of(&engine);

        Self {
            engine: RwLock::new(engine),
            print,
            debug,
            cancellation,
            functions: Arc::default(),
            modules,
            limits,
        }
    }

    /// Registers `func` as the Rhai function `name` taking `arity` arguments of any
    /// type, with parameter display names `params` and the doc comment `doc`.
    #[pyo3(signature = (name, func, arity, *, params = None, doc = None))]
    fn register_fn(
        &self,
        py: Python<'_>,
        name: &str,
        func: Bound<'_, PyAny>,
        arity: usize,
        params: Option<Vec<String>>,
        doc: Option<String>,
    ) -> PyResult<()> {
        if !func.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "register_fn({name:?}) needs a callable, got {}",
                func.repr()?
            )));
        }
        check_arity(name, arity)?;
        if let Some(params) = &params {
            if params.len() != arity {
                return Err(PyValueError::new_err(format!(
                    "register_fn({name:?}) got {} params {params:?} for arity {arity}; \
                     give one display name per argument",
                    params.len()
                )));
            }
        }
        let callable = func.unbind();
        let doc = doc.unwrap_or_default();
        py.detach(|| {
            let mut engine = self.engine.write();
            self.functions
                .register(&mut engine, name, callable, arity, params, &doc)
        })
    }

    /// Compiles `source` as a Rhai module, runs its top-level statements, and makes
    /// `import "name" as m;` resolve to it.
    fn register_module(&self, py: Python<'_>, name: &str, source: &str) -> PyResult<()> {
        if name.is_empty() {
            return Err(PyValueError::new_err(
                "register_module needs a non-empty module name",
            ));
        }
        let outcome = py.detach(|| {
            let engine = self.read();
            self.cancellation.check()?;
            self.modules.register(&engine, name, source)
        });
        match outcome {
            Ok(()) => {
                discard_python_cause();
                Ok(())
            }
            Err(err) => Err(eval_error_to_pyerr(py, &err, &self.limits, Some(source))),
        }
    }

    /// Lists the functions that scripts can call: the standard packages' and the
    /// registered Python functions.
    fn functions(&self, py: Python<'_>) -> PyResult<Vec<FunctionInfo>> {
        let python_functions = self.functions.hashes();
        py.detach(|| engine_functions(&self.read(), &python_functions))
            .map_err(|err| {
                PyRuntimeError::new_err(format!("failed to read Rhai's function metadata: {err}"))
            })
    }

    /// Returns the effective limits by name. 0 means unlimited, except that
    /// `max_call_levels` 0 allows no call of a script-defined function.
    fn limits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let limits = PyDict::new(py);
        for (name, value) in self.limits.entries() {
            limits.set_item(name, value)?;
        }
        Ok(limits)
    }

    /// Sets the callable that receives each `print` line. With `None`, lines are discarded.
    #[pyo3(signature = (callback))]
    fn set_print(&self, callback: Option<Bound<'_, PyAny>>) {
        self.print.set(callback.map(Bound::unbind));
    }

    /// Sets the callable that receives each `debug` line with its line and column.
    #[pyo3(signature = (callback))]
    fn set_debug(&self, callback: Option<Bound<'_, PyAny>>) {
        self.debug.set(callback.map(Bound::unbind));
    }

    #[pyo3(signature = (script, session = None))]
    fn eval<'py>(
        &self,
        py: Python<'py>,
        script: &str,
        session: Option<&Bound<'py, Session>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (value, _type_name) = self.execute(py, script, session, Request::Eval)?;
        to_python(py, value)
    }

    #[pyo3(signature = (script, session = None))]
    fn evaluate(
        &self,
        py: Python<'_>,
        script: &str,
        session: Option<&Bound<'_, Session>>,
    ) -> PyResult<Evaluation> {
        let (value, type_name) = self.execute(py, script, session, Request::Eval)?;
        let text = debug_text(&value);
        Ok(Evaluation {
            value: to_python(py, value)?.unbind(),
            type_name,
            text,
        })
    }

    #[pyo3(signature = (script, session = None))]
    fn run(
        &self,
        py: Python<'_>,
        script: &str,
        session: Option<&Bound<'_, Session>>,
    ) -> PyResult<()> {
        let (_unit, _type_name) = self.execute(py, script, session, Request::Run)?;
        Ok(())
    }

    fn eval_expression<'py>(&self, py: Python<'py>, script: &str) -> PyResult<Bound<'py, PyAny>> {
        let (value, _type_name) = self.execute(py, script, None, Request::EvalExpression)?;
        to_python(py, value)
    }

    /// Parses `script` without running it.
    fn compile(&self, py: Python<'_>, script: &str) -> PyResult<()> {
        py.detach(|| self.read().compile(script).map(drop))
            .map_err(|err| parse_error_to_pyerr(py, &err, &self.limits, script))
    }

    /// Parses `script` as a single expression without running it.
    fn compile_expression(&self, py: Python<'_>, script: &str) -> PyResult<()> {
        py.detach(|| self.read().compile_expression(script).map(drop))
            .map_err(|err| parse_error_to_pyerr(py, &err, &self.limits, script))
    }

    /// Stops running scripts with `ErrorTerminated`, and every later one until
    /// `reset_cancel`. Safe to call from any thread.
    #[pyo3(signature = (reason = "cancelled".to_string()))]
    fn cancel(&self, reason: String) {
        self.cancellation.request(reason);
    }

    fn reset_cancel(&self) {
        self.cancellation.reset();
    }

    #[getter]
    fn cancelled(&self) -> bool {
        self.cancellation.is_requested()
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.print.traverse(&visit)?;
        self.debug.traverse(&visit)?;
        self.functions.traverse(&visit)
    }

    fn __clear__(&self) {
        self.print.set(None);
        self.debug.set(None);
        self.functions.clear();
    }
}
