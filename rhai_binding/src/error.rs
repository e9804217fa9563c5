//! Conversion of Rhai errors into the Python exception `nodes._rhai.RhaiError`.

use std::fmt::Debug;

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use rhai::{EvalAltResult, ParseError, Position};

use crate::functions;
use crate::limits::Limits;

static RHAI_ERROR_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Returns the `RhaiError` exception class, creating it on first use.
///
/// The class is created at run time (not with `create_exception!`) so that its
/// `__module__` is `nodes._rhai`, which lets pickle find it again in a Dask worker.
pub fn rhai_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    let class = RHAI_ERROR_TYPE.get_or_try_init(py, || {
        PyErr::new_type(
            py,
            c"nodes._rhai.RhaiError",
            Some(c"An error raised by the Rhai engine while compiling or running a script."),
            Some(&py.get_type::<PyException>()),
            None,
        )
    })?;
    Ok(class.bind(py))
}

/// A Rhai error flattened into the fields that `RhaiError` exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// Variant name of the innermost `EvalAltResult`, such as `ErrorVariableNotFound`.
    pub kind: String,
    /// Rhai's message without the error position; wrapping calls follow on their own lines.
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Variant name of the `ParseErrorType` for `ErrorParsing`.
    pub parse_error: Option<String>,
    /// The wrapping errors from innermost to outermost.
    pub trace: Vec<TraceEntry>,
    /// Name of the engine limit that the error exceeded, such as `max_operations`.
    pub limit: Option<&'static str>,
}

/// One wrapping error: its kind (`ErrorInFunctionCall` or `ErrorInModule`), the
/// function or module name, and the line and column of the call or import.
pub type TraceEntry = (&'static str, String, Option<usize>, Option<usize>);

impl ErrorReport {
    /// Builds the report of an evaluation error, looking through `ErrorInFunctionCall`
    /// and `ErrorInModule` wrappers to the error that was raised first.
    pub fn from_eval(err: &EvalAltResult) -> Self {
        let mut call_frames = Vec::new();
        let mut innermost = err;
        loop {
            match innermost {
                EvalAltResult::ErrorInFunctionCall(name, source, inner, position) => {
                    call_frames.push(describe_call_frame(name, source, *position));
                    innermost = inner;
                }
                EvalAltResult::ErrorInModule(name, inner, position) => {
                    call_frames.push(describe_module_frame(name, *position));
                    innermost = inner;
                }
                _ => break,
            }
        }
        let trace = call_frames
            .iter()
            .rev()
            .map(|frame| frame.entry.clone())
            .collect();

        let mut message = message_without_position(innermost);
        // Rhai lists the wrapping calls innermost first, like a traceback read upwards.
        for frame in call_frames.iter().rev() {
            message.push('\n');
            message.push_str(&frame.text);
        }

        // The innermost error usually has a position; when it does not, the call site
        // nearest to it is the most precise place left.
        let position = std::iter::once(innermost.position())
            .chain(call_frames.iter().rev().map(|frame| frame.position))
            .find(|position| !position.is_none())
            .unwrap_or(Position::NONE);

        let parse_error = match innermost {
            EvalAltResult::ErrorParsing(parse_error, _) => Some(variant_name(parse_error)),
            _ => None,
        };

        Self {
            kind: variant_name(innermost),
            message,
            line: position.line(),
            column: position.position(),
            parse_error,
            trace,
            limit: None,
        }
    }

    /// Builds the report of an evaluation error on an engine with `limits`. When the
    /// error exceeded one of them, the report names it and the message explains what
    /// to change. `script` is the compiled source, when known.
    pub fn from_eval_with_limits(
        err: &EvalAltResult,
        limits: &Limits,
        script: Option<&str>,
    ) -> Self {
        let mut report = Self::from_eval(err);
        if let Some(exceeded) = limits.exceeded_by(innermost_error(err), script) {
            let explanation = exceeded.explanation();
            report.message = match report.message.split_once('\n') {
                Some((first, rest)) => format!("{first}: {explanation}\n{rest}"),
                None => format!("{}: {explanation}", report.message),
            };
            report.limit = Some(exceeded.name);
        }
        report
    }

    /// Builds the report of a compile error of `script` on an engine with `limits`.
    /// Rhai reports a compile error as `ErrorParsing`.
    pub fn from_parse_with_limits(err: &ParseError, limits: &Limits, script: &str) -> Self {
        let as_eval_error: EvalAltResult = err.clone().into();
        Self::from_eval_with_limits(&as_eval_error, limits, Some(script))
    }

    /// Formats the text of `str(exc)`, for example
    /// `ErrorVariableNotFound: Variable not found: x (line 2, position 5)`.
    pub fn summary(&self) -> String {
        let kind = match &self.parse_error {
            Some(parse_error) => format!("{} ({parse_error})", self.kind),
            None => self.kind.clone(),
        };
        let (first_line, other_lines) = match self.message.split_once('\n') {
            Some((first, rest)) => (first, Some(rest)),
            None => (self.message.as_str(), None),
        };
        let mut text = format!("{kind}: {first_line}");
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                text.push_str(&format!(" (line {line}, position {column})"))
            }
            (Some(line), None) => text.push_str(&format!(" (line {line})")),
            _ => {}
        }
        if let Some(rest) = other_lines {
            text.push('\n');
            text.push_str(rest);
        }
        text
    }

    /// Creates the `RhaiError` instance carrying this report as attributes.
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self.build_exception(py) {
            Ok(exception) => PyErr::from_value(exception),
            Err(creation_error) => creation_error,
        }
    }

    fn build_exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let exception = rhai_error_type(py)?.call1((self.summary(),))?;
        exception.setattr("kind", &self.kind)?;
        exception.setattr("message", &self.message)?;
        exception.setattr("line", self.line)?;
        exception.setattr("column", self.column)?;
        exception.setattr("parse_error", self.parse_error.as_deref())?;
        exception.setattr("trace", self.trace.clone())?;
        exception.setattr("limit", self.limit)?;
        Ok(exception)
    }
}

