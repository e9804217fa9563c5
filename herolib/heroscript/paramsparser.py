"""Parse a parameter text (what follows an action name) into :class:`~.params.Params`.

This is herolib's ``paramsparser.parse``: dedent the text, turn every ``"`` into ``'``,
fold it into one line (:mod:`~.multiline`) and walk that line character by character.

- ``key:value`` and ``key:'quoted value'`` store a parameter. A key may contain
  letters, digits and ``_,./``, and any other character in a key is an error.
- A bare word is a positional argument.
- ``a, b`` after a key is a list, stored as ``a,b``. A list item with a space is
  wrapped in ``"`` when a comma follows it, and the last item only at the end of the
  text. A first item with a space is stored twice: ``'a b', c`` gives ``a b,"a b",c``.
- Inside quotes ``\\'`` keeps a quote. Because ``"`` became ``'``, a ``"`` inside a
  ``'...'`` value ends it early.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Sequence

from .errors import HeroScriptError
from .multiline import Piece, fold_lines
from .params import Params
from .text import after_last, before_last, dedent, split_into_lines

KEY_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,./"
)


class _State(enum.Enum):
    START = enum.auto()
    NAME = enum.auto()
    VALUE_WAIT = enum.auto()
    VALUE = enum.auto()
    QUOTE = enum.auto()
    VALUE_END = enum.auto()
    COMMENT = enum.auto()


class _Scanner:
    """herolib's character state machine over the folded single line."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.state = _State.START
        self.key = ""
        self.value = ""
        self.comment = ""
        self.in_list = False
        self.previous = ""

    def _store_value(self) -> None:
        self.params.set(self.key, self.value, self.comment)
        self.key = self.value = self.comment = ""

    def _quote_last_item(self) -> None:
        last = after_last(self.value, ",")
        if " " in last:
            self.value = f'{before_last(self.value, ",")},"{last}"'

    def feed(self, char: str) -> str | None:
        """Consume one character and return an error message if it is invalid in a key."""
        if self.state is _State.VALUE_END:
            if char == " ":
                self.previous = char
                return None
            if char == ",":
                self.in_list = True
                self._quote_last_item()
                self.state = _State.VALUE_WAIT
            else:
                self.state = _State.START
                self._store_value()
        if self.state is _State.START:
            if char == " ":
                self.previous = char
                return None
            self.state = _State.NAME
        if self.state is _State.NAME:
            return self._feed_name(char)
        if self.state is _State.VALUE_WAIT:
            if char == "'":
                self.state = _State.QUOTE
                self.previous = char
                return None
            if char != " ":
                self.state = _State.VALUE
        if self.state is _State.VALUE and char == ",":
            self.value += char
            self.in_list = True
            self.state = _State.VALUE_WAIT
        if self.state is _State.VALUE:
            if char == " ":
                self.state = _State.VALUE_END
                self.in_list = False
            else:
                self.value += char
        elif self.state is _State.QUOTE:
            if char == "'" and self.previous != "\\":
                self.state = _State.VALUE_END
            else:
                self.value += char
        elif self.state is _State.COMMENT:
            if char == "/" and self.previous == "-":
                self.state = _State.START
            else:
                self.comment += char
        self.previous = char
        return None

    def _feed_name(self, char: str) -> str | None:
        if self.previous == "/" and char == "/":
            # The first ``/`` stays in the key until storing strips leading ``/``.
            self.state = _State.COMMENT
        elif char == " " and self.key == "":
            pass
        elif char == ":":
            self.state = _State.VALUE_WAIT
        elif char == " ":
            self.state = _State.START
            self.params.set_arg(self.key, self.comment)
            self.key = self.value = self.comment = ""
        elif char not in KEY_CHARACTERS:
            message = (
                f"invalid character {char!r} after {self.key!r}: a key or argument may only "
                "contain letters, digits and _,./ (put other text in a quoted value)"
            )
            if char == "'":
                message += (
                    ". Note that \" is read as ', so a \" inside '...' ends the value"
                )
            return message
        else:
            self.key += char
        self.previous = char
        return None

    def finish(self) -> None:
        """Store what is pending at the end of the text."""
        if self.state in (_State.VALUE, _State.QUOTE, _State.VALUE_END):
            if self.in_list:
                self._quote_last_item()
            self._store_value()
        elif self.state is _State.NAME and self.key != "":
            self.params.set_arg(self.key, self.comment)


def _line_of(pieces: Sequence[Piece], starts: Sequence[int], position: int) -> int:
    """Return the 0-based source line index of a character position in the folded line."""
    index = bisect.bisect_right(starts, position) - 1
    return pieces[max(index, 0)].line_index if pieces else 0


def parse_params(
    text: str,
    *,
    origin: Sequence[tuple[int, str]] | None = None,
    source: str | None = None,
    line: int = 0,
) -> Params:
    """Parse a parameter text into :class:`~.params.Params`.

    Parameters
    ----------
    text
        The parameters, on one or more lines.
    origin
        The source line number and text of each line of ``text``, so that errors name
        the source line. By default the lines of ``text`` are numbered from 1.
    source
        The file name to put into errors, if any.
    line
        The line that typed reads report in :class:`~.errors.ParamError`.

    Returns
    -------
    Params
        The parameters and positional arguments.

    Raises
    ------
    HeroScriptError
        When a key or a bare word contains a character outside letters, digits and ``_,./``.
    """
    lines = split_into_lines(dedent(text).replace('"', "'"))
    pieces = fold_lines(lines)
    starts: list[int] = []
    offset = 0
    for piece in pieces:
        starts.append(offset)
        offset += len(piece.text) + 1
    folded = " ".join(piece.text for piece in pieces)
    params = Params(line, source)
    scanner = _Scanner(params)
    for position, char in enumerate(folded):
        problem = scanner.feed(char)
        if problem is not None:
            index = _line_of(pieces, starts, position)
            if origin is not None and index < len(origin):
                number, original = origin[index]
            else:
                original_lines = split_into_lines(text)
                number = index + 1
                original = (
                    original_lines[index] if index < len(original_lines) else text
                )
            raise HeroScriptError(problem, number, original, source)
    scanner.finish()
    return params
