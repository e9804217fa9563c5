import math

import pytest

from herolib import protocol
from herolib.errors import ProtocolError


def test_request_round_trip():
    frame = protocol.encode({"type": "submit", "id": "r1", "job": {"id": "j"}})
    assert protocol.decode_request(frame) == {
        "type": "submit",
        "id": "r1",
        "job": {"id": "j"},
    }


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (b"\xff\xfe", "UTF-8 JSON"),
        (b"not json", "UTF-8 JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"id": "r1"}', "'type'"),
    ],
)
def test_decode_rejects_malformed_frames(frame, expected):
    with pytest.raises(ProtocolError, match=expected):
        protocol.decode(frame)


def test_decode_request_rejects_unknown_type_and_missing_id():
    with pytest.raises(ProtocolError, match="unknown request type 'launch'"):
        protocol.decode_request(b'{"type": "launch", "id": "r"}')
    with pytest.raises(ProtocolError, match="'id'"):
        protocol.decode_request(b'{"type": "hello"}')


def test_replies_carry_request_id():
    assert protocol.reply("r7", job="j")["id"] == "r7"
    failed = protocol.error_reply("r8", "no such job")
    assert failed["ok"] is False
    assert failed["error"] == "no such job"


def test_json_safe_conversion():
    value = {
        "blob": b"\x01\x02",
        "nan": math.nan,
        "inf": -math.inf,
        "nested": [1, {"x": b"a"}],
        3: None,
    }
    assert protocol.to_json_safe(value) == {
        "blob": [1, 2],
        "nan": "nan",
        "inf": "-inf",
        "nested": [1, {"x": [97]}],
        "3": None,
    }
