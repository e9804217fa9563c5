"""Session of the nodes._rhai binding: variables and functions kept between evaluations."""

import threading

import pytest

from nodes.rhai import Engine, RhaiError, Session


@pytest.fixture
def engine():
    return Engine()


@pytest.fixture
def session():
    return Session()


def test_variables_persist(engine, session):
    engine.run("let x = 40;", session)
    engine.run("const LIMIT = 2;", session)
    assert engine.eval("x + LIMIT", session) == 42


def test_variables_converted(engine, session):
    engine.run('let name = "rhai"; let items = [1, #{k: ()}];', session)
    assert session.variables() == {"name": "rhai", "items": [1, {"k": None}]}


def test_variables_in_definition_order(engine, session):
    engine.run("let b = 1; let a = 2; let c = 3;", session)
    assert list(session.variables()) == ["b", "a", "c"]


def test_redeclared_variable_keeps_last_value(engine, session):
    engine.run("let x = 1;", session)
    engine.run("let x = [2];", session)
    assert session.variables() == {"x": [2]}
    assert session.get("x") == [2]


def test_block_variables_do_not_persist(engine, session):
    engine.run("{ let hidden = 1; }", session)
    assert "hidden" not in session


def test_functions_persist(engine, session):
    engine.run("fn add(a, b) { a + b }", session)
    assert engine.eval("add(40, 2)", session) == 42
    assert session.functions() == ["add(a, b)"]


def test_functions_listed_sorted(engine, session):
    engine.run("fn zeta() { 0 } fn alpha(x) { x }", session)
    engine.run("fn middle(p, q, r) { p }", session)
    assert session.functions() == ["alpha(x)", "middle(p, q, r)", "zeta()"]


def test_function_redefinition_replaces(engine, session):
    engine.run("fn pick() { 1 }", session)
    engine.run("fn pick() { 2 }", session)
    assert engine.eval("pick()", session) == 2
    assert session.functions() == ["pick()"]


def test_function_overload_by_arity_kept(engine, session):
    engine.run("fn f() { 0 }", session)
    engine.run("fn f(x) { x }", session)
    assert engine.eval("[f(), f(5)]", session) == [0, 5]
    assert session.functions() == ["f()", "f(x)"]


def test_functions_kept_after_runtime_error(engine, session):
    with pytest.raises(RhaiError) as caught:
        engine.run('fn helper() { 7 }\nlet ok = 1;\nthrow "fails";', session)
    assert caught.value.kind == "ErrorRuntime"
    assert engine.eval("helper()", session) == 7
    assert session.get("ok") == 1


def test_syntax_error_changes_nothing(engine, session):
    engine.run("let x = 1;", session)
    with pytest.raises(RhaiError):
        engine.run("fn broken() { 1 }\nlet x = ;", session)
    assert session.functions() == []
    assert session.get("x") == 1


def test_run_with_session_keeps_variables(engine, session):
    engine.run("let counter = 0;", session)
    for _ in range(3):
        engine.run("counter += 1;", session)
    assert session.get("counter") == 3


def test_evaluate_with_session(engine, session):
    session.set("value", {"a": 1})
    evaluation = engine.evaluate("value", session)
    assert evaluation.type_name == "map"
    assert evaluation.text == '#{"a": 1}'


def test_set_then_use_in_script(engine, session):
    session.set("numbers", [1, 2, 3])
    assert engine.eval("numbers.len()", session) == 3


def test_set_replaces_variable(engine, session):
    engine.run("let x = 1;", session)
    session.set("x", "now a string")
    assert engine.eval("type_of(x)", session) == "string"
    assert session.variables() == {"x": "now a string"}


def test_set_shadows_constant(engine, session):
    engine.run("const FIXED = 1;", session)
    session.set("FIXED", 2)
    engine.run("FIXED += 1;", session)
    assert session.get("FIXED") == 3


def test_set_rejects_invalid_name(session):
    with pytest.raises(ValueError, match="invalid Rhai variable name"):
        session.set("two words", 1)


def test_get_missing_raises_key_error(session):
    with pytest.raises(KeyError) as caught:
        session.get("absent")
    assert "absent" in str(caught.value)


def test_contains(engine, session):
    engine.run("let present = ();", session)
    assert "present" in session
    assert "absent" not in session


def test_clear_removes_everything(engine, session):
    engine.run("let x = 1; fn f() { 1 }", session)
    session.clear()
    assert session.variables() == {}
    assert session.functions() == []
    with pytest.raises(RhaiError) as caught:
        engine.eval("f()", session)
    assert caught.value.kind == "ErrorFunctionNotFound"


def test_session_shared_by_engines(session):
    Engine().run("let base = 5; fn twice(x) { x * 2 }", session)
    assert Engine().eval("twice(base)", session) == 10


