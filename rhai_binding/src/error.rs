//! Conversion of Rhai errors into the Python exception `nodes._rhai.RhaiError`.

use std::fmt::Debug;

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use rhai::{EvalAltResult, ParseError, Position};

use crate::functions;

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
}

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
        }
    }

    /// Builds the report of a compile error, which Rhai reports as `ErrorParsing`.
    pub fn from_parse(err: &ParseError) -> Self {
        let as_eval_error: EvalAltResult = err.clone().into();
        Self::from_eval(&as_eval_error)
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
        Ok(exception)
    }
}

/// Converts an evaluation error into a `RhaiError`, chaining the Python exception
/// that caused it when a registered Python function raised one.
pub fn eval_error_to_pyerr(py: Python<'_>, err: &EvalAltResult) -> PyErr {
    let report = ErrorReport::from_eval(err);
    let cause = functions::take_python_cause(&report.message);
    let error = report.into_pyerr(py);
    if let Some(cause) = cause {
        error.set_cause(py, Some(cause));
    }
    error
}

/// Converts a compile error into a `RhaiError`.
pub fn parse_error_to_pyerr(py: Python<'_>, err: &ParseError) -> PyErr {
    ErrorReport::from_parse(err).into_pyerr(py)
}

struct CallFrame {
    text: String,
    position: Position,
}

fn describe_call_frame(name: &str, source: &str, position: Position) -> CallFrame {
    let mut text = if name.starts_with(rhai_anonymous_prefix()) {
        "in closure call".to_string()
    } else {
        format!("in call to function '{name}'")
    };
    if !source.is_empty() {
        text.push_str(&format!(" (from '{source}')"));
    }
    append_position(&mut text, position);
    CallFrame { text, position }
}

fn describe_module_frame(name: &str, position: Position) -> CallFrame {
    let mut text = if name.is_empty() {
        "in module".to_string()
    } else {
        format!("in module '{name}'")
    };
    append_position(&mut text, position);
    CallFrame { text, position }
}

fn append_position(text: &mut String, position: Position) {
    if !position.is_none() {
        text.push_str(&format!(" ({position})"));
    }
}

/// Prefix of the names that Rhai gives to closures (`FN_ANONYMOUS` in Rhai 1.27,
/// not exported without the `internals` feature).
fn rhai_anonymous_prefix() -> &'static str {
    "anon$"
}

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
        assert!(report.message.contains("in call to function 'inner'"));
        assert!(report.message.contains("in call to function 'outer'"));
    }

    #[test]
    fn report_of_parse_error_names_the_parse_error() {
        let engine = rhai::Engine::new();
        let err = engine.compile("let x = (1 + 2;").unwrap_err();
        let report = ErrorReport::from_parse(&err);
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
