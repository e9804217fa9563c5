//! `parse_status`: whether a console input is a complete script, needs more lines,
//! or can never become valid.

use std::sync::OnceLock;

use pyo3::prelude::*;
use rhai::{ParseError, ParseErrorType};

/// A line and column, both 1-based, counted in characters as Rhai's `Position` does.
type TextPosition = (usize, usize);

/// Classifies `script` as `"complete"`, `"incomplete"` or `"invalid"`.
///
/// A script is incomplete when it ends inside a block comment, a string or character
/// literal, or `${...}` interpolation. It is also incomplete when compiling fails after
/// the last token because the script stops early or lacks a closing token, an
/// expression or a function body. Other compile errors make it invalid, and so does a
/// string or character literal cut by a line break before the end of the script.
#[pyfunction]
pub fn parse_status(py: Python<'_>, script: &str) -> &'static str {
    py.detach(|| classify(script))
}

fn classify(script: &str) -> &'static str {
    let last_token_end = match scan(script) {
        ScanEnd::InsideLiteral => return "incomplete",
        ScanEnd::BrokenLiteral => None,
        ScanEnd::Code { last_token_end } => Some(last_token_end),
    };
    match parsing_engine().compile(script) {
        Ok(_) => "complete",
        Err(err) => match last_token_end {
            Some(last_token_end) if can_more_input_fix(&err, last_token_end) => "incomplete",
            _ => "invalid",
        },
    }
}

/// Returns the engine that checks syntax, with Rhai's defaults, shared by all calls.
fn parsing_engine() -> &'static rhai::Engine {
    static ENGINE: OnceLock<rhai::Engine> = OnceLock::new();
    ENGINE.get_or_init(rhai::Engine::new)
}

fn can_more_input_fix(err: &ParseError, last_token_end: Option<TextPosition>) -> bool {
    let position = err.position();
    let after_last_token = match (position.line(), last_token_end) {
        (None, _) | (_, None) => true,
        (Some(line), Some(last)) => (line, position.position().unwrap_or(0)) > last,
    };
    match err.err_type() {
        ParseErrorType::UnexpectedEOF => true,
        ParseErrorType::MissingToken(..)
        | ParseErrorType::MissingSymbol(..)
        | ParseErrorType::ExprExpected(..)
        | ParseErrorType::VariableExpected
        | ParseErrorType::PropertyExpected
        | ParseErrorType::FnMissingName
        | ParseErrorType::FnMissingParams(..)
        | ParseErrorType::FnMissingBody(..) => after_last_token,
        _ => false,
    }
}

/// Outcome of a lexical scan: the state at the end of the script.
#[derive(Debug, PartialEq, Eq)]
enum ScanEnd {
    /// The script ends inside a literal or a block comment.
    InsideLiteral,
    /// A string or character literal is cut by a line break, which Rhai rejects.
    BrokenLiteral,
    /// The script ends in code. Its last character outside comments and whitespace
    /// is at `last_token_end`, which is `None` for an empty script.
    Code {
        last_token_end: Option<TextPosition>,
    },
}

/// Scanner context: code (possibly inside `${...}` of a back-tick string, counting
/// the braces opened there) or the text of a back-tick string.
enum Context {
    Code { open_braces: usize },
    BacktickText,
}

