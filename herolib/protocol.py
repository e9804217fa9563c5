"""The ZeroMQ message schema between the kernel and the coordinator.

Requests travel from a DEALER socket to the coordinator's ROUTER socket as one frame
of UTF-8 JSON: an object with ``type`` (one of :data:`REQUEST_TYPES`) and ``id`` (a
string chosen by the sender). The coordinator replies to each request with one message of
type ``reply`` carrying the same ``id`` and ``ok``. When ``ok`` is false, ``error``
contains the message. A ``submit`` request is answered at once, and later the ROUTER
sends a ``job_done`` message to the same peer with the job's outcome. A
``flow_submit`` or ``flow_retry`` request is answered at once too, and a ``flow_done``
message with the flow's record follows when the flow reaches a final state.

Events travel from the coordinator's PUB socket as two frames: the topic (a flow id)
and one JSON object with ``type`` in :data:`EVENT_TYPES`. Output events carry a
``seq`` number per job so that a subscriber can tell when it missed one. A ``state``
event reports a job's new state, a ``flow`` event the flow's new state and its counts
of jobs per state. A ``probe`` request makes the coordinator publish a ``probe`` event
on the topic it names, so that a new subscriber can tell when its subscription is
live: ZeroMQ drops what a PUB socket sends before it has seen the subscription.
"""

from __future__ import annotations

import json
import math
from typing import Any

from herolib.errors import ProtocolError

HELLO = "hello"
SUBMIT = "submit"
CANCEL = "cancel"
STATUS = "status"
SHUTDOWN = "shutdown"
FLOW_SUBMIT = "flow_submit"
FLOW_CANCEL = "flow_cancel"
FLOW_RETRY = "flow_retry"
FLOW_STATUS = "flow_status"
FLOW_LIST = "flow_list"
PROBE = "probe"
NODES = "nodes"
REQUEST_TYPES = frozenset(
    {
        HELLO,
        PROBE,
        SUBMIT,
        CANCEL,
        STATUS,
        SHUTDOWN,
        FLOW_SUBMIT,
        FLOW_CANCEL,
        FLOW_RETRY,
        FLOW_STATUS,
        FLOW_LIST,
        NODES,
    }
)

REPLY = "reply"
JOB_DONE = "job_done"
FLOW_DONE = "flow_done"

OUTPUT = "output"
STATE = "state"
FLOW = "flow"
EVENT_TYPES = frozenset({OUTPUT, STATE, FLOW, PROBE})


def encode(message: dict[str, Any]) -> bytes:
    """Serialize one message to a JSON frame."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode()


def decode(frame: bytes) -> dict[str, Any]:
    """Parse one JSON frame into a message, checking it is an object with a ``type``."""
    try:
        message = json.loads(frame)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(
            f"message is not valid UTF-8 JSON ({exc}): {frame[:80]!r}"
        ) from exc
    if not isinstance(message, dict):
        raise ProtocolError(
            f"message must be a JSON object, got {type(message).__name__}: {frame[:80]!r}"
        )
    if not isinstance(message.get("type"), str):
        raise ProtocolError(f"message has no string 'type' field: {frame[:80]!r}")
    return message


def decode_request(frame: bytes) -> dict[str, Any]:
    """Parse a request frame and check its ``type`` and ``id``."""
    message = decode(frame)
    if message["type"] not in REQUEST_TYPES:
        raise ProtocolError(
            f"unknown request type {message['type']!r}; "
            f"expected one of {', '.join(sorted(REQUEST_TYPES))}"
        )
    if not isinstance(message.get("id"), str):
        raise ProtocolError(f"{message['type']} request has no string 'id' field")
    return message


def reply(request_id: str, **fields: Any) -> dict[str, Any]:
    """Build a successful reply to the request with id ``request_id``."""
    return {"type": REPLY, "id": request_id, "ok": True, **fields}


def error_reply(request_id: str, error: str) -> dict[str, Any]:
    """Build a failed reply to the request with id ``request_id``."""
    return {"type": REPLY, "id": request_id, "ok": False, "error": error}


def to_json_safe(value: Any) -> Any:
    """Convert a script result to something JSON can carry without loss of meaning.

    Bytes become lists of ints and non-finite floats become their names, because JSON
    has neither.
    """
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [to_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json_safe(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)
