"""Actors: the Python classes that carry out a playbook's actions.

An actor handles the actions of one actor name (``db`` for ``!!db.set``). Actors are
found through the entry-point group ``hero_notebook.actors``, whose entry names are
actor names, so another package can add its own with one line in its metadata::

    [project.entry-points."hero_notebook.actors"]
    deploy = "mypackage.actors:DeployActor"

:func:`run_playbook` dispatches each action that is not done, in priority order, and
raises :class:`~herolib.heroscript.UnhandledActionsError` with herolib's listing of the
leftover actions when one found no actor or method.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, ClassVar

from herolib.errors import HeroError
from herolib.heroscript import Action, Playbook

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hero_notebook.actors"


class ActorError(HeroError):
    """An actor failed on an action; the message names the action and its line."""

    def __init__(self, action: Action, message: str) -> None:
        super().__init__(f"!!{action.key} (line {action.line}): {message}")
        self.action = action
        self.line = action.line


@dataclasses.dataclass
class ActorContext:
    """The facilities actors may use while a playbook runs on a node.

    Attributes
    ----------
    context
        The notebook session (context) the job belongs to.
    write
        Sends one line of output to the job's output stream.
    services
        Named facilities the runner offers, such as ``"herodb"`` (a Redis client for
        the context's database) or ``"rhai"`` (a function that runs a Rhai script).
        An actor that needs a missing one raises :class:`ActorError`.
    """

    context: str
    write: Callable[[str], None]
    services: dict[str, Any] = dataclasses.field(default_factory=dict)

    def service(self, name: str, action: Action) -> Any:
        """Return the service ``name`` or raise an error naming the action."""
        if name not in self.services:
            raise ActorError(
                action, f"this runner offers no {name!r}; run the job on a Hero node"
            )
        return self.services[name]


class Actor:
    """Base class of actors: ``!!NAME.ACTION`` calls the method ``action_ACTION``.

    One instance serves one playbook run. A method returns the action's result; an
    action whose method is missing stays undone and is reported as left over.
    """

    #: Actor name the class serves when registered without an entry point.
    name: ClassVar[str] = ""

    def __init__(self, context: ActorContext) -> None:
        self.context = context

    def handler(self, action: Action) -> Callable[[Action], Any] | None:
        method = getattr(self, f"action_{action.name}", None)
        return method if callable(method) else None


@dataclasses.dataclass(frozen=True)
class ActionResult:
    """The value one action returned, with the action's name and line."""

    action: str
    line: int
    result: Any

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def installed_actors() -> dict[str, type[Actor]]:
    """Load every actor class registered under :data:`ENTRY_POINT_GROUP`."""
    found: dict[str, type[Actor]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception:
            logger.exception("could not load actor %s from %s", entry.name, entry.value)
            continue
        if not (isinstance(loaded, type) and issubclass(loaded, Actor)):
            logger.warning(
                "entry point %s = %s is not an Actor class; skipped",
                entry.name,
                entry.value,
            )
            continue
        found[entry.name] = loaded
    return found


def run_playbook(
    playbook: Playbook, actors: Mapping[str, type[Actor]], context: ActorContext
) -> list[ActionResult]:
    """Run every pending action of ``playbook`` with ``actors``, in priority order.

    Raises
    ------
    ActorError
        When an actor fails; the actions after it do not run.
    UnhandledActionsError
        When an action found no actor or method, after the others ran.
    """
    instances: dict[str, Actor] = {}
    results: list[ActionResult] = []
    for action in playbook.pending():
        actor_class = actors.get(action.actor)
        if actor_class is None:
            continue
        actor = instances.get(action.actor)
        if actor is None:
            actor = instances[action.actor] = actor_class(context)
        method = actor.handler(action)
        if method is None:
            continue
        try:
            result = method(action)
        except (ActorError, HeroError):
            raise
        except Exception as exc:
            raise ActorError(action, f"{type(exc).__name__}: {exc}") from exc
        action.done = True
        results.append(ActionResult(action.key, action.line, result))
    playbook.check_done()
    return results