/// Scans `script` for comments and string literals, the parts of Rhai's lexical
/// syntax that decide whether the end of the text lies inside a literal.
///
/// NOTE: this re-implements Rhai 1.27's rules for nested `/* */` comments, strings
/// with escapes and `\` line continuation, character literals, back-tick strings with
/// `${}` interpolation and raw strings (`#"..."#`). A literal that it wrongly sees as
/// open turns a complete script into "incomplete"; other misjudgments can only swap
/// "incomplete" and "invalid".
fn scan(script: &str) -> ScanEnd {
    let mut cursor = Cursor::new(script);
    let mut contexts = vec![Context::Code { open_braces: 0 }];
    let mut last_token_end = None;

    while let Some((current, position)) = cursor.next() {
        if matches!(contexts.last(), Some(Context::BacktickText)) {
            match current {
                '`' => {
                    contexts.pop();
                }
                '$' if cursor.peek() == Some('{') => {
                    cursor.next();
                    contexts.push(Context::Code { open_braces: 0 });
                }
                _ => {}
            }
            last_token_end = Some(position);
            continue;
        }

        match current {
            c if c.is_whitespace() => continue,
            '/' if cursor.peek() == Some('/') => {
                cursor.skip_line();
                continue;
            }
            '/' if cursor.peek() == Some('*') => {
                cursor.next();
                if !cursor.skip_block_comment() {
                    return ScanEnd::InsideLiteral;
                }
                continue;
            }
            _ => {}
        }

        let literal_end = match current {
            '"' => cursor.skip_quoted('"'),
            '\'' => cursor.skip_quoted('\''),
            '#' if matches!(cursor.peek(), Some('#' | '"')) => cursor.skip_raw_string(),
            '`' => {
                contexts.push(Context::BacktickText);
                LiteralEnd::Closed(position)
            }
            '{' => {
                if let Some(Context::Code { open_braces }) = contexts.last_mut() {
                    *open_braces += 1;
                }
                LiteralEnd::Closed(position)
            }
            '}' => {
                let inside_interpolation = contexts.len() > 1;
                match contexts.last_mut() {
                    Some(Context::Code { open_braces }) if *open_braces > 0 => *open_braces -= 1,
                    Some(Context::Code { .. }) if inside_interpolation => {
                        contexts.pop();
                    }
                    _ => {}
                }
                LiteralEnd::Closed(position)
            }
            _ => LiteralEnd::Closed(position),
        };
        match literal_end {
            LiteralEnd::Closed(end) => last_token_end = Some(end),
            LiteralEnd::Broken => return ScanEnd::BrokenLiteral,
            LiteralEnd::Open => return ScanEnd::InsideLiteral,
        }
    }

    if contexts.len() > 1 {
        ScanEnd::InsideLiteral
    } else {
        ScanEnd::Code { last_token_end }
    }
}

/// Outcome of skipping a literal.
enum LiteralEnd {
    /// It was closed; its last character is here.
    Closed(TextPosition),
    /// A line break cut it, which Rhai rejects whatever follows.
    Broken,
    /// The script ended inside it, and more lines can close it.
    Open,
}

/// Walks the characters of a script, tracking Rhai-style line and column numbers.
struct Cursor<'a> {
    characters: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
}

impl<'a> Cursor<'a> {
    fn new(script: &'a str) -> Self {
        Self {
            characters: script.chars().peekable(),
            line: 1,
            column: 0,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.characters.peek().copied()
    }

    /// Returns the next character and its position; a line break counts as the
    /// last character of its line.
    fn next(&mut self) -> Option<(char, TextPosition)> {
        let current = self.characters.next()?;
        self.column += 1;
        let position = (self.line, self.column);
        if current == '\n' {
            self.line += 1;
            self.column = 0;
        }
        Some((current, position))
    }

    fn skip_line(&mut self) {
        while let Some((current, _)) = self.next() {
            if current == '\n' {
                break;
            }
        }
    }

    /// Skips a block comment after its opening `/*`; returns false at the end of the
    /// script inside the comment. Rhai block comments nest.
    fn skip_block_comment(&mut self) -> bool {
        let mut depth = 1;
        while let Some((current, _)) = self.next() {
            match (current, self.peek()) {
                ('/', Some('*')) => {
                    self.next();
                    depth += 1;
                }
                ('*', Some('/')) => {
                    self.next();
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Skips a double-quoted string or a character literal after its opening quote.
    /// Only a string continues past a line break, and only after a `\`.
    fn skip_quoted(&mut self, quote: char) -> LiteralEnd {
        let is_string = quote == '"';
        while let Some((current, position)) = self.next() {
            match current {
                '\\' => match self.next() {
                    Some(('\n', _)) if !is_string => return LiteralEnd::Broken,
                    Some(_) => {}
                    None => return LiteralEnd::Open,
                },
                '\n' => return LiteralEnd::Broken,
                c if c == quote => return LiteralEnd::Closed(position),
                _ => {}
            }
        }
        LiteralEnd::Open
    }

    /// Skips a raw string such as `#"text"#` after its first `#`.
    fn skip_raw_string(&mut self) -> LiteralEnd {
        let mut hashes = 1;
        while self.peek() == Some('#') {
            self.next();
            hashes += 1;
        }
        if self.peek() != Some('"') {
            return LiteralEnd::Closed((self.line, self.column));
        }
        self.next();
        while let Some((current, _)) = self.next() {
            if current != '"' {
                continue;
            }
            let mut closing = 0;
            while closing < hashes && self.peek() == Some('#') {
                self.next();
                closing += 1;
            }
            if closing == hashes {
                return LiteralEnd::Closed((self.line, self.column));
            }
        }
        LiteralEnd::Open
    }
}
