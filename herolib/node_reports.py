"""Text for the nodes of a cluster and for one job, as ``%nodes`` and ``%job`` print them.

Node descriptions are the dicts of :meth:`CoordinatorClient.list_nodes`; a job record
is what :meth:`CoordinatorClient.status` returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from herolib.flow_reports import format_duration, format_table, format_time
from herolib.models import ScriptError
from herolib.states import JobState

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
#: Characters of a job's result, as JSON, that the text form of a job shows.
MAX_RESULT = 2_000
#: Output lines, the last ones, that the text form of a job shows.
MAX_OUTPUT_LINES = 200


def format_bytes(count: float) -> str:
    """Return ``count`` bytes as ``512 B``, ``1.5 KiB``, ``20.0 MiB`` and so on."""
    for unit in _UNITS:
        if count < 1024 or unit == _UNITS[-1]:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def format_nodes(nodes: Sequence[Mapping[str, Any]]) -> str:
    """Return a table with one row per node: alive, runners, jobs and HeroDB size."""
    if not nodes:
        return (
            "no Hero nodes; start one with hero node, or a coordinator with --workers"
        )
    rows: list[tuple[str, ...]] = [
        ("node", "alive", "runners", "running", "done", "HeroDB")
    ]
    for node in nodes:
        rows.append(
            (
                str(node.get("name", "?")),
                "yes" if node.get("alive", True) else "gone",
                ", ".join(node.get("runners") or []) or "-",
                str(len(node.get("running") or [])),
                str(node.get("jobs_done", 0)),
                f"{node.get('herodb_keys', 0)} keys, "
                f"{format_bytes(node.get('herodb_bytes', 0))}",
            )
        )
    return format_table(rows)


def format_job(job_id: str, record: Mapping[str, Any]) -> str:
    """Return a job's state, runner, node, tries, times, then its error, result and output."""
    definition = record.get("job") or {}
    outcome = record.get("outcome") or {}
    lines = [f"job {job_id}: {record.get('state', 'unknown')}"]
    facts = [
        ("runner", definition.get("runner")),
        ("node", record.get("node")),
        ("tries", record.get("tries")),
    ]
    for field in ("submitted", "started", "finished"):
        if record.get(field) is not None:
            facts.append((field, format_time(record[field])))
    started, finished = record.get("started"), record.get("finished")
    if started is not None and finished is not None:
        facts.append(("took", format_duration(max(finished - started, 0.0))))
    for name, value in facts:
        if value not in (None, ""):
            lines.append(f"  {name:<9}  {value}")

    error = outcome.get("error")
    if error:
        lines.append(f"error: {ScriptError.from_dict(error)}")
    elif record.get("state") == JobState.FINISHED.value:
        result = json.dumps(outcome.get("value"), ensure_ascii=False)
        if len(result) > MAX_RESULT:
            result = f"{result[:MAX_RESULT]}... ({len(result):,} characters in all)"
        lines.append(f"result: {result}")

    output = outcome.get("output") or []
    if len(output) > MAX_OUTPUT_LINES:
        lines.append(f"output (last {MAX_OUTPUT_LINES} of {len(output):,} lines):")
        output = output[-MAX_OUTPUT_LINES:]
    elif output:
        lines.append("output:")
    lines.extend(f"  {line}" for line in output)
    return "\n".join(lines)
