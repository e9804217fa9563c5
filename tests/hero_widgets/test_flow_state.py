"""The flow view's state, fed with coordinator events and flow records."""

from __future__ import annotations

from hero_widgets.flow_state import FlowViewState
from hero_widgets.job_entry import LINE_LIMIT, OUTPUT_TAIL
from herolib.flows import Flow, FlowJob

FLOW_ID = "ctx.flow-1"


def make_flow() -> Flow:
    return Flow(
        id=FLOW_ID,
        name="demo",
        context="ctx",
        jobs=(
            FlowJob("load", "1"),
            FlowJob("report", "!!core.echo text:x", runner="python", depends="load"),
        ),
    )


def state_event(name: str, state: str, time: float, **fields) -> dict:
    return {
        "type": "state",
        "job": f"{FLOW_ID}:{name}",
        "flow": FLOW_ID,
        "name": name,
        "state": state,
        "time": time,
        **fields,
    }


def output_event(name: str, seq: int, text: str) -> dict:
    return {"type": "output", "job": f"{FLOW_ID}:{name}", "seq": seq, "text": text}


def test_jobs_start_pending_with_their_runner():
    view = FlowViewState(make_flow())
    assert view.jobs["load"]["state"] == "pending"
    assert view.jobs["report"]["runner"] == "python"
    assert view.counts == {"pending": 2}


def test_jobs_not_rerun_show_as_finished():
    view = FlowViewState(make_flow(), names=["report"], run=2)
    assert view.jobs["load"]["state"] == "finished"
    assert view.header["run"] == 2


def test_running_event_sets_node_try_and_start():
    view = FlowViewState(make_flow())
    view.apply_event(state_event("load", "running", 10.0, node="node-1", **{"try": 2}))
    entry = view.jobs["load"]
    assert entry["state"] == "running"
    assert entry["node"] == "node-1"
    assert entry["tries"] == 2
    assert entry["started"] == 10.0


def test_final_event_outcome_gives_result_and_output():
    view = FlowViewState(make_flow())
    outcome = {
        "job": f"{FLOW_ID}:load",
        "state": "finished",
        "value": {"rows": 3},
        "output": ["read 3 rows"],
        "started": 10.0,
        "finished": 10.5,
        "node": "node-0",
        "tries": 1,
    }
    view.apply_event(state_event("load", "finished", 10.6, outcome=outcome))
    entry = view.jobs["load"]
    assert entry["result"] == '{"rows": 3}'
    assert entry["output"] == ["read 3 rows"]
    assert entry["finished"] == 10.5
    assert entry["node"] == "node-0"


def test_error_event_keeps_the_message():
    view = FlowViewState(make_flow())
    view.apply_event(state_event("load", "error", 3.0, error="ErrorRuntime: boom"))
    assert view.jobs["load"]["error"] == "ErrorRuntime: boom"
    assert view.counts == {"error": 1, "pending": 1}


def test_late_running_event_does_not_undo_an_end():
    view = FlowViewState(make_flow())
    view.apply_event(state_event("load", "finished", 2.0))
    view.apply_event(state_event("load", "running", 1.0))
    assert view.jobs["load"]["state"] == "finished"


def test_retry_wait_keeps_error_until_success():
    view = FlowViewState(make_flow())
    view.apply_event(state_event("load", "ready", 1.0, error="ErrorRuntime: flaky"))
    assert view.jobs["load"]["error"] == "ErrorRuntime: flaky"
    view.apply_event(state_event("load", "running", 2.0, **{"try": 2}))
    assert view.jobs["load"]["error"] == "ErrorRuntime: flaky"
    view.apply_event(state_event("load", "finished", 3.0))
    assert view.jobs["load"]["error"] is None


def test_output_lines_are_kept_once_in_order():
    view = FlowViewState(make_flow())
    for seq, text in ((0, "one"), (1, "two"), (1, "two"), (2, "three")):
        view.apply_event(output_event("load", seq, text))
    assert view.jobs["load"]["output"] == ["one", "two", "three"]
    assert view.jobs["load"]["lines"] == 3


def test_output_keeps_a_tail_of_clipped_lines():
    view = FlowViewState(make_flow())
    for seq in range(OUTPUT_TAIL + 5):
        view.apply_event(output_event("load", seq, f"{seq} " + "x" * LINE_LIMIT))
    entry = view.jobs["load"]
    assert len(entry["output"]) == OUTPUT_TAIL
    assert entry["output"][0].startswith("5 ")
    assert len(entry["output"][0]) == LINE_LIMIT
    assert entry["lines"] == OUTPUT_TAIL + 5


def test_flow_events_set_header_state_and_times():
    view = FlowViewState(make_flow())
    view.apply_event({"type": "flow", "state": "running", "time": 5.0, "run": 1})
    view.apply_event({"type": "flow", "state": "error", "time": 9.0, "run": 1})
    assert view.header["state"] == "error"
    assert view.header["started"] == 5.0
    assert view.header["finished"] == 9.0
    assert view.finished


def test_events_of_unknown_jobs_are_ignored():
    view = FlowViewState(make_flow())
    view.apply_event(state_event("ghost", "running", 1.0))
    assert set(view.jobs) == {"load", "report"}


def test_record_replaces_event_state():
    view = FlowViewState(make_flow())
    view.apply_event(state_event("load", "running", 1.0))
    record = {
        "state": "finished",
        "started": 1.0,
        "finished": 4.0,
        "jobs": {
            "load": {"state": "finished", "node": "node-1", "tries": 1,
                     "outcome": {"state": "finished", "value": 7}},
            "report": {"state": "skipped", "tries": 0},
        },
    }  # fmt: skip
    view.apply_record(record)
    assert view.jobs["load"]["result"] == "7"
    assert view.jobs["report"]["state"] == "skipped"
    assert view.header["finished"] == 4.0


def test_changes_name_only_changed_jobs_once():
    view = FlowViewState(make_flow())
    view.take_changes()
    view.apply_event(state_event("report", "running", 1.0))
    header, jobs = view.take_changes()
    assert set(jobs) == {"report"}
    assert header["counts"] == {"pending": 1, "running": 1}
    assert view.take_changes() == (None, {})
