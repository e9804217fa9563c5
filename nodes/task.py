"""Functions that Dask runs on a node: a job as a task, and cancel and describe calls."""

from __future__ import annotations

import dataclasses
import functools
import logging
from typing import Any

from distributed import Worker, get_worker

from herolib import protocol
from herolib.models import Job, JobOutcome, ScriptError, now
from herolib.states import JobState
from nodes.events import EVENT_TOPIC, state_event
from nodes.plugin import PLUGIN_NAME, HeroNodePlugin

logger = logging.getLogger(__name__)

#: Seconds before the first retry of a flow job; each later retry waits twice as long.
RETRY_BACKOFF = 1.0
#: Maximum wait between two tries of a flow job, in seconds.
MAX_BACKOFF = 60.0
#: Seconds a flow job runs before its node reports it as running.
RUNNING_EVENT_DELAY = 0.05
#: Final states after which a flow job with retries left runs again.
RETRIED_STATES = frozenset({JobState.ERROR, JobState.TIMEOUT})


def node_plugin(worker: Worker) -> HeroNodePlugin:
    """Return the Hero node plugin of ``worker``, or raise if the worker is not a node."""
    plugin = worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, HeroNodePlugin) or plugin.supervisor is None:
        raise RuntimeError(
            f"Dask worker {worker.name} ({worker.address}) is not a Hero node: "
            f"register nodes.plugin.HeroNodePlugin on the cluster first"
        )
    return plugin


def run_job(job_data: dict[str, Any]) -> dict[str, Any]:
    """Run one job on this worker's node and return its outcome as a dict."""
    worker = get_worker()
    plugin = node_plugin(worker)
    job = Job.from_dict(job_data)

    def emit(event: dict[str, Any]) -> None:
        worker.log_event(EVENT_TOPIC, event)

    emit(
        {
            "type": protocol.STATE,
            "job": job.id,
            "flow": job.flow,
            "state": JobState.RUNNING.value,
            "node": plugin.node_name,
            "time": now(),
        }
    )
    assert plugin.supervisor is not None
    return plugin.supervisor.run(job, emit).to_dict()


def run_flow_job(
    job_data: dict[str, Any], retries: int, dependencies: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Run one job of a flow, given the outcomes of the jobs it depends on.

    Dask passes the dependencies' outcomes from the nodes that computed them. When
    one of them did not finish, the job is skipped without running. After an error
    or a timeout it runs again, up to ``retries`` more times, waiting
    :data:`RETRY_BACKOFF` seconds before the first retry and twice as long before
    each later one, at most :data:`MAX_BACKOFF`. The node plugin reports the job's
    end when Dask stores the returned outcome.
    """
    worker = get_worker()
    plugin = node_plugin(worker)
    supervisor = plugin.supervisor
    assert supervisor is not None
    job = Job.from_dict(job_data)

    def emit(event: dict[str, Any]) -> None:
        worker.log_event(EVENT_TOPIC, event)

    failed = sorted(
        name
        for name, outcome in dependencies.items()
        if outcome["state"] != JobState.FINISHED.value
    )
    if failed:
        return JobOutcome(
            job=job.id,
            state=JobState.SKIPPED,
            error=ScriptError(
                "ErrorSkipped",
                f"skipped because {', '.join(failed)} did not finish",
            ),
            # It never ran, so it has no node and no start; ``finished`` is when
            # the node decided to skip it.
            finished=now(),
            tries=0,
        ).to_dict()

    job = dataclasses.replace(
        job, input={name: outcome["value"] for name, outcome in dependencies.items()}
    )
    output: list[str] = []
    attempt = 1
    while True:
        running = state_event(job.id, JobState.RUNNING.value, plugin.node_name, attempt)
        # A job that ends within RUNNING_EVENT_DELAY reports only its end, which
        # halves the events of a flow of short jobs. Its record still has its start.
        token = supervisor.deadlines.add(
            RUNNING_EVENT_DELAY, functools.partial(emit, running)
        )
        try:
            outcome = supervisor.run(job, emit, first_seq=len(output))
        finally:
            supervisor.deadlines.discard(token)
        output.extend(outcome.output)
        outcome.output = output
        outcome.tries = attempt
        if outcome.state not in RETRIED_STATES or attempt > retries:
            return outcome.to_dict()
        delay = min(RETRY_BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF)
        logger.info(
            "job %s: try %d ended in %s; retrying in %g s",
            job.id,
            attempt,
            outcome.state.value,
            delay,
        )
        emit(
            state_event(
                job.id,
                JobState.READY.value,
                plugin.node_name,
                attempt,
                error=str(outcome.error),
                retry_in=delay,
            )
        )
        if not supervisor.wait_to_retry(job.id, delay):
            outcome.state = JobState.CANCELLED
            outcome.error = ScriptError(
                "ErrorCancelled",
                f"job was cancelled while waiting for try {attempt + 1}",
            )
            return outcome.to_dict()
        attempt += 1


def cancel_job(job_id: str, reason: str, dask_worker: Worker) -> bool:
    """Stop ``job_id`` if it runs on this node; called through ``Client.run``."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, HeroNodePlugin) or plugin.supervisor is None:
        return False
    return plugin.supervisor.cancel(job_id, reason)


def cancel_jobs(job_ids: list[str], reason: str, dask_worker: Worker) -> list[str]:
    """Stop those of ``job_ids`` that run on this node; return their ids."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, HeroNodePlugin) or plugin.supervisor is None:
        return []
    return [job_id for job_id in job_ids if plugin.supervisor.cancel(job_id, reason)]


def describe_node(dask_worker: Worker) -> dict[str, Any] | None:
    """Return the node's description, or None when the worker is not a Hero node."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, HeroNodePlugin) or plugin.supervisor is None:
        return None
    return plugin.describe()
