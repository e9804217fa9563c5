import pytest

from herolib.actors import (
    Actor,
    ActorContext,
    ActorError,
    installed_actors,
    run_playbook,
)
from herolib.core_actors import CoreActor, SessionActor
from herolib.heroscript import Playbook, UnhandledActionsError


class CounterActor(Actor):
    """Counts calls; ``!!counter.fail`` raises."""

    def action_add(self, action):
        return action.params.get_int("by")

    def action_fail(self, action):
        raise RuntimeError("counter broke")


def context():
    lines = []
    return ActorContext(context="ctx", write=lines.append), lines


ACTORS = {"counter": CounterActor, "core": CoreActor, "session": SessionActor}


def test_run_playbook_returns_results_in_order():
    ctx, lines = context()
    playbook = Playbook(
        "!!counter.add by:2\n!!core.echo text:'hi there'\n!!counter.add by:5"
    )
    results = run_playbook(playbook, ACTORS, ctx)
    assert [(item.action, item.line, item.result) for item in results] == [
        ("counter.add", 1, 2),
        ("core.echo", 2, "hi there"),
        ("counter.add", 3, 5),
    ]
    assert lines == ["hi there"]
    assert all(action.done for action in playbook.actions)


def test_unhandled_actions_listed_as_heroscript():
    ctx, _ = context()
    playbook = Playbook(
        "!!counter.add by:1\n!!counter.multiply by:3\n!!weather.today city:ghent"
    )
    with pytest.raises(UnhandledActionsError) as caught:
        run_playbook(playbook, ACTORS, ctx)
    message = str(caught.value)
    assert "!!counter.multiply by:3" in message
    assert "!!weather.today city:ghent" in message
    assert playbook.actions[0].done


def test_actor_failure_names_action_and_line():
    ctx, _ = context()
    playbook = Playbook("!!counter.add by:1\n\n!!counter.fail\n!!counter.add by:9")
    with pytest.raises(ActorError) as caught:
        run_playbook(playbook, ACTORS, ctx)
    assert "!!counter.fail (line 3)" in str(caught.value)
    assert "counter broke" in str(caught.value)
    assert not playbook.actions[2].done


def test_env_set_fills_later_actions():
    ctx, lines = context()
    playbook = Playbook(
        "!!session.env_set key:WHO value:world\n!!core.echo text:'hello {WHO}'"
    )
    run_playbook(playbook, ACTORS, ctx)
    assert lines == ["hello world"]


def test_missing_service_is_actor_error():
    ctx, _ = context()

    class NeedsDb(Actor):
        def action_get(self, action):
            return self.context.service("herodb", action)

    with pytest.raises(ActorError, match="offers no 'herodb'"):
        run_playbook(Playbook("!!store.get key:a"), {"store": NeedsDb}, ctx)


def test_builtin_actors_are_entry_points():
    found = installed_actors()
    assert {"core", "play", "session", "db", "job"} <= set(found)
    assert found["core"] is CoreActor
