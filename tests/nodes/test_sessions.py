import math

import pytest

from nodes.rhai import Char, Engine, Opaque, Session
from nodes.sessions import (
    SessionSnapshot,
    UnstorableValue,
    decode_value,
    encode_value,
    restore,
    take_snapshot,
)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        7,
        -2.5,
        "text",
        Char("z"),
        b"\x00\xff",
        [1, [2, "three"], {"four": 4}],
        {"$weird": 1, "plain": [b"ab"]},
        {},
        [],
    ],
)
def test_codec_round_trip(value):
    again = decode_value(encode_value(value))
    assert again == value
    assert type(again) is type(value)


def test_codec_keeps_non_finite_floats():
    assert math.isnan(decode_value(encode_value(math.nan)))
    assert decode_value(encode_value(-math.inf)) == -math.inf


def test_codec_rejects_opaque_object():
    with pytest.raises(UnstorableValue, match="set"):
        encode_value({1, 2})


def test_snapshot_restores_variables_constants_functions():
    engine = Engine()
    session = Session()
    engine.eval(
        """
        const LIMIT = 10;
        let items = [1, 2, 3];
        let letter = 'q';
        /// Doubles a number.
        fn twice(x) { x * 2 }
        """,
        session,
    )
    snapshot = SessionSnapshot.from_dict(take_snapshot(session, 3).to_dict())
    assert snapshot.version == 3
    assert snapshot.dropped == []

    rebuilt = restore(Engine(), snapshot)
    assert Engine().eval("twice(LIMIT) + items.len()", rebuilt) == 23
    assert isinstance(rebuilt.get("letter"), Char)
    assert "LIMIT" in rebuilt.constants()
    with pytest.raises(Exception, match="LIMIT"):
        Engine().eval("LIMIT = 11", rebuilt)


def test_snapshot_drops_unstorable_variables():
    engine = Engine()
    session = Session()
    session.set("handle", Opaque(object()))
    engine.eval("let kept = 1; let started = timestamp();", session)
    snapshot = take_snapshot(session, 1)
    assert sorted(snapshot.dropped) == ["handle", "started"]
    assert [item["name"] for item in snapshot.variables] == ["kept"]


def test_snapshot_summary_lists_functions_with_docs():
    engine = Engine()
    session = Session()
    engine.eval("/// Adds one.\nfn inc(n) { n + 1 }\nlet count = 2;", session)
    summary = take_snapshot(session, 1).summary()
    assert summary["variables"] == [{"name": "count", "type": "i64", "constant": False}]
    [function] = summary["functions"]
    assert function["name"] == "inc"
    assert "Adds one." in function["doc"]


def test_redefined_function_replays_last_definition():
    engine = Engine()
    session = Session()
    engine.eval("fn f() { 1 }", session)
    engine.eval("fn f() { 2 }", session)
    rebuilt = restore(Engine(), take_snapshot(session, 2))
    assert Engine().eval("f()", rebuilt) == 2
