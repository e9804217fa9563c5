"""Type stubs for `nodes._rhai`, the PyO3 binding of the Rhai scripting engine (rhai 1.27).

Value conversion, both ways:

========================  =======================================================
Rhai                      Python
========================  =======================================================
INT (i64)                 int; an int outside i64 raises OverflowError
FLOAT (f64)               float
bool                      bool
string                    str (a plain one-letter str is a string too)
char                      nodes.rhai.Char, a str subclass of one character
()                        None
Array                     list (a tuple also converts to an Array)
Map                       dict with str keys; other keys raise TypeError
Blob                      bytes (bytearray also converts to a Blob)
timestamp                 Timestamp
function pointer          FnPtr
PyObject                  the object wrapped by Opaque(object), unwrapped
other custom types        their to_string() text (one way only)
========================  =======================================================

Any other Python value (a set, complex, datetime or arbitrary object) raises
TypeError. Wrap it in `Opaque(value)` to pass it through Rhai as the type "PyObject".
Data nested more than 256 levels deep (or a container that contains itself) raises
ValueError.
"""

from collections.abc import Callable, Iterable
from typing import final

class RhaiError(Exception):
    """An error from the Rhai engine while compiling or running a script.

    When the error happened inside a script-defined function, Rhai wraps it in
    ErrorInFunctionCall (or ErrorInModule). This class reports the innermost error:
    `kind`, `line` and `column` are where it was raised. `trace` lists the wrapping
    errors, and `message` ends with one line per wrapping error, innermost first,
    such as "in ErrorInFunctionCall 'add' (line 4, position 1)".

    When a registered Python function raised, that exception is the `__cause__`.

    str(exc) reads like "ErrorVariableNotFound: Variable not found: x (line 2, position 5)",
    with the parse error's kind in brackets after ErrorParsing, followed by the lines
    of the wrapping errors.

    When the error exceeded a limit of the engine, `limit` names it and `message`
    gives its value and what to change, such as "Too many operations: the script
    exceeded max_operations (500); pass a larger max_operations to Engine, ...".
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
    trace: list[tuple[str, str, int | None, int | None]]
    """The wrapping errors, innermost first, as (kind, name, line, column).

    kind is "ErrorInFunctionCall" (name is the function's; closures have names that
    start with "anon$") or "ErrorInModule" (name is the module's). Line and column are
    those of the call, 1-based, or None when Rhai gives no position.
    """
    limit: str | None
    """The engine limit that the error exceeded, else None.

    "max_operations" for ErrorTooManyOperations, "max_call_levels" for
    ErrorStackOverflow, "max_string_size", "max_array_size" (arrays and BLOBs) or
    "max_map_size" for ErrorDataTooLarge, and "max_expr_depth" or
    "max_function_expr_depth" for the parse error ExprTooDeep.
    """

@final
class Timestamp:
    """A Rhai timestamp (from `timestamp()`): an instant of this process's monotonic clock.

    It converts back to the same Rhai timestamp within the process. Pickling stores
    only `elapsed`, so unpickling (here or in another process) gives a timestamp
    taken that many seconds before the moment of unpickling. Equal and hashable by
    instant.
    """

    def __init__(self, elapsed: float = 0.0) -> None:
        """Create the timestamp taken `elapsed` seconds ago; a negative value is in the future.

        Raises ValueError when that instant lies outside this host's monotonic clock
        (which on Linux starts at boot).
        """

    @property
    def elapsed(self) -> float:
        """Seconds since the timestamp was taken, measured now; negative when in the future."""

@final
class FnPtr:
    """A Rhai function pointer (from `Fn("name")`, `.curry(...)` or a closure).

    It converts back to a Rhai function pointer, so a script can `call` it again.
    A pointer to a closure has a name starting with "anon$". It converts back only
    while it is the object that came from Rhai: one built from its name (such as
    by unpickling) raises ValueError on conversion, because Rhai accepts such names
    only from its own closures.
    """

    def __init__(self, name: str, curried: Iterable[object] | None = None) -> None:
        """Create a pointer to the function `name` with `curried` leading arguments.

        The curried values are converted to Rhai at once, so an unconvertible value
        raises TypeError here. A name that Rhai rejects as a function name raises
        ValueError when the pointer converts to Rhai. Whether the function exists is
        checked only when a script calls the pointer.
        """

    @property
    def name(self) -> str:
        """The name of the function that the pointer calls."""

    @property
    def curried(self) -> list[object]:
        """The curried arguments converted to Python, in a new list on each access."""

@final
class Opaque:
    """A Python object passed through Rhai unchanged, as the Rhai type "PyObject".

    Scripts can store it, pass it to registered functions, print it (using Python's
    `str()`) and compare it with `==` and `!=` (using Python's `==`). Converting it
    back to Python returns `value` itself, not this wrapper. It pickles when `value`
    does.
    """

    value: object
    """The wrapped object."""

    def __init__(self, value: object) -> None: ...

@final
class FunctionInfo:
    """A function that scripts can call, as Rhai's metadata describes it (read-only, picklable)."""

    name: str
    """The function name, such as "len", or "get$len" for a property getter."""
    params: list[str]
    """One display text per parameter, such as "key: string", "x" or "_: i64"."""
    signature: str
    """The signature as Rhai prints it, such as "db_get(key: string) -> ?" or "add(a, b)"."""
    doc: str
    """The doc comment without its `///` or `/** */` markers, or "" when there is none."""
    origin: str
    """"builtin" (Rhai's standard packages and this binding), "registered" (a Python
    function from `Engine.register_fn`) or "script" (defined by a session's script)."""

    def __init__(
        self, name: str, params: list[str], signature: str, doc: str, origin: str
    ) -> None: ...

def parse_status(script: str) -> str:
    """Classify console input as "complete", "incomplete" or "invalid".

    "incomplete" means the script ends inside a block comment, a string or character
    literal, or `${...}` interpolation, or that it stops before a closing token, an
    expression or a function body. Other syntax errors make it "invalid", and so does
    a string cut by a line break before the end of the script.
    """

@final
class Engine:
    """A Rhai engine with limits, Python callbacks, modules and cancellation.

    It is Rhai's `Engine::new()` except that `import` resolves only the modules
    added with `register_module` (no file is read) and `print`/`debug` output is
    discarded until a callback is set.
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

    def register_fn(
        self,
        name: str,
        func: Callable[..., object],
        arity: int,
        *,
        params: list[str] | None = None,
        doc: str | None = None,
    ) -> None:
        """Register `func` as the Rhai function `name` taking `arity` arguments of any type.

        Arguments convert to Python and the return value converts back. An `Opaque`
        argument arrives unwrapped, so `func` returns `Opaque(obj)` to hand such an
        object back (returning `obj` itself raises the TypeError for unconvertible
        values). An exception raised by `func` becomes an "ErrorRuntime" with the
        message "ExceptionType: message" (reported as the innermost error when the
        call was inside a script function). Registering the same name and arity
        again replaces the function. Raises TypeError when `func` is not callable.

        `arity` may be at most 16. Rhai 1.27 finds a function whose arguments may
        have any type only up to 16 arguments, so a larger arity raises ValueError.

        `params` gives one display name per argument, such as "key: string", and
        `doc` the doc comment; `functions()` shows both, with the signature
        "name(key: string) -> ?". Without `params` each argument shows as "_".
        Raises ValueError when `params` does not have `arity` entries.
        """

    def register_module(self, name: str, source: str) -> None:
        """Compile `source` as a Rhai module and make `import "name" as m;` resolve to it.

        The module's top-level statements run once, now, on this engine (with its
        limits, callbacks and registered functions, and with the GIL released).
        Scripts then see its exported variables and constants (`m::ANSWER`) and its
        non-private functions (`m::triple(2)`). A module may import modules
        registered before it. Registering a name again replaces the module for later
        imports. Raises RhaiError when `source` fails to compile or run, and
        ValueError for an empty name.
        """

    def functions(self) -> list[FunctionInfo]:
        """List every function that scripts on this engine can call by name.

        These are the functions of Rhai's standard packages (operators and property
        getters such as "get$len" included), the PyObject helpers of this binding
        (origin "builtin") and the Python functions from `register_fn` (origin
        "registered"), sorted by name and number of parameters. Functions of
        registered modules are not listed, because scripts reach them through
        `import`.
        """

    def limits(self) -> dict[str, int]:
        """Return the effective limits by name.

        The keys are those of `__init__`: max_operations, max_call_levels,
        max_expr_depth, max_function_expr_depth, max_string_size, max_array_size
        and max_map_size. Limits left as None at creation show Rhai's default.
        0 means unlimited, except for max_call_levels, where 0 allows no call of a
        script-defined function.
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

    To rebuild a session in another process, save `variables()`, `constants()` and
    `function_sources()`. In a new Session, first `set()` each variable (with
    `constant=True` for the constants), then call `load_functions()` with each
    source in the saved order. Setting the constants first matters, because Rhai's
    optimizer puts the values of constants defined before a function into its body,
    as it did when the scripts first ran. Values without a stored form (Opaque
    objects, timestamps, closures) are the caller's to handle.
    """

    def __init__(self) -> None: ...
    def variables(self) -> dict[str, object]:
        """Return the variables converted to Python, in definition order."""

    def functions(self) -> list[str]:
        """Return the signatures of the script-defined functions, such as "add(a, b)", sorted."""

    def function_info(self) -> list[FunctionInfo]:
        """Describe the script-defined functions, sorted by name and number of parameters.

        Each has origin "script", its parameter names as `params` and its `///` or
        `/** */` doc comment as `doc`. Closures are left out.
        """

    def function_sources(self) -> list[str]:
        """Return the source texts of the scripts that defined the current functions.

        They are in the order in which they must be replayed with `load_functions`.
        A script whose functions were all redefined by later scripts is left out,
        and so is a script that defined no function.
        """

    def load_functions(self, engine: Engine, source: str) -> None:
        """Compile `source` with `engine` and add its functions, without running any statement.

        The session ends up with the functions it would have after running `source`,
        and `source` is recorded in `function_sources()`. Raises RhaiError when
        `source` does not compile.
        """

    def constants(self) -> list[str]:
        """Return the names of the constants, in definition order."""

    def set(self, name: str, value: object, *, constant: bool = False) -> None:
        """Set a variable, or define a constant with `constant=True`.

        A missing variable is added. A variable set without `constant` replaces
        the value of a variable of that name, and shadows a constant of that name,
        as a script's `let` would. With `constant=True` the name always becomes a
        new constant, as a script's `const` would.

        Raises ValueError for a name that is not a Rhai identifier (letters, digits
        and underscores, not starting with a digit), and TypeError for a value that
        has no Rhai counterpart.
        """

    def get(self, name: str) -> object:
        """Return a variable converted to Python; raise KeyError naming it when undefined."""

    def __contains__(self, name: str) -> bool: ...
    def clear(self) -> None:
        """Remove all variables and functions."""
