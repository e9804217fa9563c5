"""Read the actions out of a HeroScript or Markdown text, as herolib's ``PlayBook.add`` does.

Rules, after the common indentation of the whole text is removed and tabs count as
four spaces:

- A line whose trimmed text starts with ``!`` (but not ``![``, a Markdown image) starts
  an action, even inside prose or a code fence. One to four ``!`` give the type
  dal, sal, macro or wal. ``actor.name`` follows, and a name without a dot belongs to
  actor ``core``. The rest of the line contains parameters.
- Lines indented by at least two spaces continue the action. Blank lines are skipped
  and do not end it, but any other line does.
- ``//`` lines at column 0 right before an action become its comments.
- All other text is ignored, so a Markdown file can hold a playbook.
- The parameter lines go to :func:`~.paramsparser.parse_params`, and ``id`` is dropped.
  Because blank lines were skipped, a multiline value inside an action loses its blank
  lines.
"""

from __future__ import annotations

import enum

from .action import DEFAULT_PRIORITY, Action, ActionType
from .errors import HeroScriptError
from .names import name_fix
from .paramsparser import parse_params
from .text import TAB_AS_SPACES, dedent, split_into_lines, trim_space

MAX_BANGS = 4


class _State(enum.Enum):
    START = enum.auto()
    COMMENT = enum.auto()
    ACTION = enum.auto()


def _new_action(
    line: str, number: int, source: str | None, priority: int
) -> tuple[Action, str]:
    """Build the action named on ``line`` and return it with the parameter text after the name."""
    name_text, _, rest = line.partition(" ")
    rest = trim_space(rest)
    bangs = len(name_text) - len(name_text.lstrip("!"))
    if bangs > MAX_BANGS:
        raise HeroScriptError(
            f"an action starts with one to four '!' (dal, sal, macro, wal), found {bangs}",
            number,
            line,
            source,
        )
    parts = name_text.lstrip("!").split(".")
    if len(parts) > 2:
        raise HeroScriptError(
            f"action name {name_text.lstrip('!')!r} has more than one dot: expected actor.name",
            number,
            line,
            source,
        )
    actor, name = (
        ("core", parts[0]) if len(parts) == 1 else (name_fix(parts[0]), parts[1])
    )
    action = Action(
        actor=actor,
        name=name_fix(name),
        type=ActionType.from_bangs(bangs),
        priority=priority,
        line=number,
        source=source,
    )
    return action, rest


def _read_params(action: Action, data: list[tuple[int, str]], lines: list[str]) -> None:
    """Parse the collected ``(line number, text)`` parameter lines into ``action.params``."""
    action.params = parse_params(
        "\n".join(text for _, text in data),
        origin=[(number, lines[number - 1]) for number, _ in data],
        source=action.source,
        line=action.line,
    )
    # herolib drops ``id`` from every action's parameters.
    action.params.delete("id")


def _comment_text(line: str) -> str:
    return trim_space(line).lstrip("/ ")


def parse_actions(
    text: str, *, source: str | None = None, priority: int = DEFAULT_PRIORITY
) -> list[Action]:
    """Parse the actions of a HeroScript or Markdown text in document order.

    Parameters
    ----------
    text
        The playbook text.
    source
        File name for actions and error messages, if the text came from a file.
    priority
        Priority given to every action.

    Returns
    -------
    list[Action]
        The actions, with ``id`` 0 until a playbook numbers them.

    Raises
    ------
    HeroScriptError
        For five or more ``!``, a name with two dots, or invalid parameters. The error
        names the line.
    """
    lines = split_into_lines(dedent(text))
    actions: list[Action] = []
    state = _State.START
    comments: list[str] = []
    data: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.replace("\t", TAB_AS_SPACES)
        stripped = trim_space(line)
        if stripped == "":
            continue
        if state is _State.ACTION:
            if line.startswith("  ") and not stripped.startswith("!"):
                data.append((number, line))
                continue
            _read_params(actions[-1], data, lines)
            state = _State.START
            comments = []
        if state is _State.COMMENT:
            if line.startswith("//"):
                comments.append(_comment_text(line))
                continue
            if not stripped.startswith("!"):
                comments = []
            state = _State.START
        if stripped.startswith("!") and not stripped.startswith("!["):
            action, rest = _new_action(stripped, number, source, priority)
            action.comments = "\n".join(comments)
            actions.append(action)
            comments = []
            data = [(number, rest)] if rest else []
            state = _State.ACTION
        elif line.startswith("//"):
            comments.append(_comment_text(line))
            state = _State.COMMENT
    if state is _State.ACTION:
        _read_params(actions[-1], data, lines)
    return actions
