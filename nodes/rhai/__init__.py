"""Rhai scripting for Hero nodes: the engine, sessions and errors of `nodes._rhai`.

`Engine` runs Rhai scripts with the GIL released; a `Session` keeps variables and
functions between evaluations, as a notebook needs. See `nodes/_rhai.pyi` for the
value conversion table and the error fields.
"""

from nodes._rhai import Engine, Evaluation, RhaiError, Session, parse_status

__all__ = ["Engine", "Evaluation", "RhaiError", "Session", "parse_status"]
