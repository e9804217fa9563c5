"""Completion and inspection for Rhai cells, from the engine's own metadata.

The kernel runs no script. It builds one local Engine only to list the functions a
node offers: the standard packages and the runner's registered functions, with
signatures and doc comments. The session's variables and script-defined functions
come from the summary that comes back with each job.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from nodes.rhai import Engine
from nodes.runners.herodb_functions import register_herodb

RHAI_KEYWORDS = (
    "as", "break", "catch", "const", "continue", "do", "else", "export", "false", "fn",
    "for", "global", "if", "import", "in", "let", "loop", "private", "return", "switch",
    "this", "throw", "true", "try", "until", "while",
)  # fmt: skip

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Overloads shown at most when inspecting one name.
MAX_OVERLOADS = 12


@dataclasses.dataclass(frozen=True)
class Function:
    """A function a script can call, as completion and inspection show it."""

    name: str
    signature: str
    doc: str
    origin: str


def node_functions() -> list[Function]:
    """Return the functions of the ``osis`` runner's engine: built in and registered."""
    engine = Engine()
    register_herodb(engine, None)
    return [
        Function(info.name, info.signature, info.doc, info.origin)
        for info in engine.functions()
    ]


def word_at(code: str, cursor: int) -> tuple[int, int]:
    """Return the start and end of the identifier that touches ``cursor``."""
    start = cursor
    while start > 0 and (code[start - 1].isalnum() or code[start - 1] == "_"):
        start -= 1
    end = cursor
    while end < len(code) and (code[end].isalnum() or code[end] == "_"):
        end += 1
    return start, end


class Namespace:
    """The names a Rhai cell can use: keywords, the session's names, the node's functions.

    ``update`` takes the session summary that comes back with each job.
    """

    def __init__(self, functions: list[Function]) -> None:
        self.node_functions = functions
        self.variables: list[dict[str, Any]] = []
        self.session_functions: list[Function] = []

    def update(self, summary: dict[str, Any] | None) -> None:
        if not summary:
            return
        self.variables = list(summary.get("variables", []))
        self.session_functions = [
            Function(item["name"], item["signature"], item.get("doc", ""), "script")
            for item in summary.get("functions", [])
        ]

    def complete(self, code: str, cursor: int) -> dict[str, Any]:
        """Return a Jupyter ``complete_reply`` for ``code`` at ``cursor``."""
        start = cursor
        while start > 0 and (code[start - 1].isalnum() or code[start - 1] == "_"):
            start -= 1
        prefix = code[start:cursor]
        seen: set[str] = set()
        matches: list[str] = []
        types: list[dict[str, Any]] = []

        def offer(text: str, kind: str, signature: str = "") -> None:
            if (
                text.startswith(prefix)
                and text not in seen
                and _IDENTIFIER.fullmatch(text)
            ):
                seen.add(text)
                matches.append(text)
                entry = {"start": start, "end": cursor, "text": text, "type": kind}
                types.append({**entry, "signature": signature})

        for variable in self.variables:
            offer(variable["name"], "instance")
        for function in [*self.session_functions, *self.node_functions]:
            offer(function.name, "function", function.signature)
        for keyword in RHAI_KEYWORDS:
            offer(keyword, "keyword")
        return {
            "status": "ok",
            "matches": matches,
            "cursor_start": start,
            "cursor_end": cursor,
            "metadata": {"_jupyter_types_experimental": types},
        }

    def inspect(self, code: str, cursor: int) -> dict[str, Any]:
        """Return a Jupyter ``inspect_reply`` for the name at ``cursor``."""
        start, end = word_at(code, cursor)
        name = code[start:end]
        text = self.describe(name) if name else ""
        if not text:
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        return {
            "status": "ok",
            "found": True,
            "data": {"text/plain": text},
            "metadata": {},
        }

    def describe(self, name: str) -> str:
        """Return what is known of ``name``: a variable's type, or functions and docs."""
        parts: list[str] = []
        for variable in self.variables:
            if variable["name"] == name:
                kind = "constant" if variable.get("constant") else "variable"
                parts.append(f"{kind} {name}: {variable['type']}")
        overloads = [
            function
            for function in [*self.session_functions, *self.node_functions]
            if function.name == name
        ]
        for function in overloads[:MAX_OVERLOADS]:
            entry = f"{function.signature}    [{function.origin}]"
            if function.doc:
                entry += "\n" + _indent(function.doc)
            parts.append(entry)
        if len(overloads) > MAX_OVERLOADS:
            parts.append(f"... and {len(overloads) - MAX_OVERLOADS} more overloads")
        if not parts and name in RHAI_KEYWORDS:
            parts.append(f"{name}: Rhai keyword")
        return "\n\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
