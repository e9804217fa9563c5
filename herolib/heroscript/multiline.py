"""First stage of the parameter parser: fold a multi-line parameter text into one line.

This follows herolib's ``texttools.multiline_to_single``:

- Blank lines outside a multiline value are dropped.
- ``key:'`` at the end of a line opens a multiline value that runs to a line that
  contains only a quote. ``key:"``, ``key:'''`` and ``key:\"\"\"`` work too, with up
  to three spaces after the colon. The body is dedented, its ``'`` become ``"`` and
  its line breaks are written as ``\\\\n``.
- ``// text`` at the end of a line, lines of ``//`` comments and ``<!-- ... -->``
  become ``//text-/`` markers, which the character scanner attaches to the next
  parameter.

Each resulting piece remembers the line it started on, so a scanner error can name it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .text import TAB_AS_SPACES, after_first, before_first, dedent, trim_space

# Escaped line break inside a folded value: a backslash, a backslash and ``n``.
ESCAPED_NEWLINE = "\\\\n"

_CLOSING_QUOTES = ("'", '"', '"""', "'''")
_OPENING_ENDS = (":'", ':"', ':"""', ":'''")


@dataclass(frozen=True)
class Piece:
    """A part of the folded text and the 0-based index of the line it starts on."""

    text: str
    line_index: int


class _State(enum.Enum):
    START = enum.auto()
    MULTILINE = enum.auto()
    COMMENT = enum.auto()


def opens_multiline(line: str) -> bool:
    """Return whether a trimmed line ends in ``key:'`` or another quote that opens a block."""
    if line == "":
        return False
    squeezed = line
    # herolib removes one space after a colon three times, so ``key:   '`` still opens.
    for _ in range(3):
        squeezed = squeezed.replace(": ", ":")
    return squeezed.endswith(_OPENING_ENDS)


def _closes_multiline(line: str) -> bool:
    return line in _CLOSING_QUOTES


def _end_multiline(first_line: str, body: str) -> str:
    folded = dedent(body).replace("\n", ESCAPED_NEWLINE).replace("'", '"')
    first_content = after_first(first_line, ":").lstrip("\" '")
    name = trim_space(before_first(first_line, ":"))
    if trim_space(first_content) != "":
        # herolib repeats the whole opening line here, which the scanner usually rejects.
        return f"{name}:'{first_line}{ESCAPED_NEWLINE}{folded}'"
    return f"{name}:'{folded}'"


def _split_comment(pieces: list[Piece], line: str, index: int) -> tuple[str, str]:
    """Return ``(text, comment)`` for a trimmed line, as herolib's comment check does.

    A trailing ``// comment`` with no quote after the last ``//`` is cut off and added
    to ``pieces`` as a marker in front of the remaining text.
    """
    if line.startswith("<!--"):
        return "", trim_space(line.replace("<!--", ""))
    if "//" not in line:
        return line, ""
    tail = line.rpartition("//")[2]
    if "'" in tail:
        return line, ""
    head = trim_space(line.rpartition("//")[0])
    if head:
        pieces.append(Piece(f"//{tail}-/", index))
        return head, ""
    return "", tail


def _comment_ends(line: str) -> bool:
    return line.endswith("-->") or not line.startswith("//")


def _end_comment(lines: list[str]) -> str:
    body = ESCAPED_NEWLINE.join(line.strip(" <->/\n") for line in lines)
    return f"//{body}-/"


def fold_lines(lines: list[str]) -> list[Piece]:
    """Fold the lines of a parameter text into pieces for the character scanner.

    Parameters
    ----------
    lines
        The lines of a dedented parameter text in which ``"`` was already turned into ``'``.

    Returns
    -------
    list[Piece]
        The pieces in order. Joined with single spaces they form herolib's single line.
    """
    pieces: list[Piece] = []
    state = _State.START
    first_line = ""
    first_index = 0
    body = ""
    comment: list[str] = []
    comment_index = 0
    for index, raw in enumerate(lines):
        line = raw.replace("\t", TAB_AS_SPACES)
        trimmed = trim_space(line)
        if state is _State.MULTILINE:
            if _closes_multiline(trimmed):
                pieces.append(Piece(_end_multiline(first_line, body), first_index))
                first_line, body = "", ""
                state = _State.START
            else:
                body += line + "\n"
            continue
        if state is _State.COMMENT:
            if not _comment_ends(trimmed):
                comment.append(trimmed)
                continue
            # The line that ends a comment is still read as parameters below.
            pieces.append(Piece(_end_comment(comment), comment_index))
            comment = []
            state = _State.START
        if trimmed == "":
            continue
        trimmed, comment_part = _split_comment(pieces, trimmed, index)
        if comment_part:
            state = _State.COMMENT
            comment = [comment_part]
            comment_index = index
            continue
        if opens_multiline(trimmed):
            state = _State.MULTILINE
            first_line = trimmed
            first_index = index
            continue
        pieces.append(Piece(trimmed.strip("\n "), index))
    if state is _State.MULTILINE:
        pieces.append(Piece(_end_multiline(first_line, body), first_index))
    if state is _State.COMMENT:
        pieces.append(Piece(_end_comment(comment), comment_index))
    return pieces
