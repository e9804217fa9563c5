"""Cell routing: the language of a cell, read from its first line."""

from __future__ import annotations

import dataclasses
import re

from herolib.heroscript import Playbook

RHAI = "rhai"
PYTHON = "python"
HEROSCRIPT = "heroscript"
MODULE = "module"

#: Cell magics that choose the language of the rest of the cell.
LANGUAGE_MAGICS = {"%%rhai": RHAI, "%%python": PYTHON, "%%heroscript": HEROSCRIPT}
INCLUDE_ACTIONS = frozenset({"play.include", "core.include"})
_ACTION_LINE = re.compile(
    r"^!{2,4}[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*(\s|$)"
)


@dataclasses.dataclass(frozen=True)
class Cell:
    """A cell split into its language and the code that language runs.

    ``first_line`` is the 1-based line of the original cell where ``code`` starts, so
    error positions can be given in the cell's own numbering.
    """

    language: str
    code: str
    first_line: int = 1
    name: str = ""


def split_cell(source: str) -> Cell:
    """Return the language of ``source`` and the code to run.

    A first line of ``%%python``, ``%%rhai`` or ``%%heroscript`` picks the language and
    is removed, and ``%%module NAME`` makes the rest a Rhai module named ``NAME``.
    Otherwise a cell whose first statement is a HeroScript action line
    (``!!actor.action``) is HeroScript, and anything else is Rhai.
    """
    lines = source.split("\n")
    head = lines[0].strip() if lines else ""
    magic = head.split(maxsplit=1)[0] if head else ""
    if magic == "%%module":
        name = head.split(maxsplit=1)[1].strip() if len(head.split()) > 1 else ""
        return Cell(MODULE, "\n".join(lines[1:]), first_line=2, name=name)
    if magic in LANGUAGE_MAGICS:
        return Cell(LANGUAGE_MAGICS[magic], "\n".join(lines[1:]), first_line=2)
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        if _ACTION_LINE.match(stripped):
            return Cell(HEROSCRIPT, source)
        break
    return Cell(RHAI, source)


def expand_heroscript(cell: Cell) -> Cell:
    """Return ``cell`` with its includes read, when it has any.

    Included paths are relative to the kernel's working folder (the notebook's folder),
    which a node elsewhere cannot see, so the node gets the expanded playbook. A cell
    without includes goes as written, which keeps error lines equal to the cell's.
    """
    playbook = Playbook(cell.code)
    if not any(action.key in INCLUDE_ACTIONS for action in playbook.actions):
        return cell
    return dataclasses.replace(cell, code=playbook.to_heroscript(), first_line=1)
