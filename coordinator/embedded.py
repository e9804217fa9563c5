"""The embedded coordinator: a ``hero coordinator --embedded`` process owned by one client.

The kernel starts one per notebook, and ``hero run`` one per run when no coordinator
is configured.

It runs in its own process session, so the SIGINT that Jupyter sends to the kernel's
process group on interrupt does not reach it or its Dask workers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
from typing import Any

import psutil

from herolib.errors import HeroError
from nodes.directory import hero_home

logger = logging.getLogger(__name__)

#: Seconds to wait for the coordinator and its LocalCluster to come up.
START_TIMEOUT = 120.0
#: Seconds to wait for a clean stop before killing what is left.
STOP_TIMEOUT = 30.0


def embedded_command(workers: int, *extra: str) -> list[str]:
    """Return the command line of an embedded coordinator on free loopback ports.

    ``-P`` keeps the working folder off ``sys.path``, so a source checkout there cannot
    shadow the installed package and its compiled Rhai binding.
    """
    return [
        sys.executable,
        "-P",
        "-m",
        "coordinator",
        "coordinator",
        "--embedded",
        "--request-address",
        "tcp://127.0.0.1:0",
        "--events-address",
        "tcp://127.0.0.1:0",
        "--workers",
        str(workers),
        *extra,
    ]


class EmbeddedCoordinatorError(HeroError):
    """The embedded coordinator did not start."""


class EmbeddedCoordinator:
    """Start, find and stop the coordinator process of one kernel.

    Parameters
    ----------
    workers
        Worker processes (Hero nodes) of its LocalCluster.
    """

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self.log_path = hero_home() / "embedded" / "coordinator.log"
        self.process: subprocess.Popen[str] | None = None
        self.endpoints: dict[str, Any] | None = None
        self._ready: asyncio.Future[dict[str, Any]] | None = None

    def start(self) -> None:
        """Start the process without waiting for it to be ready."""
        if self.process is not None:
            return
        command = embedded_command(self.workers, "--parent-pid", str(os.getpid()))
        # Its log goes to a file: the kernel forwards its own stderr into the notebook.
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
            )
        logger.info(
            "started embedded coordinator, pid %d, logging to %s",
            self.process.pid,
            self.log_path,
        )

    @property
    def exited(self) -> bool:
        """True when the process was started and has exited since."""
        if self.process is None:
            return False
        if self.process.poll() is not None:
            return True
        # Another SIGCHLD handler in the kernel may have reaped the process already,
        # and then poll() cannot tell; psutil still can.
        try:
            return psutil.Process(self.process.pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    async def ready(self) -> dict[str, Any]:
        """Wait until the process prints its endpoints, and return them."""
        if self.endpoints is not None:
            return self.endpoints
        self.start()
        if self._ready is None:
            self._ready = asyncio.ensure_future(self._read_endpoints())
        return await asyncio.shield(self._ready)

    async def _read_endpoints(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        loop = asyncio.get_running_loop()
        try:
            line = await asyncio.wait_for(
                loop.run_in_executor(None, self.process.stdout.readline), START_TIMEOUT
            )
        except TimeoutError:
            raise EmbeddedCoordinatorError(
                f"the embedded coordinator (pid {self.process.pid}) did not start "
                f"within {START_TIMEOUT:g} s; see its log in {self.log_path}"
            ) from None
        if not line:
            code = self.process.wait()
            self._ready = None
            self.process = None
            raise EmbeddedCoordinatorError(
                f"the embedded coordinator exited with status {code} before it was ready; "
                f"see its log in {self.log_path}"
            )
        self.endpoints = json.loads(line)
        logger.info("embedded coordinator ready at %s", self.endpoints["request"])
        return self.endpoints

    def stop(self) -> None:
        """Stop the process and everything it started; kill what does not stop in time."""
        process, self.process = self.process, None
        self.endpoints = None
        self._ready = None
        if process is None:
            return
        if process.stdout is not None:
            process.stdout.close()
        try:
            tree = [
                psutil.Process(process.pid),
                *psutil.Process(process.pid).children(recursive=True),
            ]
        except psutil.NoSuchProcess:
            tree = []
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "embedded coordinator pid %d did not stop in %g s; killing it",
                    process.pid,
                    STOP_TIMEOUT,
                )
        _, alive = psutil.wait_procs(tree, timeout=5)
        for leftover in alive:
            logger.warning(
                "killing process %d left by the embedded coordinator", leftover.pid
            )
            leftover.kill()
        logger.info("embedded coordinator stopped")
