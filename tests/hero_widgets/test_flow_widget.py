"""The flow widget: events to patch messages, snapshots, and its display forms.

The widgets talk through the recording comm of ``conftest.py`` in place of a kernel.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ElementTree

from comm.base_comm import BaseComm

from coordinator.client import CoordinatorClient
from hero_widgets import FlowWidget
from hero_widgets.assets import WIDGET_VIEW
from hero_widgets.flow_widget import FLUSH_INTERVAL
from herolib.flows import Flow, FlowJob

FLOW_ID = "ctx.flow-1"


def make_flow() -> Flow:
    return Flow(
        id=FLOW_ID,
        name="demo",
        context="ctx",
        jobs=(FlowJob("a", "1"), FlowJob("b", "2", depends="a")),
    )


def patches(recorder: BaseComm) -> list[dict]:
    return [
        data["content"]
        for kind, data in recorder.messages
        if kind == "comm_msg" and data.get("method") == "custom"
    ]


def state_updates(recorder: BaseComm) -> list[dict]:
    return [
        data["state"]
        for kind, data in recorder.messages
        if kind == "comm_msg" and data.get("method") == "update"
    ]


def running(name: str) -> dict:
    return {"type": "state", "job": f"{FLOW_ID}:{name}", "name": name,
            "state": "running", "time": 1.0, "node": "node-0", "try": 1}  # fmt: skip


def test_widget_opens_with_layout_and_pending_jobs():
    widget = FlowWidget(make_flow())
    kind, data = widget.comm.messages[0]
    assert kind == "comm_open"
    state = data["state"]
    assert [card["name"] for card in state["graph"]["cards"]] == ["a", "b"]
    assert state["jobs"]["a"]["state"] == "pending"
    assert widget.version == 0


def test_event_without_loop_sends_one_patch():
    widget = FlowWidget(make_flow())
    widget.on_event(running("a"))
    [patch] = patches(widget.comm)
    assert patch["type"] == "patch"
    assert patch["version"] == 1
    assert set(patch["jobs"]) == {"a"}
    assert patch["jobs"]["a"]["state"] == "running"
    assert patch["header"]["counts"] == {"running": 1, "pending": 1}


def test_events_in_a_loop_are_batched():
    async def scenario(widget: FlowWidget) -> None:
        widget.on_event(running("a"))
        widget.on_event(running("b"))
        while widget._flush_handle is not None:
            await asyncio.sleep(FLUSH_INTERVAL)

    widget = FlowWidget(make_flow())
    asyncio.run(scenario(widget))
    [patch] = patches(widget.comm)
    assert set(patch["jobs"]) == {"a", "b"}


def test_patch_versions_rise_and_snapshot_passes_them():
    widget = FlowWidget(make_flow())
    widget.on_event(running("a"))
    widget.on_event(running("b"))
    versions = [patch["version"] for patch in patches(widget.comm)]
    assert versions == [1, 2]
    widget.snapshot()
    assert widget.version == 3
    assert state_updates(widget.comm)[-1]["jobs"]["b"]["state"] == "running"


def test_layout_stays_as_states_change():
    widget = FlowWidget(make_flow())
    graph = widget.graph
    widget.on_event(running("a"))
    widget.finish({"state": "finished", "jobs": {"a": {"state": "finished"}}})
    assert widget.graph == graph
    assert all("graph" not in update for update in state_updates(widget.comm))


def test_finish_takes_record_and_snapshots():
    widget = FlowWidget(make_flow())
    record = {
        "definition": make_flow().to_dict(),
        "state": "error",
        "run": 1,
        "started": 1.0,
        "finished": 2.0,
        "counts": {"finished": 1, "error": 1},
        "jobs": {
            "a": {"state": "finished", "tries": 1, "started": 1.0, "finished": 1.5,
                  "outcome": {"state": "finished", "value": 1}},
            "b": {"state": "error", "tries": 1, "outcome": {"state": "error",
                  "error": {"kind": "ErrorRuntime", "message": "boom"}}},
        },
    }  # fmt: skip
    widget.finish(record)
    last = state_updates(widget.comm)[-1]
    assert last["jobs"]["b"]["error"] == "ErrorRuntime: boom"
    assert last["header"]["state"] == "error"
    assert widget.summary().startswith("flow demo (ctx.flow-1): error after 1.00 s")


def test_mimebundle_has_summary_svg_and_view():
    widget = FlowWidget(make_flow())
    bundle = widget.mimebundle()
    assert bundle["text/plain"] == "flow demo (ctx.flow-1): created; 2 pending"
    ElementTree.fromstring(bundle["image/svg+xml"])
    assert bundle[WIDGET_VIEW]["model_id"] == widget.model_id
    assert WIDGET_VIEW not in widget.mimebundle(live=False)


def test_from_record_shows_recorded_states():
    record = {
        "definition": make_flow().to_dict(),
        "state": "running",
        "run": 2,
        "jobs": {"a": {"state": "finished"}, "b": {"state": "running"}},
    }
    widget = FlowWidget.from_record(record)
    assert widget.view_state.counts == {"finished": 1, "running": 1}
    assert widget.jobs["b"]["state"] == "running"
    assert widget.header["run"] == 2
    assert widget.record is None  # still running: the summary comes at its end


def test_flow_started_from_python_fills_view(coordinator_process):
    """A flow run with the client from Python, as in a %%python cell, drives the view."""
    flow = Flow(
        id="python-view.flow-1",
        name="from python",
        context="python-view",
        jobs=(
            FlowJob("a", 'print("a runs"); 20'),
            FlowJob("b", "input.a + 22", depends="a"),
            FlowJob("c", 'throw "no"', depends="a"),
        ),
    )

    async def scenario():
        widget = FlowWidget(flow)
        client = CoordinatorClient(
            coordinator_process.address, topics=("python-view.",)
        )
        await client.connect()
        try:
            record = await client.run_flow(flow, widget.on_event)
        finally:
            await client.close()
        widget.finish(record)
        return widget

    widget = asyncio.run(scenario())
    assert patches(widget.comm), "no event reached the view as a patch"
    final = state_updates(widget.comm)[-1]
    assert final["header"]["state"] == "error"
    assert final["jobs"]["a"]["output"] == ["a runs"]
    assert final["jobs"]["b"]["result"] == "42"
    assert final["jobs"]["c"]["state"] == "error"
    assert widget.summary().splitlines()[0].endswith("2 finished, 1 error")
