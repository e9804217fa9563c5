//! Python bindings for the Rhai scripting engine, importable as `nodes._rhai`.

mod callbacks;
mod cancel;
mod convert;
mod engine;
mod error;
mod evaluation;
mod functions;
mod limits;
mod metadata;
mod modules;
mod parse_status;
mod session;
mod values;

use pyo3::prelude::*;

#[pymodule]
fn _rhai(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("RhaiError", error::rhai_error_type(py)?)?;
    module.add_class::<engine::Engine>()?;
    module.add_class::<session::Session>()?;
    module.add_class::<evaluation::Evaluation>()?;
    module.add_class::<metadata::FunctionInfo>()?;
    module.add_class::<values::Timestamp>()?;
    module.add_class::<values::FunctionPointer>()?;
    module.add_class::<values::Opaque>()?;
    module.add_function(wrap_pyfunction!(parse_status::parse_status, module)?)?;
    Ok(())
}
