"""Type stubs for `nodes._rhai`, the PyO3 binding of the Rhai scripting engine (rhai 1.27).

Value conversion, both ways:

========================  =======================================================
Rhai                      Python
========================  =======================================================
INT (i64)                 int; an int outside i64 raises OverflowError
FLOAT (f64)               float
bool                      bool
string                    str
char                      one-letter str (Python to Rhai gives a string)
()                        None
Array                     list (a tuple also converts to an Array)
Map                       dict with str keys; other keys raise TypeError
Blob                      bytes (bytearray also converts to a Blob)
timestamp                 float seconds elapsed since the timestamp was taken
function pointer          its function name as str
PyObject                  the same Python object that was passed in
other custom types        their to_string() text
========================  =======================================================

Any Python object without a Rhai equivalent becomes an opaque Rhai value of type
"PyObject", which scripts can pass around, print (via Python `str()`), and compare
with `==` and `!=` (via Python `==`). Data nested more than 256 levels deep (or a
container that contains itself) raises ValueError.
"""

from collections.abc import Callable
from typing import final

class RhaiError(Exception):
    """An error from the Rhai engine while compiling or running a script.

    When the error happened inside a script-defined function, Rhai wraps it in
    ErrorInFunctionCall (or ErrorInModule). This class reports the innermost error:
    `kind`, `line` and `column` are where it was raised, and `message` ends with one
    line per wrapping call, innermost first, such as
    "in call to function 'add' (line 4, position 1)".

    When a registered Python function raised, that exception is the `__cause__`.

    str(exc) reads like "ErrorVariableNotFound: Variable not found: x (line 2, position 5)",
    with the parse error's kind in brackets after ErrorParsing.
    """

    kind: str
    """Rhai's `EvalAltResult` variant name, such as "ErrorParsing", "ErrorRuntime",
    "ErrorVariableNotFound", "ErrorArithmetic", "ErrorTerminated" or
    "ErrorTooManyOperations"."""
    message: str
    """Rhai's message text without the error's position."""
    line: int | None
    """1-based line of the error, None when Rhai gives no position."""
    column: int | None
    """1-based column of the error, None when Rhai gives no position."""
    parse_error: str | None
    """For "ErrorParsing": Rhai's `ParseErrorType` variant name, such as "MissingToken"."""

def parse_status(script: str) -> str:
    """Classify console input as "complete", "incomplete" or "invalid".

    "incomplete" means the script ends inside a block comment, a string or character
    literal, or `${...}` interpolation, or that it stops before a closing token, an
    expression or a function body. Other syntax errors make it "invalid", and so does
    a string cut by a line break before the end of the script.
    """

@final
class Engine:
    """A Rhai engine with limits, Python callbacks and cancellation.

    It is Rhai's `Engine::new()` except that `import` resolves no modules (no file
    is read) and `print`/`debug` output is discarded until a callback is set.
    Scripts run with the GIL released; callbacks and registered functions take it.
    One engine may run scripts on several threads at once.
    """

    def __init__(
        self,
        *,
        max_operations: int = 0,
        max_call_levels: int | None = None,
        max_expr_depth: int | None = None,
        max_function_expr_depth: int | None = None,
        max_string_size: int = 0,
        max_array_size: int = 0,
        max_map_size: int = 0,
    ) -> None:
        """Create an engine.

        A limit of 0 for operations or sizes means unlimited. None keeps Rhai's default
        for call levels (64 in release builds) and expression depths (64, and 32
        inside functions); for the depths, 0 means unlimited.
        """

    def register_fn(self, name: str, func: Callable[..., object], arity: int) -> None:
        """Register `func` as the Rhai function `name` taking `arity` arguments of any type.

        Arguments convert to Python and the return value converts back. An exception
        raised by `func` becomes an "ErrorRuntime" with the message
        "ExceptionType: message" (reported as the innermost error when the call was
        inside a script function). Registering the same name and arity again replaces
        the function. Raises TypeError when `func` is not callable.
        """

    def set_print(self, callback: Callable[[str], None] | None) -> None:
        """Send each line of Rhai's `print` to `callback(text)` as it happens; None discards them.

        An exception from the callback does not stop the script: it is logged as a
        warning on the "nodes.rhai" logger (the first failure, then every 1000th).
        """

    def set_debug(
        self, callback: Callable[[str, int | None, int | None], None] | None
    ) -> None:
        """Send each line of Rhai's `debug` to `callback(text, line, column)`; None discards them.

        Exceptions are logged like those of the print callback.
        """

    def eval(self, script: str, session: Session | None = None) -> object:
        """Evaluate `script` and return its value converted to Python."""

    def evaluate(self, script: str, session: Session | None = None) -> Evaluation:
        """Evaluate `script` and return its value with Rhai's type name and display text."""

    def run(self, script: str, session: Session | None = None) -> None:
        """Run `script` for its effects."""

    def eval_expression(self, script: str) -> object:
        """Evaluate a single expression (no statements) and return its value."""

    def compile(self, script: str) -> None:
        """Parse `script` without running it; raise RhaiError ("ErrorParsing") when invalid."""

    def compile_expression(self, script: str) -> None:
        """Parse a single expression without running it."""

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop running scripts with "ErrorTerminated" whose message contains `reason`.

        Callable from any thread. The request stays in force: every later script on
        this engine stops at once until `reset_cancel()`.

        Ctrl-C (SIGINT) does not stop a script: Python runs signal handlers only
        between bytecodes of the main thread, which waits inside `eval` meanwhile.
        To make scripts interruptible, run them on a worker thread and call `cancel`
        from the thread that handles the interrupt.
        """

    def reset_cancel(self) -> None:
        """Withdraw a cancel request so scripts can run again."""

    @property
    def cancelled(self) -> bool:
        """Whether a cancel request is in force."""

@final
class Evaluation:
    """The result of `Engine.evaluate` (read-only)."""

    value: object
    """The result converted to Python."""
    type_name: str
    """Rhai's type name of the result, such as "i64", "map", "array", "string" or "()"."""
    text: str
    """The result as Rhai's debug format shows it, such as `#{"a": 1}`, `"hi"` or `'c'`."""

@final
class Session:
    """A REPL-like notebook session: the Scope and functions kept between evaluations.

    Top-level `let` and `const` of a script stay defined for later scripts, and so
    do its functions, even when running the script failed after they were defined.
    A redefinition (same name and number of parameters) replaces the old function.
    A session may be used from several threads; scripts on it run one at a time.
    A registered Python function must not use the session its script runs in
    (that raises RuntimeError).
    """

    def __init__(self) -> None: ...
    def variables(self) -> dict[str, object]:
        """Return the variables converted to Python, in definition order."""

    def functions(self) -> list[str]:
        """Return the signatures of the script-defined functions, such as "add(a, b)", sorted."""

    def set(self, name: str, value: object) -> None:
        """Set a variable, adding it when missing; a constant of that name is shadowed.

        Raises ValueError for a name that is not a Rhai identifier (letters, digits
        and underscores, not starting with a digit).
        """

    def get(self, name: str) -> object:
        """Return a variable converted to Python; raise KeyError naming it when undefined."""

    def __contains__(self, name: str) -> bool: ...
    def clear(self) -> None:
        """Remove all variables and functions."""
