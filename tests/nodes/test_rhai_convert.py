"""Value conversion between Rhai and Python in the nodes._rhai binding."""

import pytest

from nodes.rhai import Engine, RhaiError, Session


@pytest.fixture
def engine():
    return Engine()


@pytest.fixture
def echo_engine():
    """An engine with `echo(x)`, which sends a value to Python and back."""
    engine = Engine()
    engine.register_fn("echo", lambda value: value, 1)
    return engine


@pytest.mark.parametrize(
    ("script", "expected", "expected_type"),
    [
        ("42", 42, int),
        ("-7", -7, int),
        ("3.5", 3.5, float),
        ("true", True, bool),
        ("false", False, bool),
        ('"hello"', "hello", str),
        ("'c'", "c", str),
        ("()", None, type(None)),
        ("9223372036854775807", 2**63 - 1, int),
    ],
)
def test_rhai_scalar_to_python(engine, script, expected, expected_type):
    value = engine.eval(script)
    assert type(value) is expected_type
    assert value == expected


def test_rhai_nested_array_and_map_to_python(engine):
    value = engine.eval('[1, "two", [3.0, #{inner: [true, ()]}], #{}]')
    assert value == [1, "two", [3.0, {"inner": [True, None]}], {}]
    assert type(value[2][1]) is dict


def test_rhai_map_keys_are_str(engine):
    value = engine.eval('#{a: 1, "with space": 2}')
    assert value == {"a": 1, "with space": 2}


def test_rhai_blob_to_bytes(engine):
    value = engine.eval("let b = blob(3, 0x41); b[1] = 0; b")
    assert value == b"A\x00A"
    assert type(value) is bytes


def test_rhai_char_from_string_index(engine):
    assert engine.eval('"héllo"[1]') == "é"


def test_rhai_timestamp_to_elapsed_seconds(engine):
    value = engine.eval("timestamp()")
    assert type(value) is float
    assert 0.0 <= value < 60.0


def test_rhai_function_pointer_to_name(engine):
    assert engine.eval('fn double(x) { x * 2 } Fn("double")') == "double"


def test_rhai_closure_variable_is_unshared(engine):
    # Capturing `x` in a closure makes it a shared value inside Rhai.
    assert engine.eval("let x = [1, 2]; let f = || x.len(); x") == [1, 2]


def test_rhai_range_to_display_text(engine):
    assert engine.eval("1..5") == "1..5"


@pytest.mark.parametrize(
    "value",
    [
        0,
        -(2**63),
        2**63 - 1,
        2.25,
        True,
        False,
        "text with ünïcode",
        "",
        None,
        b"\x00\xffbytes",
        [1, [2, [3, []]]],
        {"a": {"b": [1, {"c": None}]}},
    ],
)
def test_python_value_round_trip(echo_engine, value):
    session = Session()
    session.set("v", value)
    result = echo_engine.eval("echo(v)", session)
    assert type(result) is type(value)
    assert result == value


def test_python_tuple_becomes_array(echo_engine):
    session = Session()
    session.set("t", (1, "a", (2,)))
    assert echo_engine.eval("type_of(t)", session) == "array"
    assert echo_engine.eval("t", session) == [1, "a", [2]]


def test_python_bytearray_becomes_blob(engine):
    session = Session()
    session.set("b", bytearray(b"xyz"))
    assert engine.eval("type_of(b)", session) == "blob"
    assert engine.eval("b.len()", session) == 3
    assert engine.eval("b", session) == b"xyz"


def test_python_bool_stays_bool(engine):
    session = Session()
    session.set("flag", True)
    assert engine.eval("type_of(flag)", session) == "bool"


def test_python_one_letter_str_becomes_string(engine):
    session = Session()
    session.set("letter", "x")
    assert engine.eval("type_of(letter)", session) == "string"


def test_python_int_overflow_raises(engine):
    session = Session()
    with pytest.raises(OverflowError) as caught:
        session.set("big", 2**70)
    assert "Python int 1180591620717411303424 does not fit in Rhai's 64-bit INT" in str(
        caught.value
    )
    assert "big" not in session


def test_python_negative_int_overflow_raises():
    with pytest.raises(OverflowError, match=r"-9223372036854775809"):
        Session().set("small", -(2**63) - 1)


def test_python_dict_with_non_str_key_raises():
    with pytest.raises(TypeError) as caught:
        Session().set("m", {"ok": 1, 7: "bad"})
    assert "int key 7" in str(caught.value)


def test_python_nested_dict_with_bad_key_raises():
    with pytest.raises(TypeError, match=r"tuple key \(1, 2\)"):
        Session().set("m", {"outer": {(1, 2): 3}})


def test_python_self_containing_list_raises():
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="nested more than 256 levels"):
        Session().set("cycle", cycle)


def test_opaque_object_keeps_identity(echo_engine):
    marker = object()
    session = Session()
    session.set("marker", marker)
    assert echo_engine.eval("marker", session) is marker
    assert echo_engine.eval("echo(marker)", session) is marker
    assert echo_engine.eval("[marker, 1]", session)[0] is marker
    assert echo_engine.eval("#{m: marker}", session)["m"] is marker
    assert session.get("marker") is marker


def test_opaque_object_type_name(engine):
    session = Session()
    session.set("obj", object())
    assert engine.eval("type_of(obj)", session) == "PyObject"
    assert engine.evaluate("obj", session).type_name == "PyObject"


def test_opaque_object_uses_python_str_and_eq(engine):
    class Point:
        def __init__(self, x):
            self.x = x

        def __str__(self):
            return f"Point({self.x})"

        def __eq__(self, other):
            return isinstance(other, Point) and other.x == self.x

    session = Session()
    session.set("p", Point(1))
    session.set("q", Point(1))
    session.set("r", Point(2))
    assert engine.eval("`${p}`", session) == "Point(1)"
    assert engine.eval("p == q", session) is True
    assert engine.eval("p != r", session) is True


def test_opaque_object_from_registered_function(engine):
    handle = object()
    engine.register_fn("make_handle", lambda: handle, 0)
    engine.register_fn("is_handle", lambda value: value is handle, 1)
    assert engine.eval("let h = make_handle(); is_handle(h)") is True
    assert engine.eval("make_handle()") is handle


def test_function_result_overflow_is_rhai_error(engine):
    engine.register_fn("huge", lambda: 2**80, 0)
    with pytest.raises(RhaiError) as caught:
        engine.eval("huge()")
    assert caught.value.kind == "ErrorRuntime"
    assert "OverflowError" in caught.value.message
