"""Notebook sessions that survive the node: snapshots of a Rhai session's state.

A snapshot contains the session's variables (with their constness) and the sources of
the scripts that defined its functions, in replay order. The coordinator stores the
latest snapshot of each context and sends it with every job, so a session can be
rebuilt on any node, after a node restart too.

Values are stored as JSON with a few tagged forms for what JSON lacks (``$blob``,
``$char``, ``$float``, ``$map``). A value that cannot be stored this way (an opaque
Python object, a timestamp, a function pointer) is left out of the snapshot and its
variable name listed in ``dropped``.
"""

from __future__ import annotations

import base64
import dataclasses
import math
from typing import Any

from nodes.rhai import Char, Engine, FunctionInfo, Session

#: Rhai's type names for the Python types a stored value can have.
RHAI_TYPE_NAMES = {
    bool: "bool",
    int: "i64",
    float: "f64",
    str: "string",
    Char: "char",
    bytes: "blob",
    list: "array",
    dict: "map",
    type(None): "()",
}


class UnstorableValue(TypeError):
    """A value has no stored form; the message names its type."""


def encode_value(value: Any) -> Any:
    """Return the JSON form of a session value, or raise :class:`UnstorableValue`."""
    if value is None or isinstance(value, bool) or type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$float": str(value)}
    if isinstance(value, Char):
        return {"$char": str(value)}
    if type(value) is str:
        return value
    if isinstance(value, bytes):
        return {"$blob": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        encoded = {key: encode_value(item) for key, item in value.items()}
        return (
            {"$map": encoded} if any(key.startswith("$") for key in value) else encoded
        )
    raise UnstorableValue(f"a value of type {type(value).__name__} cannot be stored")


def decode_value(data: Any) -> Any:
    """Return the session value of a JSON form made by :func:`encode_value`."""
    if isinstance(data, list):
        return [decode_value(item) for item in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        ((tag, inner),) = data.items()
        if tag == "$blob":
            return base64.b64decode(inner)
        if tag == "$char":
            return Char(inner)
        if tag == "$float":
            return float(inner)
        if tag == "$map":
            return {key: decode_value(item) for key, item in inner.items()}
    return {key: decode_value(item) for key, item in data.items()}


def rhai_type_name(value: Any) -> str:
    """Return Rhai's name for the type of a converted value."""
    return RHAI_TYPE_NAMES.get(type(value), type(value).__name__)


def function_dict(info: FunctionInfo) -> dict[str, Any]:
    """Return the plain-dict form of a function's metadata."""
    return {
        "name": info.name,
        "params": list(info.params),
        "signature": info.signature,
        "doc": info.doc,
    }


@dataclasses.dataclass
class SessionSnapshot:
    """The storable state of one context's Rhai session.

    ``version`` counts the jobs that changed the session; a node that still has that
    version in memory skips the restore.
    """

    version: int = 0
    variables: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    sources: list[str] = dataclasses.field(default_factory=list)
    dropped: list[str] = dataclasses.field(default_factory=list)
    functions: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionSnapshot:
        return cls(**data)

    def summary(self) -> dict[str, Any]:
        """Return what a kernel needs for completion: names, types and functions."""
        return {
            "version": self.version,
            "variables": [
                {
                    "name": item["name"],
                    "type": item["type"],
                    "constant": item["constant"],
                }
                for item in self.variables
            ],
            "dropped": list(self.dropped),
            "functions": list(self.functions),
        }


def take_snapshot(session: Session, version: int) -> SessionSnapshot:
    """Capture ``session``'s variables and function sources as version ``version``."""
    constants = set(session.constants())
    variables, dropped = [], []
    for name, value in session.variables().items():
        try:
            encoded = encode_value(value)
        except (UnstorableValue, RecursionError):
            dropped.append(name)
            continue
        variables.append(
            {
                "name": name,
                "value": encoded,
                "type": rhai_type_name(value),
                "constant": name in constants,
            }
        )
    return SessionSnapshot(
        version=version,
        variables=variables,
        sources=list(session.function_sources()),
        dropped=dropped,
        functions=[function_dict(info) for info in session.function_info()],
    )


def restore(engine: Engine, snapshot: SessionSnapshot) -> Session:
    """Build a new session from ``snapshot``, compiling its functions with ``engine``."""
    session = Session()
    for source in snapshot.sources:
        session.load_functions(engine, source)
    for item in snapshot.variables:
        session.set(
            item["name"], decode_value(item["value"]), constant=item["constant"]
        )
    return session
