"""Text for flows in a cell: definitions, summaries, status and lists of flows.

Records are the dicts that :meth:`CoordinatorClient.flow_status` and
:meth:`CoordinatorClient.list_flows` return. Durations are printed as ``1.25 s`` and
times as local ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from herolib.flows import FlowJob, InvalidFlowError, check_graph, topological_order
from herolib.states import JobState

#: Characters of a job's result or error that a summary line shows.
MAX_DETAIL = 80
_STATE_ORDER = [state.value for state in JobState]


def format_duration(seconds: float) -> str:
    """Return ``1.25 s`` below a minute, then ``2 min 5 s``, then ``1 h 4 min``.

    The flow view's JavaScript writes durations the same way.
    """
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min {int(seconds % 60)} s"
    return f"{minutes // 60} h {minutes % 60} min"


def format_time(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))


def format_counts(counts: Mapping[str, int]) -> str:
    """Return ``3 finished, 1 error`` with states in lifecycle order and no zero counts."""
    names = sorted(
        (name for name, count in counts.items() if count),
        key=lambda name: (
            _STATE_ORDER.index(name) if name in _STATE_ORDER else len(_STATE_ORDER),
            name,
        ),
    )
    return ", ".join(f"{counts[name]} {name}" for name in names) or "no jobs"


def dependency_order(jobs: Iterable[FlowJob]) -> tuple[list[FlowJob], str | None]:
    """Return the jobs in dependency order and None, or as given and why they cannot run."""
    jobs = list(jobs)
    try:
        check_graph(jobs)
    except InvalidFlowError as exc:
        return jobs, str(exc)
    return topological_order(jobs), None


def format_definition(jobs: Iterable[FlowJob], *, scripts: bool = False) -> list[str]:
    """Return one line per job: name, runner and options, in dependency order.

    With ``scripts`` each job's script follows its line, indented. When the jobs
    cannot run, they keep their order and a last line gives the reason.
    """
    ordered, problem = dependency_order(jobs)
    width = max((len(job.name) for job in ordered), default=0)
    lines = []
    for job in ordered:
        options = []
        if job.depends:
            options.append(f"after {', '.join(job.depends)}")
        if job.timeout is not None:
            options.append(f"timeout {job.timeout:g} s")
        if job.retries:
            options.append(f"retries {job.retries}")
        if job.node is not None:
            options.append(f"node {job.node}")
        line = f"  {job.name:<{width}}  {job.runner:<6}  {'; '.join(options)}"
        lines.append(line.rstrip())
        if scripts:
            lines.extend(f"      {text}" for text in job.script.strip("\n").split("\n"))
    if problem is not None:
        lines.append(f"it cannot run: {problem}")
    return lines


def job_detail(record: Mapping[str, Any]) -> str:
    """Return a job record's result as JSON, or its error, shortened for one line."""
    outcome = record.get("outcome") or {}
    error = outcome.get("error")
    if error:
        message = str(error.get("message", ""))
        if record.get("state") == JobState.SKIPPED.value:
            text = message.removeprefix("skipped ")
        else:
            text = f"{error.get('kind', 'Error')}: {message}"
            if error.get("line") is not None:
                text += f" (line {error['line']})"
    elif record.get("state") == JobState.FINISHED.value:
        text = json.dumps(outcome.get("value"), ensure_ascii=False)
    else:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def job_line(name: str, record: Mapping[str, Any], widths: tuple[int, int]) -> str:
    """Return ``name  state  on NODE, N tries, DURATION: RESULT OR ERROR``.

    ``widths`` are the widths of the name and state columns.
    """
    state = str(record.get("state", "unknown"))
    tries = int(record.get("tries") or 0)
    parts = []
    if record.get("node") and tries:
        parts.append(f"on {record['node']}")
    if tries:
        parts.append(f"{tries} {'try' if tries == 1 else 'tries'}")
    started, finished = record.get("started"), record.get("finished")
    if tries and started is not None and finished is not None:
        parts.append(format_duration(max(finished - started, 0.0)))
    detail = job_detail(record)
    text = ", ".join(parts)
    if parts and detail:
        text += f": {detail}"
    elif detail:
        text = detail
    return f"  {name:<{widths[0]}}  {state:<{widths[1]}}  {text}".rstrip()


def format_summary(record: Mapping[str, Any]) -> str:
    """Return the flow's state, duration and counts, then one line per job."""
    definition = record["definition"]
    jobs = [FlowJob.from_dict(job) for job in definition["jobs"]]
    head = f"flow {definition['name']} ({definition['id']})"
    run = int(record.get("run", 1))
    if run > 1:
        head += f", run {run}"
    head += f": {record['state']}"
    started = record.get("started")
    if started is not None:
        end = record.get("finished")
        took = format_duration(max((end or time.time()) - started, 0.0))
        head += f" after {took}" if end is not None else f" for {took}"
    head += f"; {format_counts(record.get('counts') or {})}"
    records = {job.name: (record.get("jobs") or {}).get(job.name) or {} for job in jobs}
    ordered, _ = dependency_order(jobs)
    widths = (
        max(len(job.name) for job in ordered),
        max(len(str(job.get("state", "unknown"))) for job in records.values()),
    )
    lines = [head]
    for job in ordered:
        lines.append(job_line(job.name, records[job.name], widths))
    return "\n".join(lines)


def format_record(record: Mapping[str, Any], *, scripts: bool = False) -> str:
    """Return a flow's id, context, state and times, then its definition."""
    definition = record["definition"]
    jobs = [FlowJob.from_dict(job) for job in definition["jobs"]]
    lines = [
        f"flow {definition['name']} ({definition['id']}) in context "
        f"{definition['context']}: {record['state']}, run {record.get('run', 1)}"
    ]
    for field in ("created", "started", "finished"):
        if record.get(field) is not None:
            lines.append(f"  {field:<8}  {format_time(record[field])}")
    lines.append(f"{len(jobs)} job{'s' if len(jobs) != 1 else ''}:")
    lines.extend(format_definition(jobs, scripts=scripts))
    modules = definition.get("modules") or {}
    if modules:
        lines.append(f"modules: {', '.join(sorted(modules))}")
    return "\n".join(lines)


def format_flow_list(flows: list[Mapping[str, Any]]) -> str:
    """Return one line per flow summary: created, id, name, state, jobs and counts."""
    if not flows:
        return "no flows yet; define jobs with %%job cells and run them with %flow run"
    rows: list[tuple[str, ...]] = [("created", "id", "name", "state", "counts")]
    for flow in flows:
        created = flow.get("created")
        rows.append(
            (
                format_time(created) if created is not None else "-",
                str(flow["id"]),
                str(flow["name"]),
                str(flow["state"]),
                f"{flow.get('jobs', 0)} jobs: {format_counts(flow.get('counts') or {})}",
            )
        )
    return format_table(rows)


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Return ``rows`` as lines of columns two spaces apart; the last is not padded."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            [*(text.ljust(width) for text, width in zip(row[:-1], widths, strict=False)),
             row[-1]]
        )
        for row in rows
    )  # fmt: skip


def flow_results(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the results of the flow's finished jobs by job name."""
    results = {}
    for job in record["definition"]["jobs"]:
        job_record = (record.get("jobs") or {}).get(job["name"]) or {}
        if job_record.get("state") == JobState.FINISHED.value:
            results[job["name"]] = (job_record.get("outcome") or {}).get("value")
    return results
