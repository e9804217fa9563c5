"""One job as the views show it: a JSON-safe dict kept up to date from events and records.

An entry has ``state``, ``runner``, ``node``, ``tries``, ``started`` and ``finished``
(Unix seconds), ``error`` and ``result`` (text), and ``output``: the last
``tail`` lines, each cut to :data:`LINE_LIMIT` characters, with ``lines``
counting every line the job printed. The functions here change an entry in place
and do no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from herolib.models import ScriptError
from herolib.states import JobState

#: Output lines of a job that the flow view keeps; ``%job ID`` shows more.
OUTPUT_TAIL = 200
#: Characters of one output line that a view keeps.
LINE_LIMIT = 500
#: Characters of a result or an error that a view keeps.
RESULT_LIMIT = 4000

FINAL_STATES = frozenset(state.value for state in JobState if state.is_final)


def clip(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def new_entry(
    runner: str, node: str | None = None, state: str = JobState.PENDING.value
) -> dict[str, Any]:
    return {
        "state": state,
        "runner": runner,
        "node": node,
        "tries": 0,
        "started": None,
        "finished": None,
        "error": None,
        "result": None,
        "output": [],
        "lines": 0,
    }


def apply_state_event(entry: dict[str, Any], event: Mapping[str, Any]) -> bool:
    """Apply a ``state`` event; return False for a late event of a job that ended."""
    state = str(event.get("state", ""))
    if entry["state"] in FINAL_STATES and state not in FINAL_STATES:
        return False
    entry["state"] = state
    if event.get("node"):
        entry["node"] = event["node"]
    if event.get("try") is not None:
        entry["tries"] = int(event["try"])
    moment = event.get("time")
    if state == JobState.RUNNING.value:
        entry["started"] = entry["started"] or moment
        entry["finished"] = None
    elif state in FINAL_STATES:
        entry["finished"] = moment
    if event.get("error"):
        entry["error"] = clip(str(event["error"]), RESULT_LIMIT)
    elif state in FINAL_STATES:
        # An error of an earlier try shows until the job ends without one.
        entry["error"] = None
    if event.get("outcome"):
        apply_outcome(entry, event["outcome"])
    return True


def apply_outcome(
    entry: dict[str, Any], outcome: Mapping[str, Any], tail: int = OUTPUT_TAIL
) -> None:
    """Take the times, node, tries, result or error and output of a job's outcome."""
    for field in ("started", "finished"):
        if outcome.get(field) is not None:
            entry[field] = outcome[field]
    if outcome.get("node"):
        entry["node"] = outcome["node"]
    if outcome.get("tries") is not None:
        entry["tries"] = int(outcome["tries"])
    error = outcome.get("error")
    if error:
        entry["error"] = clip(str(ScriptError.from_dict(error)), RESULT_LIMIT)
    elif outcome.get("state") == JobState.FINISHED.value:
        entry["result"] = clip(
            json.dumps(outcome.get("value"), ensure_ascii=False), RESULT_LIMIT
        )
        entry["error"] = None
    lines = list(outcome.get("output") or [])
    if len(lines) >= entry["lines"]:
        entry["lines"] = len(lines)
        entry["output"] = [clip(str(line), LINE_LIMIT) for line in lines[-tail:]]


def apply_job_record(
    entry: dict[str, Any], record: Mapping[str, Any], tail: int = OUTPUT_TAIL
) -> None:
    """Take a job's state, node, tries, times and outcome from its record."""
    entry["state"] = str(record.get("state", entry["state"]))
    for field in ("node", "tries", "started", "finished"):
        if record.get(field) is not None:
            entry[field] = record[field]
    if record.get("outcome"):
        apply_outcome(entry, record["outcome"], tail)


def add_output(
    entry: dict[str, Any],
    seen: set[Any],
    event: Mapping[str, Any],
    tail: int = OUTPUT_TAIL,
) -> bool:
    """Append an ``output`` event's line unless its ``seq`` is in ``seen``."""
    seq = event.get("seq")
    if seq in seen:
        return False
    seen.add(seq)
    text = str(event.get("text", ""))
    if event.get("stream") == "debug":
        text = f"[debug] {text}"
    entry["output"].append(clip(text, LINE_LIMIT))
    del entry["output"][:-tail]
    entry["lines"] += 1
    return True
