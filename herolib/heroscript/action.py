"""One HeroScript action: ``!!actor.name`` with its parameters."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .params import Params
from .serialize import action_to_heroscript


class ActionType(enum.Enum):
    """Kind of action, given by the number of ``!`` in front of its name."""

    DAL = "dal"
    SAL = "sal"
    MACRO = "macro"
    WAL = "wal"

    @classmethod
    def from_bangs(cls, count: int) -> ActionType:
        """Return the type for 1 to 4 leading ``!``.

        Raises
        ------
        ValueError
            For any other count.
        """
        if not 1 <= count <= 4:
            raise ValueError(f"an action starts with one to four '!', not {count}")
        return _BY_BANGS[count]

    @property
    def bangs(self) -> str:
        """The ``!`` prefix that writes this type."""
        return "!" * _BANGS_BY_TYPE[self]


_BY_BANGS = {
    1: ActionType.DAL,
    2: ActionType.SAL,
    3: ActionType.MACRO,
    4: ActionType.WAL,
}
_BANGS_BY_TYPE = {kind: count for count, kind in _BY_BANGS.items()}

DEFAULT_PRIORITY = 50


@dataclass(eq=False)
class Action:
    """An action of a playbook.

    Two actions are equal when actor, name, type, parameters and comments are equal.
    ``priority``, ``done``, ``id``, ``line`` and ``source`` do not count.

    Attributes
    ----------
    actor
        Cleaned actor name, ``core`` when the action name has no dot.
    name
        Cleaned action name.
    type
        ``dal``, ``sal``, ``macro`` or ``wal`` for ``!`` to ``!!!!``.
    params
        Parameters and positional arguments.
    comments
        The ``//`` lines just before the action, without the slashes, joined by line breaks.
    priority
        Sort key of :meth:`~.playbook.Playbook.actions_sorted`, lower first.
    done
        Set by the code that handled the action.
    id
        1-based position in the playbook, 0 outside one.
    line
        1-based line of the action name in its source, 0 when unknown.
    source
        The file the action was read from, if any.
    """

    actor: str
    name: str
    type: ActionType = ActionType.SAL
    params: Params = field(default_factory=Params)
    comments: str = ""
    priority: int = DEFAULT_PRIORITY
    done: bool = False
    id: int = 0
    line: int = 0
    source: str | None = None

    @property
    def key(self) -> str:
        """``actor.name``."""
        return f"{self.actor}.{self.name}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Action):
            return NotImplemented
        return (
            self.actor == other.actor
            and self.name == other.name
            and self.type is other.type
            and self.params == other.params
            and self.comments == other.comments
        )

    def to_heroscript(self) -> str:
        """Write the action back as HeroScript that parses to an equal action.

        See :func:`~.serialize.action_to_heroscript` for the layout and the values that
        cannot be written exactly.
        """
        return action_to_heroscript(self)

    def __str__(self) -> str:
        return self.to_heroscript()
