//! `FunctionInfo`: the signature and doc comment of a function that scripts can call.

use std::collections::HashSet;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use rhai::{FnAccess, ScriptFnMetadata};
use serde::Deserialize;

/// A function that scripts can call, as Rhai's metadata describes it.
#[pyclass(module = "nodes._rhai", frozen, eq, get_all, skip_from_py_object)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The function name, such as `len`, or `get$len` for a property getter.
    pub name: String,
    /// One display text per parameter, such as `key: string`, `x` or `_: i64`.
    pub params: Vec<String>,
    /// The signature as Rhai prints it, such as `db_get(key: string) -> ?`.
    pub signature: String,
    /// The doc comment without comment markers, or an empty string.
    pub doc: String,
    /// The source of the function: `builtin`, `registered` (a Python function) or `script`.
    pub origin: String,
}

#[pymethods]
impl FunctionInfo {
    #[new]
    fn new(
        name: String,
        params: Vec<String>,
        signature: String,
        doc: String,
        origin: String,
    ) -> Self {
        Self {
            name,
            params,
            signature,
            doc,
            origin,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "FunctionInfo(signature={:?}, origin={:?})",
            self.signature, self.origin
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let info = slf.get().clone();
        let arguments = (
            info.name,
            info.params,
            info.signature,
            info.doc,
            info.origin,
        );
        (slf.get_type(), arguments).into_pyobject(slf.py())
    }
}

/// The part of Rhai's function metadata JSON (`Engine::gen_fn_metadata_to_json`)
/// that `FunctionInfo` uses.
#[derive(Deserialize)]
struct MetadataJson {
    #[serde(default)]
    functions: Vec<FunctionJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionJson {
    full_hash: u64,
    name: String,
    access: String,
    #[serde(default)]
    params: Vec<ParamJson>,
    signature: String,
    #[serde(default)]
    doc_comments: Vec<String>,
}

#[derive(Deserialize)]
struct ParamJson {
    name: Option<String>,
    #[serde(rename = "type")]
    type_name: Option<String>,
}

/// Lists the public functions of `engine`: the standard packages and the functions
/// registered on it, sorted by name, number of parameters and signature. Those whose
/// hash is in `python_functions` have the origin `registered`, the others `builtin`.
pub fn engine_functions(
    engine: &rhai::Engine,
    python_functions: &HashSet<u64>,
) -> Result<Vec<FunctionInfo>, serde_json::Error> {
    let json = engine.gen_fn_metadata_to_json(true)?;
    let metadata: MetadataJson = serde_json::from_str(&json)?;
    let mut functions: Vec<FunctionInfo> = metadata
        .functions
        .into_iter()
        .filter(|function| function.access != "private")
        .map(|function| {
            let origin = if python_functions.contains(&function.full_hash) {
                "registered"
            } else {
                "builtin"
            };
            FunctionInfo {
                params: function.params.iter().map(param_text).collect(),
                signature: function.signature,
                doc: doc_text(&function.doc_comments),
                origin: origin.to_string(),
                name: function.name,
            }
        })
        .collect();
    functions.sort_by(|left, right| {
        (&left.name, left.params.len(), &left.signature).cmp(&(
            &right.name,
            right.params.len(),
            &right.signature,
        ))
    });
    Ok(functions)
}

/// Describes a function defined by a script.
pub fn script_function(function: &ScriptFnMetadata<'_>) -> FunctionInfo {
    let mut signature = function.to_string();
    if function.access == FnAccess::Private {
        // Display puts "private " in front, but the signature shows only the call form.
        signature = signature.trim_start_matches("private ").to_string();
    }
    FunctionInfo {
        name: function.name.to_string(),
        params: function
            .params
            .iter()
            .map(|param| param.to_string())
            .collect(),
        signature,
        doc: doc_text(&function.comments),
        origin: "script".to_string(),
    }
}

fn param_text(param: &ParamJson) -> String {
    match (&param.name, &param.type_name) {
        (Some(name), Some(type_name)) => format!("{name}: {type_name}"),
        (Some(name), None) => name.clone(),
        (None, Some(type_name)) => format!("_: {type_name}"),
        (None, None) => "_".to_string(),
    }
}

/// Joins doc comments into plain text: `///` line markers, and `/**` and `*/` of
/// block comments, are removed, with the leading `*` of a block comment line.
pub fn doc_text(comments: &[impl AsRef<str>]) -> String {
    let blocks: Vec<String> = comments
        .iter()
        .map(|comment| comment_text(comment.as_ref()))
        .collect();
    blocks.join("\n").trim().to_string()
}

fn comment_text(comment: &str) -> String {
    if let Some(block) = comment.strip_prefix("/**") {
        let block = block.strip_suffix("*/").unwrap_or(block);
        return block
            .lines()
            .map(|line| {
                let line = line.trim_start();
                let line = line.strip_prefix('*').unwrap_or(line);
                line.strip_prefix(' ').unwrap_or(line)
            })
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string();
    }
    comment
        .lines()
        .map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("///").unwrap_or(line);
            line.strip_prefix(' ').unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_text_of_line_comments() {
        let comments = ["/// Adds two numbers.\n///\n///   Indented."];
        assert_eq!(doc_text(&comments), "Adds two numbers.\n\n  Indented.");
    }

    #[test]
    fn doc_text_of_block_comment() {
        let comments = ["/** Adds two numbers.\n * Returns the sum.\n */"];
        assert_eq!(doc_text(&comments), "Adds two numbers.\nReturns the sum.");
    }
}
