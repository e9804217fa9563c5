"""Running flows on Dask: one task per job, with its dependencies' futures as arguments.

The whole DAG is submitted at once, so Dask moves each result from the node that
computed it to the node that needs it, and the coordinator only records outcomes as
they complete. A job whose dependency did not finish is skipped by the node without
running, and retries happen on the node (see :func:`nodes.task.run_flow_job`),
because a script error is a job outcome and not a failed Dask task.

Only the futures of jobs whose outcome is not yet recorded are kept in memory, so the
coordinator's memory does not grow with finished jobs or flows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from distributed import Client, Future, as_completed

from coordinator.flow_graph import flow_graph
from coordinator.placement import Placement
from coordinator.store import JobStore
from herolib import protocol
from herolib.flows import Flow, FlowJob, InvalidFlowError
from herolib.models import JobOutcome, ScriptError, now
from herolib.states import FlowState, JobState
from nodes.task import cancel_jobs

logger = logging.getLogger(__name__)

Publish = Callable[[str, dict[str, Any]], None]
Record = Callable[[Any, JobOutcome], Awaitable[None]]


@dataclasses.dataclass
class FlowRun:
    """The live part of one run of a flow: the futures of unrecorded jobs and counts."""

    flow: Flow
    run: int
    requester: bytes | None
    futures: dict[str, Future] = dataclasses.field(default_factory=dict)
    states: dict[str, str] = dataclasses.field(default_factory=dict)
    counts: Counter[str] = dataclasses.field(default_factory=Counter)
    cancel_reason: str | None = None
    interrupted: bool = False
    workers: dict[str, list[str] | None] = dataclasses.field(default_factory=dict)
    reused: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    recording: set[asyncio.Future[None]] = dataclasses.field(default_factory=set)

    def set_state(self, name: str, state: str) -> None:
        previous = self.states.get(name)
        if previous is not None:
            self.counts[previous] -= 1
        self.states[name] = state
        self.counts[state] += 1

    def final_state(self) -> FlowState:
        if self.interrupted:
            return FlowState.INTERRUPTED
        if self.cancel_reason is not None:
            return FlowState.CANCELLED
        if self.counts[JobState.FINISHED.value] == len(self.flow):
            return FlowState.FINISHED
        return FlowState.ERROR


class FlowRunner:
    """Submit flows to Dask, record their jobs' outcomes, cancel and retry them."""

    def __init__(
        self,
        client: Client,
        store: JobStore,
        placement: Placement,
        publish: Publish,
        record: Record,
        published: dict[str, set[int]],
    ) -> None:
        self.client = client
        self._published = published
        self.store = store
        self.placement = placement
        self._publish = publish
        self._record = record
        self.runs: dict[str, FlowRun] = {}

    @property
    def records(self) -> Any:
        assert self.store.flows is not None, "the store is not started"
        return self.store.flows

    async def check(self, flow: Flow) -> dict[str, list[str] | None]:
        """Return the workers each job must run on; raise if a job cannot run anywhere."""
        serving: dict[str, dict[str, str]] = {}
        for runner in sorted(flow.runners()):
            serving[runner] = await self.placement.serving(runner)
        missing = sorted(runner for runner, nodes in serving.items() if not nodes)
        if missing:
            jobs = [job.name for job in flow.jobs if job.runner in missing]
            raise InvalidFlowError(
                f"no live node serves the runner(s) {', '.join(missing)} needed by "
                f"job(s) {', '.join(jobs)}; start a node with them "
                f"(hero node --runners {','.join(missing)}) or change the jobs' runner"
            )
        workers: dict[str, list[str] | None] = {}
        for job in flow.jobs:
            if job.node is None:
                workers[job.name] = None
                continue
            address = serving[job.runner].get(job.node)
            if address is None:
                raise InvalidFlowError(
                    f"job {job.name} must run on node {job.node!r}, but no live node of "
                    f"that name serves the {job.runner!r} runner; nodes serving it: "
                    f"{', '.join(sorted(serving[job.runner]))}"
                )
            workers[job.name] = [address]
        return workers

    async def submit(self, flow: Flow, requester: bytes | None) -> None:
        """Validate, record and start ``flow``."""
        if flow.id in self.runs or self.records.exists(flow.id):
            raise InvalidFlowError(
                f"a flow with id {flow.id!r} exists already; give each flow a new id, "
                "or retry it"
            )
        workers = await self.check(flow)
        self.records.created(flow, now())
        self._register(FlowRun(flow, 1, requester, workers=workers))

    async def retry(self, flow_id: str, requester: bytes | None) -> list[str]:
        """Run again the jobs of ``flow_id`` that did not finish; return their names."""
        if flow_id in self.runs:
            raise InvalidFlowError(
                f"flow {flow_id} is still running; cancel it or wait for it to end"
            )
        record = self.records.get(flow_id)
        if record is None:
            raise LookupError(
                f"no flow with id {flow_id!r}; %flow list shows the recorded flows"
            )

        flow = Flow.from_dict(record["definition"])
        reused = {
            name: job["outcome"]
            for name, job in record["jobs"].items()
            if job.get("state") == JobState.FINISHED.value and "outcome" in job
        }
        again = [job.name for job in flow.jobs if job.name not in reused]
        if not again:
            raise InvalidFlowError(
                f"every job of flow {flow_id} finished; there is nothing to retry"
            )

        workers = await self.check(flow)
        run = FlowRun(
            flow,
            int(record.get("run", 1)) + 1,
            requester,
            workers=workers,
            reused=reused,
        )
        self.records.restarted(flow, again, run.run, now())
        self._register(run)

        logger.info(
            "flow %s: run %d retries %d job(s), reuses %d result(s)",
            flow_id,
            run.run,
            len(again),
            len(reused),
        )
        return again

    def _register(self, run: FlowRun) -> None:
        """Make ``run`` known, so that it can be cancelled before its tasks are submitted."""
        for job in run.flow.jobs:
            state = JobState.FINISHED if job.name in run.reused else JobState.PENDING
            run.set_state(job.name, state.value)
        self.runs[run.flow.id] = run

    async def _start(self, run: FlowRun) -> None:
        """Submit one Dask task per job that is to run, all in one graph."""
        flow = run.flow
        moment = now()
        self.records.state(flow.id, FlowState.RUNNING, moment)
        self._publish_flow(run, FlowState.RUNNING, moment)
        if run.cancel_reason is not None:
            return
        graph, keys = flow_graph(
            flow,
            run.run,
            run.workers,
            run.reused,
            self.store.session(flow.context),
        )
        futures = self.client.get(graph, list(keys.values()), sync=False)
        for name, future in zip(keys, futures, strict=True):
            run.futures[name] = future
            self._published[flow.job_id(name)] = set()
        logger.info(
            "flow %s (%s): run %d submitted %d job(s)",
            flow.id,
            flow.name,
            run.run,
            len(run.futures),
        )

    async def _skip_unsubmitted(self, run: FlowRun) -> None:
        """Record as skipped the jobs a cancel kept from being submitted."""
        for job in run.flow.jobs:
            if job.name in run.reused or job.name in run.futures:
                continue
            if JobState(run.states[job.name]).is_final:
                continue
            outcome = JobOutcome(
                job=run.flow.job_id(job.name),
                state=JobState.SKIPPED,
                error=ScriptError(
                    "ErrorSkipped", f"skipped because {run.cancel_reason}"
                ),
                tries=0,
            )
            run.set_state(job.name, outcome.state.value)
            await self._record(run, outcome)

    async def watch(self, flow_id: str) -> FlowState:
        """Submit the flow's tasks, record each job's outcome as it completes.

        Most outcomes arrive on their job's final event (see :meth:`job_ended`); the
        outcomes of the rest are gathered from the nodes when their tasks complete.
        Returns the flow's final state.
        """
        run = self.runs[flow_id]
        try:
            await self._start(run)
            by_key = {future.key: name for name, future in run.futures.items()}
            completed = as_completed(list(run.futures.values()))
            async for first in completed:
                batch = [first, *completed.next_batch(block=False)]
                # A job that is no longer in run.futures was recorded from its event.
                due = {
                    future: name
                    for future in batch
                    if (name := by_key.pop(future.key)) in run.futures
                }
                for future, outcome in await self._outcomes(run, due):
                    self._finish(run, due[future], outcome)
                run.recording = {task for task in run.recording if not task.done()}
                del first, batch, due
            await asyncio.gather(*run.recording)
            if run.cancel_reason is not None:
                await self._skip_unsubmitted(run)
        finally:
            self.runs.pop(flow_id, None)
        state = run.final_state()
        moment = now()
        self.records.state(flow_id, state, moment)
        self._publish_flow(run, state, moment)
        logger.info(
            "flow %s run %d ended %s: %s",
            flow_id,
            run.run,
            state.value,
            ", ".join(
                f"{count} {name}" for name, count in sorted(run.counts.items()) if count
            ),
        )
        return state

    def _finish(self, run: FlowRun, name: str, outcome: JobOutcome) -> None:
        """Drop the job's future, count its final state and record its outcome."""
        run.futures.pop(name, None)
        run.set_state(name, outcome.state.value)
        run.recording.add(asyncio.ensure_future(self._record(run, outcome)))

    async def _outcomes(
        self, run: FlowRun, batch: dict[Future, str]
    ) -> list[tuple[Future, JobOutcome]]:
        """Return the outcomes of a batch of completed tasks, gathered in one request."""
        finished = [future for future in batch if future.status == "finished"]
        outcomes: list[tuple[Future, JobOutcome]] = []
        if finished:
            try:
                values = await self.client.gather(finished)
            except Exception:
                logger.warning(
                    "flow %s: gathering %d results at once failed; "
                    "gathering them one by one",
                    run.flow.id,
                    len(finished),
                )
            else:
                outcomes = [
                    (future, JobOutcome.from_dict(value))
                    for future, value in zip(finished, values, strict=True)
                ]
        done = {id(future) for future, _ in outcomes}
        for future, name in batch.items():
            if id(future) not in done:
                outcomes.append((future, await self._outcome(run, name, future)))
        return outcomes

    async def _outcome(self, run: FlowRun, name: str, future: Future) -> JobOutcome:
        job_id = run.flow.job_id(name)
        try:
            return JobOutcome.from_dict(await future)
        except Exception as exc:
            return self._outcome_of_failed_task(run, name, job_id, future, exc)

    def _outcome_of_failed_task(
        self, run: FlowRun, name: str, job_id: str, future: Future, exc: BaseException
    ) -> JobOutcome:
        step = run.flow.step(name)
        unfinished = [
            dependency
            for dependency in step.depends
            if run.states.get(dependency) != JobState.FINISHED.value
        ]
        if future.status == "cancelled" or unfinished:
            reason = (
                run.cancel_reason
                if run.cancel_reason is not None
                else f"{', '.join(unfinished)} did not finish"
            )
            return JobOutcome(
                job=job_id,
                state=JobState.SKIPPED,
                error=ScriptError("ErrorSkipped", f"skipped because {reason}"),
                tries=0,
            )
        logger.error(
            "flow %s: task of job %s failed on Dask: %r", run.flow.id, name, exc
        )
        return JobOutcome(
            job=job_id,
            state=JobState.ERROR,
            error=ScriptError("ErrorNode", describe_task_failure(step, exc)),
        )

    def job_state(self, flow_id: str, event: dict[str, Any]) -> None:
        """Count a job's state change reported by its node, while its outcome is due."""
        run = self.runs.get(flow_id)
        name = event.get("name")
        if run is not None and name in run.futures:
            run.set_state(name, str(event["state"]))

    def job_ended(self, flow_id: str, event: dict[str, Any]) -> None:
        """Count a job's final state; record the outcome when the event carries it."""
        run = self.runs.get(flow_id)
        name = event.get("name")
        if run is None or name not in run.futures:
            return
        data = event.get("outcome")
        if data is None:
            # Too large for an event: the watch loop gathers it from the node.
            run.set_state(name, str(event["state"]))
            return
        try:
            outcome = JobOutcome.from_dict(data)
        except (KeyError, TypeError, ValueError):
            logger.exception(
                "flow %s: job %s sent a malformed outcome; gathering it instead",
                flow_id,
                name,
            )
            return
        self._finish(run, name, outcome)

    async def cancel(self, flow_id: str, reason: str) -> bool:
        """Stop the running jobs of ``flow_id`` and skip the rest; False if not running."""
        run = self.runs.get(flow_id)
        if run is None:
            return False
        run.cancel_reason = reason
        logger.info("cancelling flow %s: %s", flow_id, reason)
        names = list(run.futures)
        job_ids = [run.flow.job_id(name) for name in names]
        stopped = await self.client.run(cancel_jobs, job_ids, reason)
        running = set().union(*stopped.values()) if stopped else set()
        waiting = [
            run.futures[name]
            for name, job_id in zip(names, job_ids, strict=True)
            if job_id not in running and name in run.futures
        ]
        if waiting:
            await self.client.cancel(waiting)
        return True

    async def close(self) -> None:
        """Stop every running flow, marking it interrupted so that a retry resumes it."""
        for flow_id, run in list(self.runs.items()):
            run.interrupted = True
            await self.cancel(flow_id, "the coordinator is shutting down")
        for _ in range(100):
            if not self.runs:
                break
            await asyncio.sleep(0.05)

    def interrupt_unfinished(self) -> list[str]:
        """Mark flows left running by an earlier coordinator as interrupted."""
        interrupted = self.records.unfinished()
        moment = now()
        for flow_id in interrupted:
            record = self.records.get(flow_id)
            if record is None:
                continue
            for name, job in record["jobs"].items():
                if JobState(job.get("state", "pending")).is_final:
                    continue
                self.store.finished(
                    JobOutcome(
                        job=f"{flow_id}:{name}",
                        state=JobState.CANCELLED,
                        error=ScriptError(
                            "ErrorInterrupted",
                            "the coordinator stopped before this job finished; "
                            "retry the flow to run it",
                        ),
                        tries=int(job.get("tries", 0)),
                    ),
                    moment,
                )
            self.records.state(flow_id, FlowState.INTERRUPTED, moment)
            logger.warning(
                "flow %s was running when the coordinator stopped; marked interrupted",
                flow_id,
            )
        return interrupted

    def _publish_flow(self, run: FlowRun, state: FlowState, time: float) -> None:
        self._publish(
            run.flow.id,
            {
                "type": protocol.FLOW,
                "flow": run.flow.id,
                "name": run.flow.name,
                "state": state.value,
                "run": run.run,
                "time": time,
                "counts": {name: count for name, count in run.counts.items() if count},
                "jobs": len(run.flow),
            },
        )


def describe_task_failure(step: FlowJob, exc: BaseException) -> str:
    """Explain why Dask could not run a job, and what to do."""
    if type(exc).__name__ == "NoValidWorkerError":
        return (
            f"no live node could take job {step.name} (runner {step.runner!r}"
            + (f", node {step.node!r}" if step.node else "")
            + f") within the scheduler's no-workers timeout: {exc}; "
            "start a node that serves it and retry the flow"
        )
    return f"the node running job {step.name} failed: {exc!r}; retry the flow"
