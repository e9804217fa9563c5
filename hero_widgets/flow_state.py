"""The flow view's state, kept up to date from coordinator events and flow records.

:class:`FlowViewState` does no I/O: the kernel feeds it the events of one flow run
and, at the end, the flow's record. It keeps one entry per job in the form of
:mod:`hero_widgets.job_entry`, which the widget's JavaScript and the static SVG
read, and the names of the jobs changed since :meth:`FlowViewState.take_changes`
was last called, so that the widget sends only those.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from hero_widgets.job_entry import (
    add_output,
    apply_job_record,
    apply_state_event,
    new_entry,
)
from herolib import protocol
from herolib.flows import Flow
from herolib.states import FlowState, JobState


class FlowViewState:
    """The state of one run of ``flow``, in which the jobs ``names`` run.

    Jobs of the flow that are not in ``names`` kept their result from an earlier run
    and show as finished.
    """

    def __init__(
        self, flow: Flow, names: Iterable[str] | None = None, run: int = 1
    ) -> None:
        self.flow = flow
        running = set(names) if names is not None else {job.name for job in flow.jobs}
        self.jobs: dict[str, dict[str, Any]] = {
            job.name: new_entry(
                job.runner,
                job.node,
                JobState.PENDING if job.name in running else JobState.FINISHED,
            )
            for job in flow.jobs
        }
        self.header: dict[str, Any] = {
            "id": flow.id,
            "name": flow.name,
            "context": flow.context,
            "state": FlowState.CREATED.value,
            "run": run,
            "started": None,
            "finished": None,
            "total": len(flow.jobs),
        }
        self._seen_lines: dict[str, set[Any]] = {}
        self._changed: set[str] = set()
        self._header_changed = True

    @property
    def counts(self) -> dict[str, int]:
        """Return the number of jobs in each state, counted from the job entries."""
        return dict(Counter(entry["state"] for entry in self.jobs.values()))

    @property
    def finished(self) -> bool:
        return FlowState(self.header["state"]).is_final

    def apply_event(self, event: Mapping[str, Any]) -> None:
        """Apply one ``state``, ``output`` or ``flow`` event of this flow."""
        kind = event.get("type")
        if kind == protocol.FLOW:
            self._apply_flow_event(event)
            return
        name = event.get("name") or str(event.get("job", "")).rpartition(":")[2]
        entry = self.jobs.get(name)
        if entry is None:
            return
        if kind == protocol.OUTPUT:
            changed = add_output(entry, self._seen_lines.setdefault(name, set()), event)
        elif kind == protocol.STATE:
            changed = apply_state_event(entry, event)
            self._header_changed = self._header_changed or changed
        else:
            return
        if changed:
            self._changed.add(name)

    def apply_record(self, record: Mapping[str, Any]) -> None:
        """Take every job's state, times and outcome from the flow's record."""
        for name, job in (record.get("jobs") or {}).items():
            entry = self.jobs.get(name)
            if entry is None:
                continue
            apply_job_record(entry, job)
            self._changed.add(name)
        for field in ("state", "run", "started", "finished"):
            if record.get(field) is not None:
                self.header[field] = record[field]
        self._header_changed = True

    def take_changes(self) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
        """Return the header if it changed, and the entries of the changed jobs."""
        header = self.snapshot_header() if self._header_changed else None
        jobs = {name: self.jobs[name] for name in sorted(self._changed)}
        self._changed.clear()
        self._header_changed = False
        return header, jobs

    def snapshot_header(self) -> dict[str, Any]:
        """Return the header with the counts and this machine's time, for the browser."""
        return {**self.header, "counts": self.counts, "time": time.time()}

    def _apply_flow_event(self, event: Mapping[str, Any]) -> None:
        state = str(event.get("state", ""))
        self.header["state"] = state
        if event.get("run") is not None:
            self.header["run"] = event["run"]
        moment = event.get("time")
        if state == FlowState.RUNNING.value and self.header["started"] is None:
            self.header["started"] = moment
        elif state in {item.value for item in FlowState if item.is_final}:
            self.header["finished"] = moment
        self._header_changed = True
