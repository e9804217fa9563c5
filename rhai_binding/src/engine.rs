//! `Engine`: a configured Rhai engine that runs scripts with the GIL released.

use std::sync::Arc;

use parking_lot::RwLock;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};
use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Dynamic, EvalAltResult};

use crate::callbacks::OutputCallback;
use crate::cancel::Cancellation;
use crate::convert::to_python;
use crate::error::{eval_error_to_pyerr, parse_error_to_pyerr};
use crate::evaluation::{debug_text, Evaluation};
use crate::functions::{discard_python_cause, register_py_object_type, PythonFunctions};
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
            // A recursive read lock lets a registered Python function evaluate on this
            // engine even while another thread waits to register a function.
            let engine = self.engine.read_recursive();
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
            Err(err) => Err(eval_error_to_pyerr(py, &err)),
        }
    }
}

#[pymethods]
impl Engine {
    /// Creates an engine like Rhai's `Engine::new()`, except that `import` resolves
    /// no modules and `print`/`debug` output is discarded until a callback is set.
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
        // notebook script `import` any file readable on the node. No module resolves.
        engine.set_module_resolver(DummyModuleResolver::new());

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

        Self {
            engine: RwLock::new(engine),
            print,
            debug,
            cancellation,
            functions: Arc::default(),
        }
    }

    /// Registers `func` as the Rhai function `name` taking `arity` arguments of any type.
    fn register_fn(
        &self,
        py: Python<'_>,
        name: &str,
        func: Bound<'_, PyAny>,
        arity: usize,
    ) -> PyResult<()> {
        if !func.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "register_fn({name:?}) needs a callable, got {}",
                func.repr()?
            )));
        }
        let callable = func.unbind();
        py.detach(|| {
            let mut engine = self.engine.write();
            self.functions.register(&mut engine, name, callable, arity);
        });
        Ok(())
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
        py.detach(|| self.engine.read_recursive().compile(script).map(drop))
            .map_err(|err| parse_error_to_pyerr(py, &err))
    }

    /// Parses `script` as a single expression without running it.
    fn compile_expression(&self, py: Python<'_>, script: &str) -> PyResult<()> {
        py.detach(|| {
            self.engine
                .read_recursive()
                .compile_expression(script)
                .map(drop)
        })
        .map_err(|err| parse_error_to_pyerr(py, &err))
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