/// Converts an evaluation error of `script` on an engine with `limits` into a
/// `RhaiError`, chaining the Python exception that caused it when a registered
/// Python function raised one.
pub fn eval_error_to_pyerr(
    py: Python<'_>,
    err: &EvalAltResult,
    limits: &Limits,
    script: Option<&str>,
) -> PyErr {
    let report = ErrorReport::from_eval_with_limits(err, limits, script);
    let cause = functions::take_python_cause(&report.message);
    let error = report.into_pyerr(py);
    if let Some(cause) = cause {
        error.set_cause(py, Some(cause));
    }
    error
}

/// Converts a compile error of `script` on an engine with `limits` into a `RhaiError`.
pub fn parse_error_to_pyerr(
    py: Python<'_>,
    err: &ParseError,
    limits: &Limits,
    script: &str,
) -> PyErr {
    ErrorReport::from_parse_with_limits(err, limits, script).into_pyerr(py)
}

/// Returns the error inside all `ErrorInFunctionCall` and `ErrorInModule` wrappers.
fn innermost_error(err: &EvalAltResult) -> &EvalAltResult {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => innermost_error(inner),
        _ => err,
    }
}

struct CallFrame {
    text: String,
    position: Position,
    entry: TraceEntry,
}

impl CallFrame {
    fn new(kind: &'static str, name: &str, mut text: String, position: Position) -> Self {
        append_position(&mut text, position);
        Self {
            text,
            position,
            entry: (kind, name.to_string(), position.line(), position.position()),
        }
    }
}

/// Describes an `ErrorInFunctionCall` wrapper as a line such as
/// "in ErrorInFunctionCall 'inner' (line 4, position 14)".
fn describe_call_frame(name: &str, source: &str, position: Position) -> CallFrame {
    const KIND: &str = "ErrorInFunctionCall";
    let mut text = if name.starts_with(ANONYMOUS_FUNCTION_PREFIX) {
        format!("in {KIND} of a closure")
    } else {
        format!("in {KIND} '{name}'")
    };
    if !source.is_empty() {
        text.push_str(&format!(" (from '{source}')"));
    }
    CallFrame::new(KIND, name, text, position)
}

/// Describes an `ErrorInModule` wrapper as a line such as "in ErrorInModule 'tools'".
fn describe_module_frame(name: &str, position: Position) -> CallFrame {
    const KIND: &str = "ErrorInModule";
    let text = if name.is_empty() {
        format!("in {KIND}")
    } else {
        format!("in {KIND} '{name}'")
    };
    CallFrame::new(KIND, name, text, position)
}

fn append_position(text: &mut String, position: Position) {
    if !position.is_none() {
        text.push_str(&format!(" ({position})"));
    }
}

/// Prefix of the names that Rhai gives to closures (`FN_ANONYMOUS` in Rhai 1.27,
/// not exported without the `internals` feature).
pub const ANONYMOUS_FUNCTION_PREFIX: &str = "anon$";

