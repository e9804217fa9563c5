"""The Dask worker plugin that makes a worker a Hero node."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from distributed import Worker, WorkerPlugin

from nodes.directory import NodeDirectory, hero_home
from nodes.events import EVENT_TOPIC, end_event, flow_job_of
from nodes.herodb import HeroDB
from nodes.runners.osis import OsisRunner
from nodes.runners.python import PythonRunner
from nodes.supervisor import DEFAULT_TIMEOUT, Runner, Supervisor

logger = logging.getLogger(__name__)

PLUGIN_NAME = "hero-node"
#: Runner types this version can start on a node.
AVAILABLE_RUNNERS = ("osis", "python")


def node_name_of(worker_name: str) -> str:
    """Return a node's name: the worker's name, or ``node-N`` for a LocalCluster's number."""
    return f"node-{worker_name}" if worker_name.isdigit() else worker_name


def node_name(worker: Worker) -> str:
    """Return the name of the node that ``worker`` is."""
    return node_name_of(str(worker.name))


class HeroNodePlugin(WorkerPlugin):
    """Start a node's HeroDB and supervisor on worker setup; stop both on teardown.

    Parameters
    ----------
    base_dir
        Folder that contains one sub-folder per node; defaults to ``hero_home()/nodes``.
    runners
        Runner types this node serves.
    default_timeout
        Seconds a job may run when it sets no timeout.
    limits
        Engine limits of the ``osis`` runner by name; jobs may override them.
    """

    name = PLUGIN_NAME
    idempotent = True

    def __init__(
        self,
        base_dir: str | None = None,
        runners: tuple[str, ...] = AVAILABLE_RUNNERS,
        default_timeout: float = DEFAULT_TIMEOUT,
        limits: dict[str, int] | None = None,
    ) -> None:
        unknown = sorted(set(runners) - set(AVAILABLE_RUNNERS))
        if unknown:
            raise ValueError(
                f"unknown runner type(s) {', '.join(map(repr, unknown))}; "
                f"available: {', '.join(AVAILABLE_RUNNERS)}"
            )
        self.base_dir = base_dir
        self.runner_types = tuple(runners)
        self.default_timeout = default_timeout
        self.limits = limits
        self.node_name = ""
        self.directory: NodeDirectory | None = None
        self.herodb: HeroDB | None = None
        self.supervisor: Supervisor | None = None
        self._worker: Worker | None = None

    def setup(self, worker: Worker) -> None:
        if self.supervisor is not None:
            return
        self._worker = worker
        self.node_name = node_name(worker)
        base = Path(self.base_dir) if self.base_dir else hero_home() / "nodes"
        self.directory = NodeDirectory(base, self.node_name)
        path = self.directory.claim()
        self.herodb = HeroDB(path)
        self.herodb.start()
        osis = OsisRunner(self.node_name, self.herodb, self.limits)
        runners: dict[str, Runner] = {
            "osis": osis,
            "python": PythonRunner(self.node_name, self.herodb, osis),
        }
        self.supervisor = Supervisor(
            self.node_name,
            {kind: runners[kind] for kind in self.runner_types},
            self.default_timeout,
        )
        logger.info(
            "Hero node %s up at %s with runners %s",
            self.node_name,
            path,
            ", ".join(self.runner_types),
        )

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        """Report a flow job's end once Dask stored its outcome on this node.

        Dask calls this on the worker's event loop, so the event goes straight into
        the worker's stream to the scheduler, ahead of the task's completion.
        """
        if start != "executing" or finish != "memory" or self._worker is None:
            return
        job_id = flow_job_of(key)
        if job_id is None:
            return
        outcome = self._worker.data.get(key)
        if not isinstance(outcome, dict) or outcome.get("job") != job_id:
            logger.warning("flow task %s stored no job outcome: %r", key, outcome)
            return
        # A skipped job's outcome names no node, because it never ran on one.
        node = str(outcome.get("node", self.node_name))
        self._worker.log_event(EVENT_TOPIC, end_event(outcome, node))

    def teardown(self, worker: Worker) -> None:
        if self.supervisor is not None:
            self.supervisor.close()
            self.supervisor = None
        if self.herodb is not None:
            self.herodb.stop()
            self.herodb = None
        if self.directory is not None:
            self.directory.release()
            self.directory = None
        self._worker = None
        logger.info("Hero node %s down", self.node_name)

    def describe(self) -> dict[str, Any]:
        """Return what the coordinator shows about this node."""
        supervisor = self.supervisor
        return {
            "name": self.node_name,
            "runners": list(self.runner_types),
            "running": supervisor.running_jobs() if supervisor else [],
            "jobs_done": supervisor.jobs_done if supervisor else 0,
            "herodb_keys": self.herodb.size() if self.herodb else 0,
            "herodb_bytes": self.herodb.memory() if self.herodb else 0,
            "directory": str(self.directory.path)
            if self.directory and self.directory.path
            else "",
        }
