"""Function metadata of the nodes._rhai binding: Engine.functions() and register_fn docs."""

import pickle

import pytest

from nodes.rhai import Engine, FunctionInfo, RhaiError


@pytest.fixture
def engine():
    return Engine()


def registered(engine):
    return [info for info in engine.functions() if info.origin == "registered"]


def test_functions_list_standard_packages(engine):
    functions = engine.functions()
    assert all(isinstance(info, FunctionInfo) for info in functions)
    assert {info.origin for info in functions} == {"builtin"}
    signatures = {info.signature for info in functions}
    assert "len(array: &mut Array) -> i64" in signatures
    assert "sqrt(x: f64) -> f64" in signatures


def test_functions_sorted(engine):
    keys = [
        (info.name, len(info.params), info.signature) for info in engine.functions()
    ]
    assert keys == sorted(keys)


def test_functions_have_standard_docs(engine):
    (info,) = [
        info
        for info in engine.functions()
        if info.signature == "len(array: &mut Array) -> i64"
    ]
    assert info.name == "len"
    assert info.params == ["array: &mut Array"]
    assert "Number of elements in the array" in info.doc
    assert "///" not in info.doc


def test_functions_list_py_object_helpers(engine):
    signatures = {info.signature for info in engine.functions()}
    assert "to_string(object: PyObject) -> String" in signatures
    assert "==(object: PyObject, other: PyObject) -> bool" in signatures


def test_registered_function_with_params_and_doc(engine):
    engine.register_fn(
        "db_get",
        lambda key: None,
        1,
        params=["key: string"],
        doc="Return the value stored under `key`.\nReturns () when missing.",
    )
    (info,) = registered(engine)
    assert info.name == "db_get"
    assert info.params == ["key: string"]
    assert info.signature == "db_get(key: string) -> ?"
    assert info.doc == "Return the value stored under `key`.\nReturns () when missing."


def test_registered_function_without_docs(engine):
    engine.register_fn("pair", lambda a, b: [a, b], 2)
    (info,) = registered(engine)
    assert info.params == ["_", "_"]
    assert info.signature == "pair(_, _) -> ?"
    assert info.doc == ""


def test_registered_overloads_by_arity(engine):
    engine.register_fn("keys", lambda: [], 0, doc="All keys.")
    engine.register_fn("keys", lambda pattern: [], 1, params=["pattern: string"])
    assert [info.signature for info in registered(engine)] == [
        "keys() -> ?",
        "keys(pattern: string) -> ?",
    ]


def test_registered_name_shared_with_builtin(engine):
    engine.register_fn("keys", lambda pattern: [], 1, params=["pattern: string"])
    origins = {
        info.signature: info.origin
        for info in engine.functions()
        if info.name == "keys"
    }
    assert origins == {
        "keys(map: &mut Map) -> Array": "builtin",
        "keys(pattern: string) -> ?": "registered",
    }


def test_registered_function_replaced_keeps_new_docs(engine):
    engine.register_fn("pick", lambda: 1, 0, doc="First.")
    engine.register_fn("pick", lambda: 2, 0, doc="Second.")
    (info,) = registered(engine)
    assert info.doc == "Second."
    assert engine.eval("pick()") == 2


def test_registered_function_with_docs_is_callable(engine):
    engine.register_fn(
        "scale", lambda value, factor: value * factor, 2, params=["value", "factor"]
    )
    assert engine.eval("scale(21, 2)") == 42
    assert engine.eval("let a = [1]; a.scale(2)") == [1, 1]


def test_params_count_must_match_arity(engine):
    with pytest.raises(ValueError, match="got 1 params"):
        engine.register_fn("pair", lambda a, b: None, 2, params=["a"])


def test_sixteen_arguments_with_docs(engine):
    engine.register_fn(
        "count", lambda *values: len(values), 16, params=[f"v{i}" for i in range(16)]
    )
    arguments = ", ".join(["0"] * 16)
    assert engine.eval(f"count({arguments})") == 16
    (info,) = registered(engine)
    assert len(info.params) == 16


def test_seventeen_arguments_rejected(engine):
    with pytest.raises(ValueError, match="only up to 16 arguments"):
        engine.register_fn("count", lambda *values: None, 17)
    assert registered(engine) == []


def test_registered_function_not_folded_at_compile_time(engine):
    calls = []
    engine.register_fn("tick", lambda: calls.append(1) or len(calls), 0)
    assert engine.eval("tick() + tick()") == 3
    assert engine.eval("tick()") == 3


def test_registered_function_error_still_chains_cause(engine):
    engine.register_fn("fail", lambda: 1 / 0, 0, doc="Always fails.")
    with pytest.raises(RhaiError) as caught:
        engine.eval("fail()")
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


def test_function_info_is_frozen_and_pickles(engine):
    engine.register_fn("f", lambda x: x, 1, params=["x: int"], doc="Identity.")
    (info,) = registered(engine)
    with pytest.raises(AttributeError):
        info.name = "g"
    restored = pickle.loads(pickle.dumps(info))
    assert restored == info
    assert restored.params == ["x: int"]
    assert (
        repr(restored)
        == 'FunctionInfo(signature="f(x: int) -> ?", origin="registered")'
    )