/// Returns Rhai's display text of a single (unwrapped) error without the trailing position.
fn message_without_position(err: &EvalAltResult) -> String {
    let text = err.to_string();
    let position = err.position();
    let text = if position.is_none() {
        text
    } else {
        let suffix = format!(" ({position})");
        match text.strip_suffix(&suffix) {
            Some(stripped) => stripped.to_string(),
            None => text,
        }
    };
    match err {
        // Rhai prints only "Script terminated"; the token passed to the termination
        // (the cancel reason here) is what the caller needs to see.
        EvalAltResult::ErrorTerminated(token, _) if !token.is_unit() => {
            let token_text = token.to_string();
            if token_text.is_empty() {
                text
            } else {
                format!("{text}: {token_text}")
            }
        }
        _ => text,
    }
}

/// Returns the name of an enum variant from its derived `Debug` output.
fn variant_name(value: &impl Debug) -> String {
    let debug_text = format!("{value:?}");
    let end = debug_text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(debug_text.len());
    debug_text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_of_variable_not_found() {
        let engine = rhai::Engine::new();
        let err = engine.run("let a = 1;\nlet b = x;").unwrap_err();
        let report = ErrorReport::from_eval(&err);
        assert_eq!(report.kind, "ErrorVariableNotFound");
        assert_eq!(report.message, "Variable not found: x");
        assert_eq!(report.line, Some(2));
        assert_eq!(report.column, Some(9));
        assert_eq!(
            report.summary(),
            "ErrorVariableNotFound: Variable not found: x (line 2, position 9)"
        );
    }

    #[test]
    fn report_looks_through_function_calls() {
        let engine = rhai::Engine::new();
        let err = engine
            .run("fn inner() { y }\nfn outer() { inner() }\nouter();")
            .unwrap_err();
        let report = ErrorReport::from_eval(&err);
        assert_eq!(report.kind, "ErrorVariableNotFound");
        assert_eq!(report.line, Some(1));
        assert!(report.message.contains("in ErrorInFunctionCall 'inner'"));
        assert!(report.message.contains("in ErrorInFunctionCall 'outer'"));
        assert_eq!(
            report.trace,
            vec![
                (
                    "ErrorInFunctionCall",
                    "inner".to_string(),
                    Some(2),
                    Some(14)
                ),
                ("ErrorInFunctionCall", "outer".to_string(), Some(3), Some(1)),
            ]
        );
    }

    #[test]
    fn report_names_exceeded_operations_limit() {
        let mut engine = rhai::Engine::new();
        engine.set_max_operations(50);
        let err = engine.run("loop {}").unwrap_err();
        let report = ErrorReport::from_eval_with_limits(&err, &Limits::of(&engine), None);
        assert_eq!(report.kind, "ErrorTooManyOperations");
        assert_eq!(report.limit, Some("max_operations"));
        assert!(report.message.contains("exceeded max_operations (50)"));
    }

    #[test]
    fn report_tells_function_expression_depth() {
        let mut engine = rhai::Engine::new();
        engine.set_max_expr_depths(20, 3);
        let limits = Limits::of(&engine);
        let in_function = "fn f() { ((((1)))) }";
        let err = engine.compile(in_function).unwrap_err();
        let report = ErrorReport::from_parse_with_limits(&err, &limits, in_function);
        assert_eq!(report.limit, Some("max_function_expr_depth"));

        engine.set_max_expr_depths(3, 20);
        let limits = Limits::of(&engine);
        let top_level = "((((((1))))))";
        let err = engine.compile(top_level).unwrap_err();
        let report = ErrorReport::from_parse_with_limits(&err, &limits, top_level);
        assert_eq!(report.limit, Some("max_expr_depth"));
    }

    #[test]
    fn report_of_parse_error_names_the_parse_error() {
        let engine = rhai::Engine::new();
        let script = "let x = (1 + 2;";
        let err = engine.compile(script).unwrap_err();
        let report = ErrorReport::from_parse_with_limits(&err, &Limits::of(&engine), script);
        assert_eq!(report.kind, "ErrorParsing");
        assert_eq!(report.parse_error.as_deref(), Some("MissingToken"));
        assert!(report
            .summary()
            .starts_with("ErrorParsing (MissingToken): "));
    }

    #[test]
    fn variant_name_of_unit_and_tuple_variants() {
        assert_eq!(
            variant_name(&rhai::ParseErrorType::UnexpectedEOF),
            "UnexpectedEOF"
        );
        assert_eq!(
            variant_name(&rhai::ParseErrorType::MissingSymbol("x".into())),
            "MissingSymbol"
        );
    }
}
