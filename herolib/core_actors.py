"""Actors that need nothing but the playbook: ``core``/``play`` and ``session``."""

from __future__ import annotations

from herolib.actors import Actor
from herolib.heroscript import Action


class CoreActor(Actor):
    """``!!core.echo text:...`` (also ``!!play.echo``) and ``!!play.include``.

    Includes are expanded when the playbook is read, so an include that reaches an
    actor has been expanded already and only returns its path.
    """

    name = "core"

    def action_echo(self, action: Action) -> str:
        text = action.params.get_default("text", " ".join(action.params.args))
        self.context.write(text)
        return text

    def action_include(self, action: Action) -> str:
        return action.params.get_default("path", "")


class SessionActor(Actor):
    """``!!session.env_set key:NAME value:...``: sets a value for ``{NAME}`` placeholders.

    The playbook applies it while it is read; the actor returns the pair set.
    """

    name = "session"

    def action_env_set(self, action: Action) -> dict[str, str]:
        params = action.params
        value = params.get("val") if params.exists("val") else params.get("value")
        return {params.get("key"): value}

    action_env_set_once = action_env_set
