"""Fixtures that start real parts: a coordinator process with a LocalCluster of Hero nodes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile

import psutil
import pytest

from coordinator.embedded import embedded_command
from nodes.herodb import HeroDB

# Every node, coordinator and kernel started by the tests keeps its files here.
_HOME = tempfile.mkdtemp(prefix="hero-tests-")
os.environ["HERO_HOME"] = _HOME


def _redis_servers_under(folder: str) -> list[psutil.Process]:
    """Return the redis-server processes whose command line mentions ``folder``."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "cwd"]):
        try:
            text = (
                " ".join(process.info["cmdline"] or [])
                + " "
                + (process.info["cwd"] or "")
            )
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "redis-server" in (process.info["name"] or "") and folder in text:
            found.append(process)
    return found


class CoordinatorProcess:
    """A ``hero coordinator --embedded`` process for tests."""

    def __init__(
        self, workers: int = 2, extra: tuple[str, ...] = (), home: str | None = None
    ) -> None:
        self.home = home or tempfile.mkdtemp(prefix="home-", dir=_HOME)
        command = embedded_command(workers, *extra)
        environment = {**os.environ, "HERO_HOME": self.home}
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env=environment,
        )
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"coordinator exited with status {self.process.wait()} before it was ready"
            )
        self.endpoints = json.loads(line)
        self.address: str = self.endpoints["request"]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        finally:
            self.process.stdout.close()


@pytest.fixture(scope="session")
def hero_home() -> str:
    return _HOME


@pytest.fixture
def start_coordinator():
    """Return a function that starts a coordinator process, stopped after the test."""
    started: list[CoordinatorProcess] = []

    def start(**options) -> CoordinatorProcess:
        coordinator = CoordinatorProcess(**options)
        started.append(coordinator)
        return coordinator

    yield start
    for coordinator in started:
        if coordinator.process.poll() is None:
            coordinator.stop()


@pytest.fixture(scope="session")
def coordinator_process():
    coordinator = CoordinatorProcess()
    yield coordinator
    coordinator.stop()


@pytest.fixture(scope="session")
def redis_servers_under():
    return _redis_servers_under


#: The iopub messages that are a cell's output.
OUTPUT_TYPES = ("stream", "execute_result", "display_data", "error")


def _execute_in_cell(
    client, code: str, cell_id: str | None = None, timeout: float = 120
) -> tuple[dict, list[dict]]:
    """Run ``code`` as notebook cell ``cell_id``; return the reply and every iopub message.

    The messages are those whose parent is the request, status messages left out,
    so comm messages of widgets are kept too.
    """
    message = client.session.msg(
        "execute_request",
        {"code": code, "silent": False, "store_history": True,
         "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    )  # fmt: skip
    if cell_id is not None:
        message["metadata"]["cellId"] = cell_id
    client.shell_channel.send(message)
    msg_id = message["header"]["msg_id"]
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    outputs = []
    while True:
        incoming = client.get_iopub_msg(timeout=timeout)
        if incoming["parent_header"].get("msg_id") != msg_id:
            continue
        if incoming["msg_type"] == "status":
            if incoming["content"]["execution_state"] == "idle":
                break
            continue
        outputs.append(incoming)
    return reply["content"], outputs


def _execute(client, code: str, timeout: float = 120) -> tuple[dict, list[dict]]:
    """Run ``code`` on a kernel; return the reply content and the cell's output messages."""
    reply, messages = _execute_in_cell(client, code, timeout=timeout)
    return reply, [
        message for message in messages if message["msg_type"] in OUTPUT_TYPES
    ]


@pytest.fixture(scope="session")
def execute_in_cell():
    """Return a function that runs code as a given notebook cell, keeping every message."""
    return _execute_in_cell


@pytest.fixture(scope="session")
def execute():
    return _execute


@pytest.fixture
def herodb(tmp_path):
    """A running HeroDB in a temporary node folder."""
    database = HeroDB(tmp_path / "node")
    database.start()
    yield database
    database.stop()