def test_session_used_from_several_threads(engine, session):
    engine.run("let total = 0;", session)

    def add_many():
        for _ in range(50):
            engine.run("total += 1;", session)

    threads = [threading.Thread(target=add_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert session.get("total") == 200


def test_session_read_during_script_no_deadlock(engine, session):
    started = threading.Event()
    engine.set_print(lambda text: started.set())
    outcome = {}

    def run_forever():
        try:
            engine.run('print("started"); loop {}', session)
        except RhaiError as error:
            outcome["error"] = error

    runner = threading.Thread(target=run_forever)
    runner.start()
    assert started.wait(30)
    # While the session is locked by the loop, reads wait with the GIL released,
    # so this thread can still cancel the engine from Python.
    reader_result = {}
    reader = threading.Thread(
        target=lambda: reader_result.update(value=session.variables())
    )
    reader.start()
    engine.cancel()
    runner.join(30)
    reader.join(30)
    assert outcome["error"].kind == "ErrorTerminated"
    assert reader_result["value"] == {}


def test_registered_function_cannot_reenter_own_session(engine, session):
    engine.register_fn("peek", lambda: session.get("x"), 0)
    with pytest.raises(RhaiError) as caught:
        engine.eval("let x = 1; peek()", session)
    assert caught.value.kind == "ErrorRuntime"
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_set_constant(engine, session):
    session.set("LIMIT", 3, constant=True)
    assert engine.eval("LIMIT * 2", session) == 6
    with pytest.raises(RhaiError) as caught:
        engine.run("LIMIT = 4;", session)
    assert caught.value.kind == "ErrorAssignmentToConstant"
    assert session.get("LIMIT") == 3


def test_set_constant_replaces_variable(engine, session):
    engine.run("let x = 1;", session)
    session.set("x", 2, constant=True)
    assert session.variables() == {"x": 2}
    assert session.constants() == ["x"]


def test_constants_in_definition_order(engine, session):
    engine.run("const B = 1; let a = 2; const A = 3;", session)
    session.set("C", 4, constant=True)
    assert session.constants() == ["B", "A", "C"]


def test_constants_shadowed_by_variable(engine, session):
    engine.run("const FIXED = 1;", session)
    session.set("FIXED", 2)
    assert session.constants() == []


def test_function_sources_in_definition_order(engine, session):
    first = "fn one() { 1 }"
    second = "let x = 5; fn two() { 2 }"
    engine.run(first, session)
    engine.run("let y = 1;", session)
    engine.run(second, session)
    assert session.function_sources() == [first, second]


def test_function_sources_drop_redefined_script(engine, session):
    old = "fn pick() { 1 } fn keep() { 0 }"
    engine.run(old, session)
    engine.run("fn pick() { 2 }", session)
    assert session.function_sources() == [old, "fn pick() { 2 }"]
    engine.run("fn keep() { 3 }", session)
    assert session.function_sources() == ["fn pick() { 2 }", "fn keep() { 3 }"]


def test_function_sources_keep_other_arity(engine, session):
    engine.run("fn f() { 0 }", session)
    engine.run("fn f(x) { x }", session)
    assert session.function_sources() == ["fn f() { 0 }", "fn f(x) { x }"]


def test_function_sources_include_failed_run(engine, session):
    script = "fn helper() { 7 }\nthrow 1;"
    with pytest.raises(RhaiError):
        engine.run(script, session)
    assert session.function_sources() == [script]


def test_function_sources_skip_syntax_error(engine, session):
    with pytest.raises(RhaiError):
        engine.run("fn broken() { 1 }\nlet = ;", session)
    assert session.function_sources() == []


def test_clear_removes_function_sources(engine, session):
    engine.run("fn f() { 1 }", session)
    session.clear()
    assert session.function_sources() == []


def test_load_functions_runs_no_statement(engine, session):
    printed = []
    engine.set_print(printed.append)
    source = 'print("ran"); let x = 1; fn add(a, b) { a + b }'
    session.load_functions(engine, source)
    assert printed == []
    assert "x" not in session
    assert engine.eval("add(40, 2)", session) == 42
    assert session.function_sources() == [source]


def test_load_functions_replaces_function(engine, session):
    engine.run("fn pick() { 1 }", session)
    session.load_functions(engine, "fn pick() { 2 }")
    assert engine.eval("pick()", session) == 2
    assert session.function_sources() == ["fn pick() { 2 }"]


def test_load_functions_syntax_error(engine, session):
    with pytest.raises(RhaiError) as caught:
        session.load_functions(engine, "fn broken( { }")
    assert caught.value.kind == "ErrorParsing"
    assert session.functions() == []
    assert session.function_sources() == []


def test_load_functions_without_functions_not_recorded(engine, session):
    session.load_functions(engine, "let x = 1;")
    assert session.function_sources() == []


def test_session_rebuilt_from_saved_state(engine, session):
    engine.run("const BASE = 40;", session)
    engine.run("fn add(x) { x + BASE }", session)
    engine.run(
        "let items = [1, 'c']; fn add(x) { x + BASE + 1 } fn twice(x) { x * 2 }",
        session,
    )
    engine.run("let total = add(1);", session)
    variables = session.variables()
    constants = session.constants()
    sources = session.function_sources()

    rebuilt = Session()
    for name, value in variables.items():
        rebuilt.set(name, value, constant=name in constants)
    for source in sources:
        rebuilt.load_functions(Engine(), source)

    assert rebuilt.variables() == variables
    assert rebuilt.constants() == ["BASE"]
    assert rebuilt.functions() == session.functions()
    assert engine.eval("[add(0), twice(total)]", rebuilt) == [41, 84]
    assert engine.eval("type_of(items[1])", rebuilt) == "char"


def test_function_info_of_script_functions(engine, session):
    engine.run(
        "/// Add two numbers.\n/// Returns their sum.\nfn add(a, b) { a + b }\n"
        "/** Block comment. */\nfn zero() { 0 }\nfn plain(x) { x }",
        session,
    )
    info = {function.name: function for function in session.function_info()}
    assert list(info) == ["add", "plain", "zero"]
    assert info["add"].params == ["a", "b"]
    assert info["add"].signature == "add(a, b)"
    assert info["add"].doc == "Add two numbers.\nReturns their sum."
    assert info["add"].origin == "script"
    assert info["zero"].doc == "Block comment."
    assert info["plain"].doc == ""


def test_function_info_leaves_out_closures(engine, session):
    engine.run("fn named() { 1 } let f = |x| x;", session)
    assert [function.name for function in session.function_info()] == ["named"]


def test_function_info_of_private_function(engine, session):
    engine.run("private fn hidden(x) { x }", session)
    (info,) = session.function_info()
    assert info.signature == "hidden(x)"
