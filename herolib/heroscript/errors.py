"""Exceptions of the HeroScript package, drawn as a tree in the package docstring."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from herolib.errors import HeroError

if TYPE_CHECKING:
    from .action import Action


class HeroScriptError(HeroError, ValueError):
    """HeroScript text that herolib would reject, or a value that does not fit its use.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    line
        1-based line number in the source, or 0 when no line applies.
    text
        The offending line or value.
    source
        The file the text came from, when it came from a file.
    """

    def __init__(
        self, message: str, line: int, text: str, source: str | None = None
    ) -> None:
        self.message = message
        self.line = line
        self.text = text
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        if self.source:
            where = f"{self.source}, {where or 'HeroScript: '}"
        return f"{where}{self.message}: {self.text!r}"


class ParamError(HeroScriptError):
    """A typed read of a parameter failed: the key is missing or its value does not convert.

    ``key`` is the cleaned key that was read. ``line`` is the line of the action that
    owns the parameters, or 0 when they were parsed on their own.
    """

    def __init__(
        self,
        message: str,
        key: str,
        text: str,
        line: int = 0,
        source: str | None = None,
    ) -> None:
        self.key = key
        super().__init__(message, line, text, source)


class UnhandledActionsError(HeroScriptError):
    """Actions of a playbook were never marked done.

    ``actions`` lists them, ``text`` is their HeroScript and ``line`` is the line of
    the first one.
    """

    def __init__(self, actions: Sequence[Action], text: str) -> None:
        self.actions = list(actions)
        first = self.actions[0] if self.actions else None
        line = first.line if first is not None else 0
        source = first.source if first is not None else None
        count = len(self.actions)
        message = f"{count} action(s) were not handled: mark each one done or remove it"
        super().__init__(message, line, text, source)

    def _render(self) -> str:
        return f"{self.message}:\n\n{self.text}"
