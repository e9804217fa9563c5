//! The limits of an engine, and the explanation of errors raised when one was exceeded.

use rhai::{EvalAltResult, ParseErrorType};

/// The effective limits of an engine, with 0 for unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_function_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
}

/// A limit that an error exceeded: its name, as `Engine` takes it, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceededLimit {
    pub name: &'static str,
    pub value: u64,
}

impl ExceededLimit {
    /// Formats the sentence appended to the error message, such as
    /// "the script exceeded max_operations (500); ...".
    pub fn explanation(&self) -> String {
        let remedy = match self.name {
            "max_call_levels" => "or make the recursion shallower",
            "max_expr_depth" | "max_function_expr_depth" => {
                "or split the expression into smaller statements"
            }
            _ => "or 0 for no limit",
        };
        format!(
            "the script exceeded {} ({}); pass a larger {} to Engine, {remedy}",
            self.name, self.value, self.name
        )
    }
}

impl Limits {
    /// Reads the limits of `engine`.
    pub fn of(engine: &rhai::Engine) -> Self {
        Self {
            max_operations: engine.max_operations(),
            max_call_levels: engine.max_call_levels(),
            max_expr_depth: engine.max_expr_depth(),
            max_function_expr_depth: engine.max_function_expr_depth(),
            max_string_size: engine.max_string_size(),
            max_array_size: engine.max_array_size(),
            max_map_size: engine.max_map_size(),
        }
    }

    /// Returns the limits by name, in the order `Engine` takes them.
    pub fn entries(&self) -> [(&'static str, u64); 7] {
        [
            ("max_operations", self.max_operations),
            ("max_call_levels", self.max_call_levels as u64),
            ("max_expr_depth", self.max_expr_depth as u64),
            (
                "max_function_expr_depth",
                self.max_function_expr_depth as u64,
            ),
            ("max_string_size", self.max_string_size as u64),
            ("max_array_size", self.max_array_size as u64),
            ("max_map_size", self.max_map_size as u64),
        ]
    }

    /// Returns the limit that `err` (an unwrapped error) reports as exceeded, if any.
    ///
    /// `script` is the source that was compiled. It distinguishes an expression
    /// nested too deeply in a function body from one at the top level, because Rhai
    /// reports both as `ExprTooDeep`.
    pub fn exceeded_by(&self, err: &EvalAltResult, script: Option<&str>) -> Option<ExceededLimit> {
        let name = match err {
            EvalAltResult::ErrorTooManyOperations(..) => "max_operations",
            EvalAltResult::ErrorStackOverflow(..) => "max_call_levels",
            EvalAltResult::ErrorDataTooLarge(data, ..) => size_limit(data)?,
            EvalAltResult::ErrorParsing(ParseErrorType::LiteralTooLarge(data, _), ..) => {
                size_limit(data)?
            }
            EvalAltResult::ErrorParsing(ParseErrorType::ExprTooDeep, ..) => {
                self.exceeded_expression_depth(script)
            }
            _ => return None,
        };
        let value = self
            .entries()
            .into_iter()
            .find(|(entry, _)| *entry == name)
            .map_or(0, |(_, value)| value);
        Some(ExceededLimit { name, value })
    }

    /// Names the depth limit behind an `ExprTooDeep` error in `script`: compiling it
    /// again without the function-body limit fails the same way only when the top
    /// level is too deep.
    ///
    /// NOTE: without the script (or when the error came from a string passed to
    /// Rhai's `eval` function), this returns `max_expr_depth`.
    fn exceeded_expression_depth(&self, script: Option<&str>) -> &'static str {
        let Some(script) = script else {
            return "max_expr_depth";
        };
        let mut engine = rhai::Engine::new_raw();
        engine.set_max_expr_depths(self.max_expr_depth, 0);
        match engine.compile(script) {
            Err(err) if matches!(err.err_type(), ParseErrorType::ExprTooDeep) => "max_expr_depth",
            _ if self.max_function_expr_depth > 0 => "max_function_expr_depth",
            _ => "max_expr_depth",
        }
    }
}

/// Names the size limit from the data that Rhai 1.27 reports as too large: "Length of
/// string", "Size of array/BLOB", "Size of BLOB", "Size of object map", or for a
/// literal "Size of array literal" and "Number of properties in object map literal".
fn size_limit(data: &str) -> Option<&'static str> {
    if data.contains("string") {
        Some("max_string_size")
    } else if data.contains("map") {
        Some("max_map_size")
    } else if data.contains("array") || data.contains("BLOB") {
        Some("max_array_size")
    } else {
        None
    }
}
