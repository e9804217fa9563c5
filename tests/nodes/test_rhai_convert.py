"""Value conversion between Rhai and Python in the nodes._rhai binding."""

import datetime
import pickle
import subprocess
import sys

import pytest

from nodes.rhai import Char, Engine, FnPtr, Opaque, RhaiError, Session, Timestamp


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
        ("'c'", "c", Char),
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
    value = engine.eval('"héllo"[1]')
    assert type(value) is Char
    assert value == "é"


def test_rhai_chars_in_array(engine):
    value = engine.eval('"ab".to_chars()')
    assert value == ["a", "b"]
    assert [type(item) for item in value] == [Char, Char]


def test_char_round_trip(echo_engine):
    session = Session()
    session.set("letter", Char("x"))
    assert echo_engine.eval("type_of(letter)", session) == "char"
    assert echo_engine.eval("letter == 'x'", session) is True
    result = echo_engine.eval("echo(letter)", session)
    assert type(result) is Char
    assert result == "x"


def test_char_of_astral_code_point(echo_engine):
    session = Session()
    session.set("emoji", Char("🦀"))
    assert echo_engine.eval("type_of(emoji)", session) == "char"
    assert echo_engine.eval("emoji", session) == "🦀"


@pytest.mark.parametrize("text", ["", "ab"])
def test_char_rejects_other_lengths(text):
    with pytest.raises(ValueError, match="exactly one character"):
        Char(text)


def test_char_rejects_non_str():
    with pytest.raises(TypeError, match="needs a str"):
        Char(7)


def test_char_pickles(engine):
    value = engine.eval("'q'")
    restored = pickle.loads(pickle.dumps(value))
    assert type(restored) is Char
    assert restored == "q"
    assert repr(restored) == "Char('q')"


def test_rhai_timestamp_to_timestamp(engine):
    value = engine.eval("timestamp()")
    assert type(value) is Timestamp
    assert 0.0 <= value.elapsed < 60.0
    assert repr(value).startswith("<Timestamp taken ")


def test_timestamp_round_trip_keeps_instant(engine):
    session = Session()
    engine.run("let original = timestamp();", session)
    original = session.get("original")
    session.set("copy", original)
    assert engine.eval("type_of(copy)", session) == "timestamp"
    assert engine.eval("copy == original", session) is True
    assert session.get("copy") == original
    assert hash(session.get("copy")) == hash(original)


def test_timestamp_elapsed_grows(engine):
    original = engine.eval("timestamp()")
    first = original.elapsed
    assert engine.eval("let t = timestamp(); while t.elapsed < 0.01 {} 0") == 0
    assert original.elapsed > first


def test_timestamp_built_in_python(engine):
    session = Session()
    session.set("earlier", Timestamp(5.0))
    assert 5.0 <= engine.eval("earlier.elapsed", session) < 65.0
    assert Timestamp(-30.0).elapsed < 0.0


def test_timestamp_pickles_as_elapsed(engine):
    original = engine.eval("timestamp()")
    restored = pickle.loads(pickle.dumps(Timestamp(2.0)))
    assert type(restored) is Timestamp
    assert 2.0 <= restored.elapsed < 62.0
    assert type(pickle.loads(pickle.dumps(original))) is Timestamp


UNPICKLE_IN_CHILD = """
import pickle, sys
values = pickle.loads(sys.stdin.buffer.read())
print(type(values[0]).__name__, round(values[0].elapsed), repr(values[1]), repr(values[2]))
"""


