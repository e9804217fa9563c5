"""Modules registered on an Engine of the nodes._rhai binding and imported by scripts."""

import pytest

from nodes.rhai import Engine, RhaiError, Session

TOOLS = """
export const ANSWER = 42;
let hidden = 5;
export let visible = hidden + 1;
fn triple(x) { x * 3 }
private fn secret() { 0 }
"""


@pytest.fixture
def engine():
    engine = Engine()
    engine.register_module("tools", TOOLS)
    return engine


def test_import_registered_module(engine):
    script = 'import "tools" as t; [t::ANSWER, t::visible, t::triple(2)]'
    assert engine.eval(script) == [42, 6, 6]


def test_module_hides_private_and_unexported(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval('import "tools" as t; t::secret()')
    assert caught.value.kind == "ErrorFunctionNotFound"
    with pytest.raises(RhaiError) as caught:
        engine.eval('import "tools" as t; t::hidden')
    assert caught.value.kind == "ErrorVariableNotFound"


def test_import_of_unregistered_name_fails(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval('import "missing" as m; 1')
    assert caught.value.kind == "ErrorModuleNotFound"
    assert "missing" in caught.value.message


def test_import_does_not_read_files(engine, tmp_path):
    module_file = tmp_path / "tools.rhai"
    module_file.write_text("export const FROM_FILE = 1;")
    with pytest.raises(RhaiError) as caught:
        engine.eval(f'import "{module_file.with_suffix("")}" as m; m::FROM_FILE')
    assert caught.value.kind == "ErrorModuleNotFound"


def test_module_statements_run_once_at_registration():
    lines = []
    engine = Engine()
    engine.set_print(lines.append)
    engine.register_module("noisy", 'print("loaded"); export const X = 1;')
    assert lines == ["loaded"]
    assert engine.eval('import "noisy" as a; import "noisy" as b; a::X + b::X') == 2
    assert lines == ["loaded"]


def test_module_syntax_error_raises():
    with pytest.raises(RhaiError) as caught:
        Engine().register_module("broken", "fn (")
    assert caught.value.kind == "ErrorParsing"
    assert caught.value.parse_error == "FnMissingName"


def test_module_runtime_error_raises():
    with pytest.raises(RhaiError) as caught:
        Engine().register_module("failing", 'throw "not ready";')
    assert caught.value.kind == "ErrorRuntime"
    assert "not ready" in caught.value.message


def test_failed_module_is_not_registered():
    engine = Engine()
    with pytest.raises(RhaiError):
        engine.register_module("failing", 'throw "not ready";')
    with pytest.raises(RhaiError) as caught:
        engine.eval('import "failing" as f; 1')
    assert caught.value.kind == "ErrorModuleNotFound"


def test_module_registered_again_replaces(engine):
    engine.register_module("tools", "export const ANSWER = 7;")
    assert engine.eval('import "tools" as t; t::ANSWER') == 7


def test_module_imports_earlier_module(engine):
    engine.register_module(
        "derived", 'import "tools" as t; export const SIX = t::triple(2);'
    )
    assert engine.eval('import "derived" as d; d::SIX') == 6


def test_module_uses_registered_function():
    engine = Engine()
    engine.register_fn("greeting", lambda: "hello", 0)
    engine.register_module("words", "export const WORD = greeting();")
    assert engine.eval('import "words" as w; w::WORD') == "hello"


def test_module_error_names_module_function(engine):
    with pytest.raises(RhaiError) as caught:
        engine.eval('import "tools" as t;\nt::triple("x")')
    error = caught.value
    assert error.kind == "ErrorFunctionNotFound"
    assert error.trace == [("ErrorInFunctionCall", "triple", 2, 4)]
    assert "in ErrorInFunctionCall 'triple' (from 'tools')" in str(error)


def test_module_import_in_session(engine):
    session = Session()
    engine.run('import "tools" as t; let from_module = t::ANSWER;', session)
    assert session.get("from_module") == 42


def test_register_module_rejects_empty_name():
    with pytest.raises(ValueError, match="non-empty module name"):
        Engine().register_module("", "export const X = 1;")
