"""Rhai scripting for Hero nodes: the engine, sessions, values and errors of `nodes._rhai`.

`Engine` runs Rhai scripts with the GIL released; a `Session` keeps variables and
functions between evaluations, as a notebook needs. See `nodes/_rhai.pyi` for the
value conversion table and the error fields.
"""

from nodes._rhai import (
    Engine,
    Evaluation,
    FnPtr,
    FunctionInfo,
    Opaque,
    RhaiError,
    Session,
    Timestamp,
    parse_status,
)
from nodes.rhai.values import Char

__all__ = [
    "Char",
    "Engine",
    "Evaluation",
    "FnPtr",
    "FunctionInfo",
    "Opaque",
    "RhaiError",
    "Session",
    "Timestamp",
    "parse_status",
]