def test_values_unpickle_in_another_process():
    payload = pickle.dumps([Timestamp(30.0), Char("z"), FnPtr("add", [1])])
    completed = subprocess.run(
        [sys.executable, "-P", "-c", UNPICKLE_IN_CHILD],
        input=payload,
        capture_output=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().split() == [
        "Timestamp",
        "30",
        "Char('z')",
        "FnPtr('add',",
        "[1])",
    ]


@pytest.mark.parametrize("elapsed", [float("nan"), float("inf"), 1e30])
def test_timestamp_outside_clock_raises(elapsed):
    with pytest.raises(ValueError, match="monotonic clock"):
        Timestamp(elapsed)


def test_rhai_function_pointer_to_fn_ptr(engine):
    pointer = engine.eval('fn add(a, b) { a + b } Fn("add").curry(40)')
    assert type(pointer) is FnPtr
    assert pointer.name == "add"
    assert pointer.curried == [40]
    assert repr(pointer) == "FnPtr('add', [40])"


def test_function_pointer_round_trip_calls(engine):
    session = Session()
    engine.run('fn add(a, b) { a + b } let plus_forty = Fn("add").curry(40);', session)
    session.set("copy", session.get("plus_forty"))
    assert engine.eval("copy.call(2)", session) == 42


def test_closure_pointer_round_trip_calls(engine):
    session = Session()
    engine.run("let base = 10; let add_base = |x| x + base;", session)
    closure = session.get("add_base")
    assert closure.name.startswith("anon$")
    assert closure.curried == [10]
    session.set("copy", closure)
    assert engine.eval("copy.call(5)", session) == 15


def test_function_pointer_built_in_python(engine):
    session = Session()
    engine.run("fn add(a, b) { a + b }", session)
    session.set("pointer", FnPtr("add", [1]))
    assert engine.eval("type_of(pointer)", session) == "Fn"
    assert engine.eval("pointer.call(2)", session) == 3


def test_function_pointer_pickles(engine):
    marker = ["kept"]
    pointer = FnPtr("add", [1, Opaque(marker)])
    restored = pickle.loads(pickle.dumps(pointer))
    assert restored.name == "add"
    assert restored.curried == [1, ["kept"]]


def test_unpickled_closure_pointer_cannot_convert(engine):
    closure = engine.eval("|x| x + 1")
    restored = pickle.loads(pickle.dumps(closure))
    assert restored.name == closure.name
    with pytest.raises(ValueError, match="not a valid function name"):
        Session().set("closure", restored)


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


def test_opaque_object_keeps_identity(engine):
    marker = object()
    session = Session()
    session.set("marker", Opaque(marker))
    assert engine.eval("marker", session) is marker
    assert engine.eval("[marker, 1]", session)[0] is marker
    assert engine.eval("#{m: marker}", session)["m"] is marker
    assert session.get("marker") is marker


def test_opaque_object_through_registered_function(engine):
    marker = object()
    received = []
    engine.register_fn("keep", lambda value: received.append(value) or Opaque(value), 1)
    session = Session()
    session.set("marker", Opaque(marker))
    assert engine.eval("keep(marker)", session) is marker
    assert received == [marker]
    assert received[0] is marker


def test_registered_function_returning_unwrapped_opaque_raises(echo_engine):
    session = Session()
    session.set("marker", Opaque(object()))
    with pytest.raises(RhaiError) as caught:
        echo_engine.eval("echo(marker)", session)
    assert "wrap it in nodes.rhai.Opaque(value)" in caught.value.message


def test_opaque_object_type_name(engine):
    session = Session()
    session.set("obj", Opaque(object()))
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
    session.set("p", Opaque(Point(1)))
    session.set("q", Opaque(Point(1)))
    session.set("r", Opaque(Point(2)))
    assert engine.eval("`${p}`", session) == "Point(1)"
    assert engine.eval("p == q", session) is True
    assert engine.eval("p != r", session) is True


def test_opaque_object_from_registered_function(engine):
    handle = object()
    engine.register_fn("make_handle", lambda: Opaque(handle), 0)
    engine.register_fn("is_handle", lambda value: value is handle, 1)
    assert engine.eval("let h = make_handle(); is_handle(h)") is True
    assert engine.eval("make_handle()") is handle


def test_opaque_wrapping_a_convertible_value(engine):
    numbers = [1, 2]
    session = Session()
    session.set("numbers", Opaque(numbers))
    assert engine.eval("type_of(numbers)", session) == "PyObject"
    assert session.get("numbers") is numbers


def test_opaque_value_and_pickle():
    wrapped = Opaque({"a": 1})
    assert wrapped.value == {"a": 1}
    restored = pickle.loads(pickle.dumps(wrapped))
    assert type(restored) is Opaque
    assert restored.value == {"a": 1}
    assert repr(restored) == "Opaque({'a': 1})"


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ({1, 2}, "set"),
        (1 + 2j, "complex"),
        (datetime.date(2024, 5, 1), "datetime.date"),
        (object(), "object"),
    ],
)
def test_unconvertible_value_raises(value, type_name):
    with pytest.raises(TypeError) as caught:
        Session().set("value", value)
    message = str(caught.value)
    assert repr(value) in message
    assert f"of type {type_name}" in message
    assert "nodes.rhai.Opaque(value)" in message


def test_unconvertible_value_repr_is_shortened():
    value = {*range(100)}
    with pytest.raises(TypeError) as caught:
        Session().set("value", value)
    shown_repr = str(caught.value).removeprefix("cannot convert ").split(" of type ")[0]
    assert len(shown_repr) == 80
    assert shown_repr.endswith("...")


def test_unconvertible_value_nested_in_list():
    with pytest.raises(TypeError, match="frozenset"):
        Session().set("items", [1, {"inner": frozenset()}])


def test_unconvertible_function_result_is_rhai_error(engine):
    engine.register_fn("make_set", lambda: {1}, 0)
    with pytest.raises(RhaiError) as caught:
        engine.eval("make_set()")
    assert caught.value.kind == "ErrorRuntime"
    assert "TypeError: cannot convert {1} of type set" in caught.value.message
    assert isinstance(caught.value.__cause__, TypeError)


def test_function_result_overflow_is_rhai_error(engine):
    engine.register_fn("huge", lambda: 2**80, 0)
    with pytest.raises(RhaiError) as caught:
        engine.eval("huge()")
    assert caught.value.kind == "ErrorRuntime"
    assert "OverflowError" in caught.value.message
