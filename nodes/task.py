"""Functions that Dask runs on a node: a job as a task, and cancel and describe calls."""

from __future__ import annotations

import logging
from typing import Any

from distributed import Worker, get_worker

from herolib import protocol
from herolib.models import Job, now
from herolib.states import JobState
from nodes.plugin import PLUGIN_NAME, HeroNodePlugin

logger = logging.getLogger(__name__)

#: Dask event topic that carries job output and state from nodes to the coordinator.
EVENT_TOPIC = "hero-events"


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


def cancel_job(job_id: str, reason: str, dask_worker: Worker) -> bool:
    """Stop ``job_id`` if it runs on this node; called through ``Client.run``."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, HeroNodePlugin) or plugin.supervisor is None:
        return False
    return plugin.supervisor.cancel(job_id, reason)


def describe_node(dask_worker: Worker) -> dict[str, Any] | None:
    """Return the node's description, or None when the worker is not a Hero node."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    if not isinstance(plugin, HeroNodePlugin) or plugin.supervisor is None:
        return None
    return plugin.describe()
