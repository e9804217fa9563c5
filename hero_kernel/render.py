"""Turning a job's outcome into Jupyter message content."""

from __future__ import annotations

import re
from typing import Any

from herolib.models import JobOutcome, ScriptError

#: Result types shown with ``application/json`` beside ``text/plain``: Rhai maps and
#: arrays, and the action results of a HeroScript playbook.
JSON_TYPES = frozenset({"map", "array", "playbook"})


def result_data(outcome: JobOutcome) -> dict[str, Any] | None:
    """Return the mime bundle of the job's value, or None for unit (nothing to show)."""
    if outcome.type_name in ("()", ""):
        return None
    data: dict[str, Any] = {"text/plain": outcome.text}
    if outcome.type_name in JSON_TYPES:
        data["application/json"] = outcome.value
    return data


def error_content(
    error: ScriptError, source: str, first_line: int = 1
) -> dict[str, Any]:
    """Return ``ename``, ``evalue`` and ``traceback`` for a script error.

    ``first_line`` shifts the engine's line numbers to the cell's own when a first
    line such as ``%%rhai`` was removed before the script ran.
    """
    line = error.line + first_line - 1 if error.line is not None else None
    where = _position(line, error.column)
    evalue = f"{error.message}{where}"
    traceback = [f"\x1b[0;31m{error.kind}\x1b[0m: {evalue}"]
    lines = source.split("\n")
    if error.line is not None and line is not None and 1 <= error.line <= len(lines):
        text = lines[error.line - 1]
        gutter = f"{line:>4} | "
        traceback.append(gutter + text)
        if error.column is not None and error.column >= 1:
            traceback.append(" " * (len(gutter) + error.column - 1) + "^")
    return {"ename": error.kind, "evalue": evalue, "traceback": traceback}


def _position(line: int | None, column: int | None) -> str:
    if line is None:
        return ""
    return f" (line {line})" if column is None else f" (line {line}, column {column})"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes."""
    return _ANSI.sub("", text)
