"""Events that nodes send to the coordinator on Dask's event stream, and flow task keys.

A flow job ends when Dask stores its outcome on the node. At that moment the node
plugin sends the job's final ``state`` event, carrying the outcome when it is small,
so the coordinator records the job without gathering the task's result. The event
goes out on the worker's stream to the scheduler ahead of the task's completion, so
subscribers see a job end before any of its dependents starts.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from herolib import protocol
from herolib.models import ScriptError, now

#: Dask event topic that carries job output and state from nodes to the coordinator.
EVENT_TOPIC = "hero-events"
#: First element of the Dask key of every flow job's task.
FLOW_TASK = "hero-flow-job"
#: Approximate size in bytes above which an outcome stays off the final event. The
#: coordinator gathers such an outcome from the node instead, so that the scheduler,
#: which keeps the latest 1,000 events of a topic by default, keeps no large values.
MAX_EVENT_OUTCOME = 16 * 1024
#: Bytes counted for a number, a boolean, None or the frame of a list or dict.
_SCALAR_SIZE = 8


def task_key(job_id: str, run: int) -> tuple[str, str, int]:
    """Return the Dask key of a flow job's task in run number ``run``.

    A tuple key puts every flow job in one Dask task group, whereas a unique string
    key per job makes a group per job, and the scheduler's cost grows with the
    number of groups.
    """
    return (FLOW_TASK, job_id, run)


def flow_job_of(key: Hashable) -> str | None:
    """Return the job id of a flow task's Dask key, or None for any other key."""
    if isinstance(key, tuple) and len(key) == 3 and key[0] == FLOW_TASK:
        return str(key[1])
    return None


def state_event(
    job_id: str, state: str, node: str, attempt: int, **fields: Any
) -> dict[str, Any]:
    """Return a flow job's ``state`` event; the job id is ``FLOW:NAME``."""
    flow, _, name = job_id.rpartition(":")
    return {
        "type": protocol.STATE,
        "job": job_id,
        "flow": flow,
        "name": name,
        "state": state,
        "node": node,
        "time": now(),
        "try": attempt,
        **fields,
    }


def end_event(outcome: dict[str, Any], node: str) -> dict[str, Any]:
    """Return the final ``state`` event of a flow job from its outcome dict."""
    event = state_event(
        str(outcome["job"]), str(outcome["state"]), node, int(outcome.get("tries", 0))
    )
    if outcome.get("error"):
        event["error"] = str(ScriptError.from_dict(outcome["error"]))
    if _size_within(outcome, MAX_EVENT_OUTCOME) >= 0:
        event["outcome"] = outcome
    return event


def _size_within(value: Any, budget: int) -> int:
    """Return ``budget`` less the approximate size of ``value``, negative once exceeded.

    The walk stops as soon as the budget is spent, so a large value costs no more
    than a small one.
    """
    if isinstance(value, str):
        return budget - len(value)
    budget -= _SCALAR_SIZE
    if isinstance(value, dict):
        items: Any = (item for pair in value.items() for item in pair)
    elif isinstance(value, (list, tuple)):
        items = iter(value)
    else:
        return budget
    for item in items:
        if budget < 0:
            break
        budget = _size_within(item, budget)
    return budget
