"""Action filters as herolib's ``PlayBook.find`` reads them.

A filter is a comma-separated list of ``actor.name`` items, and ``:`` may stand for
``.``. An item without a dot is a name of actor ``core``. The part before the first
dot is the actor and the part after the last dot is the name. An empty part matches
anything, so ``payment.`` selects every payment action and the empty filter selects
every core action. A part containing ``*``, ``?`` or ``[`` is a case-sensitive glob,
and any other part is lower-cased, trimmed and compared exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .action import Action
from .text import trim_space

_GLOB_CHARACTERS = frozenset("*?[")


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a V ``match_glob`` pattern: ``*``, ``?``, ``[seq]`` and ``[^seq]``."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1 : end]
                negate = body.startswith("^")
                if negate:
                    body = body[1:]
                members = "".join("\\" + c if c in "\\]^[" else c for c in body)
                out.append(f"[{'^' if negate else ''}{members}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        # A class such as ``[z-a]`` is invalid, so the pattern is compared literally.
        return re.compile(re.escape(pattern), re.DOTALL)


def match_glob(text: str, pattern: str) -> bool:
    """Return whether the whole of ``text`` matches the glob ``pattern``."""
    return _glob_regex(pattern).fullmatch(text) is not None


def _part_matches(value: str, part: str) -> bool:
    if part == "":
        return True
    if _GLOB_CHARACTERS.intersection(part):
        return match_glob(value, part)
    return value == trim_space(part.lower())


@dataclass(frozen=True)
class FilterItem:
    """One ``actor.name`` item of a filter."""

    actor: str
    name: str

    def matches(self, action: Action) -> bool:
        """Return whether the action's actor and name fit this item."""
        return _part_matches(action.actor, self.actor) and _part_matches(
            action.name, self.name
        )


def parse_filter(text: str) -> list[FilterItem]:
    """Split a filter into its items.

    Parameters
    ----------
    text
        For example ``"payment.*, invoice.add, person_define"``.

    Returns
    -------
    list[FilterItem]
        One item per comma-separated part.
    """
    items = []
    for part in trim_space(text.replace(":", ".")).split(","):
        part = trim_space(part)
        if "." in part:
            actor = trim_space(part.partition(".")[0])
            name = trim_space(part.rpartition(".")[2])
        else:
            actor, name = "core", part
        items.append(FilterItem(actor, name))
    return items


def matches_filter(action: Action, text: str) -> bool:
    """Return whether any item of the filter ``text`` selects ``action``."""
    return any(item.matches(action) for item in parse_filter(text))
