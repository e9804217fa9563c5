"""Actors that work on a node: ``db`` on the context's HeroDB and ``job`` on a runner."""

from __future__ import annotations

import json
from typing import Any

from herolib.actors import Actor, ActorError
from herolib.heroscript import Action
from nodes.sessions import decode_value


class DbActor(Actor):
    """``!!db.set key:K value:V``, ``!!db.get key:K``, ``!!db.delete key:K``, ``!!db.list``.

    Values are stored as JSON like the Rhai ``db_*`` functions store them, so a Rhai
    cell reads with ``db_get`` what a playbook wrote, and the other way round.
    """

    name = "db"

    def _database(self, action: Action) -> Any:
        return self.context.service("herodb", action)

    def action_set(self, action: Action) -> str:
        key = action.params.get("key")
        self._database(action).set(key, json.dumps(action.params.get("value")))
        return key

    def action_get(self, action: Action) -> Any:
        text = self._database(action).get(action.params.get("key"))
        return None if text is None else decode_value(json.loads(text))

    def action_delete(self, action: Action) -> bool:
        return bool(self._database(action).delete(action.params.get("key")))

    def action_list(self, action: Action) -> list[str]:
        pattern = action.params.get_default("pattern", "*")
        return sorted(self._database(action).scan_iter(match=pattern))


class JobActor(Actor):
    """``!!job.run script:'...' [runner:osis]``: run a Rhai script, return its value.

    The script runs in the notebook's Rhai session, like a Rhai cell.
    """

    name = "job"

    def action_run(self, action: Action) -> Any:
        runner = action.params.get_default("runner", "osis")
        if runner != "osis":
            raise ActorError(
                action, f"runner {runner!r} cannot run scripts here; use runner:osis"
            )
        script = action.params.get("script")
        run_rhai = self.context.service("rhai", action)
        return run_rhai(script, action)
