"""String helpers that behave like the V string functions herolib's parser relies on.

Python's own ``str.strip()`` and ``str.splitlines()`` accept more whitespace and more
line breaks than V does, so the parser uses these helpers to split and trim exactly
where herolib does.
"""

from __future__ import annotations

# V's ``trim_space`` removes exactly these characters.
V_WHITESPACE = " \n\t\v\f\r"

TAB_AS_SPACES = "    "


def trim_space(text: str) -> str:
    """Strip the characters V's ``trim_space`` strips from both ends."""
    return text.strip(V_WHITESPACE)


def split_into_lines(text: str) -> list[str]:
    r"""Split ``text`` at ``\n``, ``\r\n`` and ``\r`` like V's ``split_into_lines``.

    A final line break does not produce an empty last line, and empty text gives no
    lines.
    """
    lines: list[str] = []
    start = 0
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\n":
            lines.append(text[start:index])
            start = index + 1
        elif char == "\r":
            lines.append(text[start:index])
            if index + 1 < length and text[index + 1] == "\n":
                index += 1
            start = index + 1
        index += 1
    if start < length:
        lines.append(text[start:])
    return lines


def dedent(text: str) -> str:
    """Remove the indentation that all non-blank lines share, counting a tab as four spaces.

    Every line keeps its place: blank lines become empty and tabs become four spaces,
    so line ``n`` of the result comes from line ``n`` of ``text``.
    """
    lines = split_into_lines(text)
    indent = None
    for line in lines:
        if trim_space(line) == "":
            continue
        expanded = line.replace("\t", TAB_AS_SPACES)
        current = len(expanded) - len(expanded.lstrip(" "))
        indent = current if indent is None else min(indent, current)
    result = []
    for line in lines:
        if trim_space(line) == "":
            result.append("")
        else:
            result.append(line.replace("\t", TAB_AS_SPACES)[indent:])
    return "\n".join(result)


def after_first(text: str, separator: str) -> str:
    """Return the text after the first ``separator``, or all of it when there is none."""
    head, found, tail = text.partition(separator)
    return tail if found else head


def before_first(text: str, separator: str) -> str:
    """Return the text before the first ``separator``, or all of it when there is none."""
    return text.partition(separator)[0]


def after_last(text: str, separator: str) -> str:
    """Return the text after the last ``separator``, or all of it when there is none."""
    return text.rpartition(separator)[2]


def before_last(text: str, separator: str) -> str:
    """Return the text before the last ``separator``, or all of it when there is none."""
    head, found, tail = text.rpartition(separator)
    return head if found else tail
