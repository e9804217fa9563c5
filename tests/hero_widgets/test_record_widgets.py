"""The node and job views: refreshes asked for by the browser, text forms and ends."""

from __future__ import annotations

import asyncio

from hero_widgets.assets import WIDGET_VIEW
from hero_widgets.job_widget import MAX_LINES, JobWidget, job_view_data
from hero_widgets.node_widget import NodesWidget

NODE = {"name": "node-1", "alive": True, "runners": ["osis"], "running": [],
        "jobs_done": 0, "herodb_keys": 0, "herodb_bytes": 900}  # fmt: skip


def ask(widget, content=None) -> None:
    """Deliver a message from the browser, as the comm does."""
    widget._handle_custom_msg(content or {"type": "refresh"}, [])


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_refresh_message_fetches_and_sets_data():
    async def scenario():
        calls = []

        async def fetch():
            calls.append(1)
            return {"nodes": [{**NODE, "jobs_done": len(calls)}]}

        widget = NodesWidget([NODE], fetch)
        ask(widget)
        await settle()
        ask(widget)
        await settle()
        return widget, calls

    widget, calls = asyncio.run(scenario())
    assert len(calls) == 2
    assert widget.data["nodes"][0]["jobs_done"] == 2
    assert widget.problem == ""


def test_one_refresh_at_a_time():
    async def scenario():
        release = asyncio.Event()
        calls = []

        async def fetch():
            calls.append(1)
            await release.wait()
            return {"nodes": []}

        widget = NodesWidget([NODE], fetch)
        for _ in range(3):
            ask(widget)
            await settle()
        release.set()
        await settle()
        return widget, calls

    widget, calls = asyncio.run(scenario())
    assert len(calls) == 1
    assert widget.data == {"nodes": []}


def test_failed_refresh_keeps_data_and_says_why(caplog):
    async def scenario():
        async def fetch():
            raise ConnectionError("coordinator went away")

        widget = NodesWidget([NODE], fetch)
        ask(widget)
        await settle()
        return widget

    widget = asyncio.run(scenario())
    assert widget.data == {"nodes": [NODE]}
    assert widget.problem == "could not refresh: coordinator went away"
    assert "refreshing the nodes view failed" in caplog.text


def test_unknown_message_is_logged_and_ignored(caplog):
    async def scenario():
        async def fetch():
            raise AssertionError("no fetch expected")

        widget = NodesWidget([NODE], fetch)
        ask(widget, {"type": "reload"})
        await settle()

    asyncio.run(scenario())
    assert "got an unknown message" in caplog.text


def record(state: str, **fields) -> dict:
    return {"state": state, "name": "validate", "flow": "f", "node": "node-1",
            "tries": 1, "job": {"runner": "osis"}, **fields}  # fmt: skip


def test_job_view_stops_asking_once_the_job_ended():
    async def scenario():
        records = [
            record(
                "finished",
                outcome={"state": "finished", "value": [1, 2], "output": ["ok"]},
            ),
        ]

        async def fetch():
            return job_view_data("f:validate", records.pop(0))

        widget = JobWidget(job_view_data("f:validate", record("running")), fetch)
        assert not widget.final
        ask(widget)
        await settle()
        ask(widget)  # final now: no second fetch, which would fail on the empty list
        await settle()
        return widget

    widget = asyncio.run(scenario())
    assert widget.final
    assert widget.data["state"] == "finished"
    assert widget.data["result"] == "[1, 2]"
    assert widget.data["output"] == ["ok"]


def test_job_data_drops_session_clips_output():
    lines = [f"line {index}" for index in range(MAX_LINES + 10)]
    data = job_view_data(
        "f:validate",
        record(
            "error",
            outcome={
                "error": {"kind": "ErrorRuntime", "message": "bad", "line": 2},
                "output": lines,
                "session": {"variables": {"big": "x" * 1000}},
            },
        ),
    )
    assert "session" not in data
    assert data["error"] == "ErrorRuntime: bad (line 2)"
    assert data["result"] is None
    assert data["output"] == lines[-MAX_LINES:]
    assert data["lines"] == MAX_LINES + 10
    assert data["runner"] == "osis"
    assert data["text"].startswith("job f:validate: error")


def test_views_have_text_and_live_forms():
    async def fetch():
        return {}

    nodes = NodesWidget([NODE], fetch).mimebundle()
    assert nodes["text/plain"].splitlines()[1].split()[:2] == ["node-1", "yes"]
    assert nodes[WIDGET_VIEW]["model_id"]
    job = JobWidget(job_view_data("j", record("running")), fetch).mimebundle()
    assert job["text/plain"].startswith("job j: running")
    assert job[WIDGET_VIEW]["model_id"]
