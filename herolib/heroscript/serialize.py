"""Write actions back as HeroScript that the parser reads to equal actions.

The layout follows herolib's export: the action line carries the positional
arguments and short single-line parameters, every other parameter gets its own line
indented by four spaces, and a value with line breaks becomes a ``key:'`` block.
Unlike herolib, arguments keep their order and case, and comments are written too.

HeroScript cannot represent every string, so each value is written in the first form that
reads back exactly: bare, quoted, block, or quoted with ``\\\\n`` for line breaks.
A value that fits none of them (one containing both ``'`` and ``"``, or a ``"`` and a
blank line) is written quoted with its ``"`` turned into ``'``, so it reads back
changed. Names are cleaned again when read, so a name with ``__`` (which herolib makes
of ``a--b``) reads back with one ``_``. Empty positional arguments and comments that
contain ``//`` are not written exactly either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .errors import HeroScriptError
from .multiline import ESCAPED_NEWLINE, opens_multiline
from .params import Params
from .paramsparser import parse_params
from .text import trim_space

if TYPE_CHECKING:
    from .action import Action

INDENT = "    "
# herolib puts a parameter on the action line only while the line stays this short.
FIRST_LINE_WIDTH = 30
FIRST_LINE_VALUE_WIDTH = 25


# Spaces put before a closing quote so that a value ending in ':' does not make the line
# end in ``:'``, which would open a multiline value. herolib drops at most three spaces
# after a colon in that check, and trims the value afterwards.
_COLON_PADDING = " " * 4


def _escape_quoted(value: str) -> str:
    escaped = value.replace("'", "\\'").replace("\n", ESCAPED_NEWLINE)
    if value.endswith(":"):
        escaped += _COLON_PADDING
    return "'" + escaped + "'"


def _lossy_quoted(value: str) -> str:
    """Quote a value that no exact form can write, so that at least the line parses."""
    return _escape_quoted(value.replace('"', "'").rstrip("\\"))


def _list_form(value: str) -> str:
    """Write a stored list such as ``a,"b c"`` with its quoted items in ``'...'``."""
    items = value.split(",")
    if len(items) >= 2 and items[1] == f'"{items[0]}"':
        # herolib stores a quoted first item with a space twice (``'a b', c`` gives
        # ``a b,"a b",c``), so the first two items come from one quoted source item.
        items = items[1:]
    written = []
    for item in items:
        if len(item) >= 2 and item.startswith('"') and item.endswith('"'):
            item = item[1:-1]
        elif "'" not in item:
            written.append(item)
            continue
        written.append("'" + item.replace("'", "\\'") + "'")
    return ",".join(written)


def _value_forms(key: str, value: str) -> Iterator[list[str]]:
    """Yield candidate line lists for ``key:value``, most readable first."""
    if value == "":
        yield [f"{key}:''"]
        return
    if not any(char in value for char in " \t\n\r\v\f'\""):
        yield [f"{key}:{value}"]
    if "\n" not in value:
        yield [f"{key}:{_escape_quoted(value)}"]
        if '"' in value:
            yield [f"{key}:{_list_form(value)}"]
    block = [INDENT + line for line in value.split("\n")]
    yield [f"{key}:'", *block, "'"]
    if "\n" in value:
        yield [f"{key}:{_escape_quoted(value)}"]
    yield [f"{key}:{_lossy_quoted(value)}"]


def _parse_as_in_playbook(lines: list[str]) -> Params | None:
    """Parse parameter lines the way a playbook hands them over, or None if they break it.

    A playbook drops blank lines, and a line starting with ``!`` starts a new action.
    """
    for line in lines:
        stripped = trim_space(line)
        if stripped == "" or stripped.startswith("!"):
            return None
    try:
        return parse_params("\n".join(lines))
    except HeroScriptError:
        return None


def _single_param(key: str, value: str) -> Params:
    expected = Params()
    expected.set(key, value)
    return expected


def value_lines(key: str, value: str) -> list[str]:
    """Return the lines that write ``key:value``, preferring forms that read back exactly.

    Parameters
    ----------
    key
        A stored parameter key.
    value
        The stored value.

    Returns
    -------
    list[str]
        One line, or the lines of a ``key:'`` block, without indentation.
    """
    expected = _single_param(key, value)
    last: list[str] = []
    for lines in _value_forms(key, value):
        last = lines
        if _parse_as_in_playbook(lines) == expected:
            return lines
    return last


def comment_lines(comment: str) -> list[str]:
    """Return ``//`` lines for a comment, one per line of the comment."""
    if comment == "":
        return []
    return [f"// {line}" if line else "//" for line in comment.split("\n")]


def _params_layout(params: Params, use_first_line: bool) -> tuple[list[str], list[str]]:
    """Split the parameters into words for the action line and lines below it."""
    first: list[str] = []
    below: list[str] = []
    width = 0
    args_inline = use_first_line and not params.arg_comments
    for arg in params.args:
        if args_inline:
            first.append(arg)
            width += len(arg) + 1
        else:
            below += comment_lines(params.arg_comments.get(arg, ""))
            below.append(arg)
    for key, value in params.as_dict().items():
        lines = value_lines(key, value)
        comment = params.comment(key)
        fits = (
            use_first_line
            and not comment
            and len(lines) == 1
            and len(value) <= FIRST_LINE_VALUE_WIDTH
            and width <= FIRST_LINE_WIDTH
            and not opens_multiline(lines[0])
        )
        if fits:
            first.append(lines[0])
            width += len(key) + len(value) + 2
        else:
            below += comment_lines(comment)
            below += lines
    return first, below


def params_to_lines(params: Params) -> tuple[str, list[str]]:
    """Return the text for the action line and the parameter lines below it.

    The compact layout is checked by parsing it back. When it does not read back to
    ``params``, every item goes on its own line instead.

    Returns
    -------
    tuple[str, list[str]]
        The words after the action name (may be empty) and the unindented lines below.
    """
    first, below = _params_layout(params, use_first_line=True)
    first_text = " ".join(first)
    check_lines = ([first_text] if first_text else []) + below
    if not check_lines:
        return first_text, below
    parsed = _parse_as_in_playbook(check_lines)
    if parsed is not None and _without_id(parsed) == _without_id(params):
        return first_text, below
    first, below = _params_layout(params, use_first_line=False)
    return "", below


def _without_id(params: Params) -> Params:
    # A playbook drops ``id`` after parsing, so the check must not expect it.
    copy = params.copy()
    copy.delete("id")
    return copy


def action_to_heroscript(action: Action) -> str:
    """Write one action: its comments, the action line and the indented parameter lines.

    Parameters
    ----------
    action
        The action to write.

    Returns
    -------
    str
        HeroScript ending in a line break.
    """
    first_text, below = params_to_lines(action.params)
    head = f"{action.type.bangs}{action.actor}.{action.name}"
    if first_text:
        head += " " + first_text
    lines = [*comment_lines(action.comments), head]
    lines += [INDENT + line for line in below]
    return "\n".join(lines) + "\n"


def actions_to_heroscript(actions: Iterable[Action]) -> str:
    """Write actions one after another, separated by blank lines."""
    return "\n".join(action_to_heroscript(action) for action in actions)
