"""The Engine of the nodes._rhai binding: evaluation, errors, callbacks, limits and threads."""

import logging
import pickle
import subprocess
import sys
import threading

import pytest

from nodes.rhai import Engine, Evaluation, RhaiError


@pytest.fixture
def engine():
    return Engine()


def test_eval_returns_value(engine):
    assert engine.eval("let x = 40; x + 2") == 42


def test_run_returns_none(engine):
    assert engine.run("let x = 1; x + 1") is None


def test_eval_expression_returns_value(engine):
    assert engine.eval_expression("1 + 2 * 3") == 7


def test_eval_expression_rejects_statements(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval_expression("let x = 1;")
    assert caught.value.kind == "ErrorParsing"


def test_compile_accepts_valid_script(engine):
    assert engine.compile("fn f(x) { x + 1 } f(1)") is None


def test_compile_does_not_run(engine):
    engine.compile("undefined_variable + 1")


def test_compile_expression_rejects_statements(engine):
    with pytest.raises(RhaiError) as caught:
        engine.compile_expression("if x { 1 } else { 2 }; 3")
    assert caught.value.kind == "ErrorParsing"


@pytest.mark.parametrize(
    ("script", "type_name", "text"),
    [
        ('#{"a": 1, "b": [1, 2]}', "map", '#{"a": 1, "b": [1, 2]}'),
        ('"hi"', "string", '"hi"'),
        ("'c'", "char", "'c'"),
        ("42", "i64", "42"),
        ("3.5", "f64", "3.5"),
        ("()", "()", "()"),
        ("[1, [true]]", "array", "[1, [true]]"),
    ],
)
def test_evaluate_type_name_and_text(engine, script, type_name, text):
    evaluation = engine.evaluate(script)
    assert isinstance(evaluation, Evaluation)
    assert evaluation.type_name == type_name
    assert evaluation.text == text


def test_evaluate_value_is_converted(engine):
    assert engine.evaluate("#{a: [1, 2]}").value == {"a": [1, 2]}


def test_evaluation_is_frozen(engine):
    evaluation = engine.evaluate("1")
    with pytest.raises(AttributeError):
        evaluation.value = 2


def test_syntax_error_fields(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval("let x = 1;\nlet y = (x + 2;")
    error = caught.value
    assert error.kind == "ErrorParsing"
    assert error.parse_error == "MissingToken"
    assert error.line == 2
    assert error.column == 15
    assert error.message.startswith("Syntax error: Expecting ')'")
    assert str(error).startswith("ErrorParsing (MissingToken): Syntax error:")
    assert str(error).endswith("(line 2, position 15)")


def test_runtime_error_fields(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval("let a = 1;\nlet b = missing + 1;")
    error = caught.value
    assert error.kind == "ErrorVariableNotFound"
    assert error.message == "Variable not found: missing"
    assert error.line == 2
    assert error.column == 9
    assert error.parse_error is None
    assert (
        str(error)
        == "ErrorVariableNotFound: Variable not found: missing (line 2, position 9)"
    )


def test_arithmetic_error_kind(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval("1 / 0")
    assert caught.value.kind == "ErrorArithmetic"


def test_throw_is_runtime_error(engine):
    with pytest.raises(RhaiError) as caught:
        engine.run('throw "custom failure"')
    assert caught.value.kind == "ErrorRuntime"
    assert caught.value.message == "Runtime error: custom failure"


def test_error_in_function_reports_innermost(engine):
    script = "fn inner(x) {\n  x / 0\n}\nfn outer() { inner(1) }\nouter()"
    with pytest.raises(RhaiError) as caught:
        engine.eval(script)
    error = caught.value
    assert error.kind == "ErrorArithmetic"
    assert error.line == 2
    assert error.column == 5
    assert "in ErrorInFunctionCall 'inner' (line 4, position 14)" in error.message
    assert "in ErrorInFunctionCall 'outer' (line 5, position 1)" in error.message


def test_error_trace_lists_wrapping_calls(engine):
    script = "fn inner(x) {\n  x / 0\n}\nfn outer() { inner(1) }\nouter()"
    with pytest.raises(RhaiError) as caught:
        engine.eval(script)
    assert caught.value.trace == [
        ("ErrorInFunctionCall", "inner", 4, 14),
        ("ErrorInFunctionCall", "outer", 5, 1),
    ]


def test_error_str_names_wrapping_kinds(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval("fn inner(x) {\n  x / 0\n}\nfn outer() { inner(1) }\nouter()")
    assert str(caught.value).splitlines() == [
        "ErrorArithmetic: Division by zero: 1 / 0 (line 2, position 5)",
        "in ErrorInFunctionCall 'inner' (line 4, position 14)",
        "in ErrorInFunctionCall 'outer' (line 5, position 1)",
    ]


def test_error_trace_of_closure_call(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval("let f = |x| x / 0;\nf.call(1)")
    (kind, name, line, column) = caught.value.trace[0]
    assert kind == "ErrorInFunctionCall"
    assert name.startswith("anon$")
    assert (line, column) == (2, 3)
    assert "in ErrorInFunctionCall of a closure" in str(caught.value)


def test_error_without_wrapping_has_empty_trace(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval("missing")
    assert caught.value.trace == []
    assert caught.value.limit is None


def test_rhai_error_is_exception(engine):
    assert issubclass(RhaiError, Exception)
    with pytest.raises(RhaiError):
        engine.eval("nope")


def test_rhai_error_pickles(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval("nope")
    restored = pickle.loads(pickle.dumps(caught.value))
    assert type(restored) is RhaiError
    assert restored.kind == "ErrorVariableNotFound"
    assert restored.line == 1
    assert str(restored) == str(caught.value)


def test_rhai_error_pickles_trace_and_limit():
    with pytest.raises(RhaiError) as caught:
        Engine().run("fn fail() { throw 1 }\nfail()")
    restored = pickle.loads(pickle.dumps(caught.value))
    assert restored.trace == [("ErrorInFunctionCall", "fail", 2, 1)]
    with pytest.raises(RhaiError) as caught:
        Engine(max_operations=100).run("loop {}")
    restored = pickle.loads(pickle.dumps(caught.value))
    assert restored.limit == "max_operations"


def test_import_of_file_path_fails(engine, tmp_path):
    module_file = tmp_path / "secret.rhai"
    module_file.write_text("export const VALUE = 42;")
    script = f'import "{module_file.with_suffix("")}" as secret; secret::VALUE'
    with pytest.raises(RhaiError) as caught:
        engine.eval(script)
    assert caught.value.kind == "ErrorModuleNotFound"


def test_print_and_debug_callbacks_in_order(engine):
    events = []
    engine.set_print(lambda text: events.append(("print", text)))
    engine.set_debug(
        lambda text, line, column: events.append(("debug", text, line, column))
    )
    engine.run('print("one");\ndebug("two");\nprint(3);')
    assert events == [
        ("print", "one"),
        ("debug", '"two"', 2, 1),
        ("print", "3"),
    ]


def test_print_without_callback_is_discarded(engine, capfd):
    engine.run('print("nowhere"); debug("nowhere")')
    captured = capfd.readouterr()
    assert "nowhere" not in captured.out
    assert "nowhere" not in captured.err


def test_print_callback_can_be_removed(engine):
    lines = []
    engine.set_print(lines.append)
    engine.run('print("kept")')
    engine.set_print(None)
    engine.run('print("dropped")')
    assert lines == ["kept"]


def test_failing_print_callback_is_logged(engine, caplog):
    def broken(text):
        raise RuntimeError(f"cannot show {text}")

    engine.set_print(broken)
    with caplog.at_level(logging.WARNING, logger="nodes.rhai"):
        result = engine.eval('print("a"); print("b"); 7')
    assert result == 7
    records = [record for record in caplog.records if record.name == "nodes.rhai"]
    assert len(records) == 1
    assert "print callback" in records[0].getMessage()
    assert records[0].exc_info[0] is RuntimeError


def test_registered_function_called_from_script(engine):
    calls = []

    def scale(value, factor):
        calls.append((value, factor))
        return value * factor

    engine.register_fn("scale", scale, 2)
    assert engine.eval("scale(21, 2)") == 42
    assert engine.eval("7.scale(3)") == 21
    assert calls == [(21, 2), (7, 3)]


def test_registered_function_accepts_any_type(engine):
    engine.register_fn("kind_of", lambda value: type(value).__name__, 1)
    assert engine.eval(
        '[kind_of(1), kind_of("s"), kind_of([1]), kind_of(#{}), kind_of(())]'
    ) == [
        "int",
        "str",
        "list",
        "dict",
        "NoneType",
    ]


def test_registered_function_with_no_arguments(engine):
    engine.register_fn("answer", lambda: 42, 0)
    assert engine.eval("answer() + 0") == 42


def test_registered_function_replaced(engine):
    engine.register_fn("pick", lambda: "first", 0)
    engine.register_fn("pick", lambda: "second", 0)
    assert engine.eval("pick()") == "second"


def test_registered_function_method_call_keeps_object(engine):
    engine.register_fn("total", sum, 1)
    assert engine.eval("let a = [1, 2, 3]; let t = a.total(); [t, a]") == [6, [1, 2, 3]]


def test_registered_function_exception_becomes_rhai_error(engine):
    def reject(value):
        raise ValueError(f"rejected {value}")

    engine.register_fn("reject", reject, 1)
    with pytest.raises(RhaiError) as caught:
        engine.eval("let x = 5;\nreject(x)")
    error = caught.value
    assert error.kind == "ErrorRuntime"
    assert "ValueError: rejected 5" in error.message
    assert error.line == 2
    assert isinstance(error.__cause__, ValueError)


def test_registered_function_exception_inside_script_function(engine):
    engine.register_fn("fail", lambda: {}["missing"], 0)
    with pytest.raises(RhaiError) as caught:
        engine.eval("fn wrapper() { fail() }\nwrapper()")
    error = caught.value
    assert error.kind == "ErrorRuntime"
    assert "KeyError: 'missing'" in error.message
    assert "in ErrorInFunctionCall 'wrapper'" in error.message


def test_registered_function_exception_can_be_caught_in_script(engine):
    engine.register_fn("fail", lambda: 1 / 0, 0)
    script = 'let outcome = ""; try { fail() } catch (err) { outcome = `caught: ${err}` } outcome'
    assert engine.eval(script) == "caught: ZeroDivisionError: division by zero"


def test_register_fn_rejects_non_callable(engine):
    with pytest.raises(TypeError, match="needs a callable"):
        engine.register_fn("nope", 42, 0)


def test_registered_function_may_evaluate_on_same_engine(engine):
    engine.register_fn("inner_eval", lambda code: engine.eval(code), 1)
    assert engine.eval('inner_eval("20 + 1") * 2') == 42


def test_max_operations_limit(engine):
    limited = Engine(max_operations=500)
    with pytest.raises(RhaiError) as caught:
        limited.run("loop {}")
    error = caught.value
    assert error.kind == "ErrorTooManyOperations"
    assert error.limit == "max_operations"
    assert "exceeded max_operations (500)" in error.message
    assert "pass a larger max_operations to Engine" in str(error)


def test_max_call_levels_limit():
    limited = Engine(max_call_levels=5)
    with pytest.raises(RhaiError) as caught:
        limited.run("fn down(n) { if n > 0 { down(n - 1) } } down(10)")
    error = caught.value
    assert error.kind == "ErrorStackOverflow"
    assert error.limit == "max_call_levels"
    assert "exceeded max_call_levels (5)" in error.message


def test_default_call_levels_are_release_defaults(engine):
    # Rhai 1.27 allows 64 call levels in release builds and 8 in debug builds.
    assert (
        engine.eval("fn down(n) { if n > 0 { down(n - 1) } else { 0 } } down(50)") == 0
    )


@pytest.mark.parametrize(
    ("options", "script"),
    [
        ({"max_string_size": 5}, 'let s = "abc"; s += "defgh"; s'),
        ({"max_array_size": 3}, "let a = [1, 2]; a.push(3); a.push(4); a"),
        ({"max_array_size": 3}, "blob(10)"),
        ({"max_map_size": 1}, "let m = #{a: 1}; m.b = 2; m"),
    ],
)
def test_size_limits(options, script):
    ((limit, value),) = options.items()
    with pytest.raises(RhaiError) as caught:
        Engine(**options).eval(script)
    error = caught.value
    assert error.kind == "ErrorDataTooLarge"
    assert error.limit == limit
    assert f"exceeded {limit} ({value})" in error.message


def test_max_expr_depth_limit():
    with pytest.raises(RhaiError) as caught:
        Engine(max_expr_depth=3).compile("((((((1))))))")
    error = caught.value
    assert error.parse_error == "ExprTooDeep"
    assert error.limit == "max_expr_depth"
    assert "exceeded max_expr_depth (3)" in error.message


def test_max_function_expr_depth_limit():
    with pytest.raises(RhaiError) as caught:
        Engine(max_function_expr_depth=3).eval("fn f() { ((((((1)))))) }\nf()")
    error = caught.value
    assert error.parse_error == "ExprTooDeep"
    assert error.limit == "max_function_expr_depth"
    assert "exceeded max_function_expr_depth (3)" in error.message


@pytest.mark.parametrize(
    ("options", "script"),
    [
        ({"max_string_size": 4}, '"12345"'),
        ({"max_array_size": 2}, "[1, 2, 3]"),
        ({"max_map_size": 1}, "#{a: 1, b: 2}"),
    ],
)
def test_literal_too_large_names_limit(options, script):
    ((limit, value),) = options.items()
    with pytest.raises(RhaiError) as caught:
        Engine(**options).compile(script)
    error = caught.value
    assert error.parse_error == "LiteralTooLarge"
    assert error.limit == limit
    assert f"exceeded {limit} ({value})" in error.message


def test_limit_error_inside_function_is_not_wrapped():
    # Rhai passes limit errors through function calls without ErrorInFunctionCall.
    with pytest.raises(RhaiError) as caught:
        Engine(max_string_size=8).eval('fn grow(s) { s + "12345" }\ngrow("1234")')
    error = caught.value
    assert error.limit == "max_string_size"
    assert error.trace == []


def test_limits_defaults(engine):
    assert engine.limits() == {
        "max_operations": 0,
        "max_call_levels": 64,
        "max_expr_depth": 64,
        "max_function_expr_depth": 32,
        "max_string_size": 0,
        "max_array_size": 0,
        "max_map_size": 0,
    }


def test_limits_show_options():
    options = {
        "max_operations": 1000,
        "max_call_levels": 7,
        "max_expr_depth": 20,
        "max_function_expr_depth": 10,
        "max_string_size": 100,
        "max_array_size": 50,
        "max_map_size": 25,
    }
    assert Engine(**options).limits() == options


def test_limits_zero_depth_is_unlimited():
    limits = Engine(max_expr_depth=0, max_function_expr_depth=0).limits()
    assert limits["max_expr_depth"] == 0
    assert limits["max_function_expr_depth"] == 0


def test_engine_options_are_keyword_only():
    with pytest.raises(TypeError):
        Engine(100)


def run_in_thread(engine, script):
    """Start `engine.run(script)` on a thread; return it and a dict that gets its error."""
    outcome = {}

    def target():
        try:
            engine.run(script)
        except RhaiError as error:
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_cancel_from_other_thread_stops_loop(engine):
    started = threading.Event()
    engine.set_print(lambda text: started.set())
    thread, outcome = run_in_thread(engine, 'print("started"); loop {}')
    assert started.wait(30)
    engine.cancel("stopped by test")
    thread.join(30)
    assert not thread.is_alive()
    assert outcome["error"].kind == "ErrorTerminated"
    assert "stopped by test" in outcome["error"].message


def test_cancel_is_sticky_until_reset(engine):
    engine.cancel()
    assert engine.cancelled is True
    with pytest.raises(RhaiError) as caught:
        engine.eval("1 + 1")
    assert caught.value.kind == "ErrorTerminated"
    assert "cancelled" in caught.value.message
    engine.reset_cancel()
    assert engine.cancelled is False
    assert engine.eval("1 + 1") == 2


GIL_CHECK = """
import threading
from nodes.rhai import Engine, RhaiError

engine = Engine()
started = threading.Event()
engine.set_print(lambda text: started.set())
outcome = {}

def run_forever():
    try:
        engine.run('print("started"); loop {}')
    except RhaiError as error:
        outcome["kind"] = error.kind

runner = threading.Thread(target=run_forever)
runner.start()
started.wait()
count = 0
while count < 200_000:
    count += 1
script_was_running = runner.is_alive()
engine.cancel()
runner.join()
print(script_was_running, outcome["kind"])
"""


def test_gil_released_while_script_runs():
    # If the script held the GIL, the child's main thread could not count while
    # `loop {}` runs, so it would never reach cancel(). The check runs in a child
    # process, so that such a hang ends at the timeout instead of stalling pytest.
    completed = subprocess.run(
        [sys.executable, "-P", "-c", GIL_CHECK],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["True", "ErrorTerminated"]


def test_engine_runs_scripts_on_several_threads(engine):
    results = [None] * 4

    def work(index):
        results[index] = engine.eval(
            f"let s = 0; for i in 0..{10_000 + index} {{ s += 1 }} s"
        )

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [10_000, 10_001, 10_002, 10_003]
