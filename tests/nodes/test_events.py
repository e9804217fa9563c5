"""The events a node sends for flow jobs, and the Dask keys of flow tasks."""

from __future__ import annotations

from herolib.models import JobOutcome, ScriptError
from herolib.states import JobState
from nodes.events import MAX_EVENT_OUTCOME, end_event, flow_job_of, task_key


def outcome(**fields) -> dict:
    return JobOutcome(job="flow-1:load", state=JobState.FINISHED, **fields).to_dict()


def test_task_key_round_trips_job_id():
    assert flow_job_of(task_key("flow-1:load", 2)) == "flow-1:load"


def test_other_keys_are_no_flow_jobs():
    assert flow_job_of("flow-1:load") is None
    assert flow_job_of(("other", "flow-1:load", 1)) is None
    assert flow_job_of(("hero-flow-job", "flow-1:load")) is None


def test_end_event_names_flow_job_and_try():
    event = end_event(outcome(value=3, node="node-1", tries=2), "node-1")
    assert event["type"] == "state"
    assert event["flow"] == "flow-1"
    assert event["name"] == "load"
    assert event["state"] == "finished"
    assert event["try"] == 2
    assert "error" not in event


def test_end_event_carries_small_outcome():
    data = outcome(value={"rows": [1, 2, 3]}, output=["loaded"])
    assert end_event(data, "node-1")["outcome"] == data


def test_end_event_leaves_large_output_off():
    data = outcome(value=1, output=["x" * 1000] * (MAX_EVENT_OUTCOME // 1000 + 1))
    assert "outcome" not in end_event(data, "node-1")


def test_end_event_leaves_large_nested_value_off():
    data = outcome(value={"rows": [[index, "y" * 50] for index in range(1000)]})
    assert "outcome" not in end_event(data, "node-1")


def test_end_event_leaves_many_small_numbers_off():
    data = outcome(value=list(range(MAX_EVENT_OUTCOME)))
    assert "outcome" not in end_event(data, "node-1")


def test_end_event_formats_error_with_position():
    error = ScriptError("ErrorRuntime", "boom", line=2, column=5)
    data = JobOutcome(job="flow-1:load", state=JobState.ERROR, error=error).to_dict()
    event = end_event(data, "node-1")
    assert event["error"] == "ErrorRuntime: boom (line 2, column 5)"
    assert event["outcome"]["error"]["kind"] == "ErrorRuntime"
