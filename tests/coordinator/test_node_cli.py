"""``hero node``: Hero nodes started on their own on a Dask scheduler, used by a coordinator.

Every part runs as its own process on loopback: a ``dask scheduler``, a
``hero coordinator --scheduler`` and two ``hero node`` processes. Node ``one`` starts
before the coordinator and node ``two`` after it, so both ways the scheduler sends
the coordinator's node plugin to a worker are covered.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest

from coordinator.client import CoordinatorClient, CoordinatorError
from herolib.flows import Flow, FlowJob
from herolib.models import new_id

DASK = str(Path(sys.executable).parent / "dask")
HERO = [sys.executable, "-P", "-m", "coordinator"]
#: Seconds a process gets to start or stop before the test gives up on it.
PROCESS_TIMEOUT = 60


class Started:
    """A process started by a test, with its stderr in a file for failure reports."""

    def __init__(self, command: list[str], log: Path, environment: dict[str, str]):
        self.log = log
        self._stderr: IO[bytes] = open(log, "wb")
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=environment,
        )

    def ready_line(self) -> dict[str, Any]:
        """Return the JSON line the process prints when ready; raise if it exits first."""
        line = self.process.stdout.readline()
        if not line:
            status = self.process.wait(PROCESS_TIMEOUT)
            raise RuntimeError(
                f"{self.log.stem} exited with status {status} before it was ready; "
                f"the end of its log:\n{self.log.read_text()[-4000:]}"
            )
        return json.loads(line)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(PROCESS_TIMEOUT)
        finally:
            self.process.stdout.close()
            self._stderr.close()


def node_command(address: str, name: str, runners: str, state_dir: Path) -> list[str]:
    return [
        *HERO,
        "node",
        "--scheduler",
        address,
        "--name",
        name,
        "--runners",
        runners,
        "--state-dir",
        str(state_dir),
        "--nthreads",
        "2",
    ]


def wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {PROCESS_TIMEOUT} s")
        time.sleep(0.1)


def start_scheduler(folder: Path, environment: dict[str, str]) -> tuple[Started, str]:
    scheduler_file = folder / "scheduler.json"
    scheduler = Started(
        [
            DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(scheduler_file),
        ],
        folder / "scheduler.log",
        environment,
    )
    wait_for_file(scheduler_file)
    return scheduler, json.loads(scheduler_file.read_text())["address"]


@pytest.fixture(scope="module")
def node_cluster(tmp_path_factory, redis_servers_under):
    """A scheduler, a coordinator and nodes ``one`` (osis, python) and ``two`` (osis)."""
    folder = tmp_path_factory.mktemp("node-cli")
    environment = {**os.environ, "HERO_HOME": str(folder / "home")}
    state_dir = folder / "state"
    started: list[Started] = []
    try:
        scheduler, address = start_scheduler(folder, environment)
        started.append(scheduler)

        node_one = Started(
            node_command(address, "one", "osis,python", state_dir),
            folder / "one.log",
            environment,
        )
        started.append(node_one)
        ready = {"one": node_one.ready_line()}

        coordinator = Started(
            [
                *HERO,
                "coordinator",
                "--scheduler",
                address,
                "--request-address",
                "tcp://127.0.0.1:0",
                "--events-address",
                "tcp://127.0.0.1:0",
                "--state-dir",
                str(folder / "coordinator"),
            ],
            folder / "coordinator.log",
            environment,
        )
        started.append(coordinator)
        endpoints = coordinator.ready_line()

        node_two = Started(
            node_command(address, "two", "osis", state_dir),
            folder / "two.log",
            environment,
        )
        started.append(node_two)
        ready["two"] = node_two.ready_line()

        yield {
            "address": address,
            "request": endpoints["request"],
            "ready": ready,
            "state_dir": state_dir,
            "folder": folder,
            "environment": environment,
        }
    finally:
        statuses = {}
        for process in reversed(started):
            statuses[process.log.stem] = process.stop()
    assert redis_servers_under(str(folder)) == []
    assert statuses["one"] == 0
    assert statuses["two"] == 0
    assert statuses["coordinator"] == 0


async def connected_client(request_address: str, names: set[str]) -> CoordinatorClient:
    """Connect to the coordinator once it lists every node in ``names``."""
    client = CoordinatorClient(request_address, timeout=30)
    await client.connect()
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while not names <= {node["name"] for node in client.nodes}:
        if time.monotonic() > deadline:
            await client.close()
            raise TimeoutError(
                f"the coordinator did not list nodes {sorted(names)} within "
                f"{PROCESS_TIMEOUT} s; it lists {client.nodes}"
            )
        await asyncio.sleep(0.2)
        client.nodes = (await client.request("hello"))["nodes"]
    return client


def test_node_ready_line(node_cluster):
    ready = node_cluster["ready"]
    state_dir = node_cluster["state_dir"]
    assert ready["one"]["runners"] == ["osis", "python"]
    assert ready["two"]["runners"] == ["osis"]
    assert ready["one"]["directory"] == str(state_dir / "nodes" / "one")
    assert ready["two"]["directory"] == str(state_dir / "nodes" / "two")
    assert ready["two"]["address"].startswith("tcp://127.0.0.1:")
    assert ready["two"]["scheduler"] == node_cluster["address"]


def test_nodes_keep_own_runners(node_cluster):
    """The coordinator's plugin, with every runner, does not replace a node's own."""

    async def scenario():
        client = await connected_client(node_cluster["request"], {"one", "two"})
        try:
            return {node["name"]: node for node in client.nodes}
        finally:
            await client.close()

    nodes = asyncio.run(scenario())
    state_dir = node_cluster["state_dir"]
    assert sorted(nodes) == ["one", "two"]
    assert nodes["one"]["runners"] == ["osis", "python"]
    assert nodes["two"]["runners"] == ["osis"]
    assert nodes["one"]["directory"] == str(state_dir / "nodes" / "one")
    assert nodes["two"]["directory"] == str(state_dir / "nodes" / "two")


def test_flow_runs_on_both_nodes(node_cluster):
    flow = Flow(
        id=new_id("node-cli."),
        name="two nodes",
        context="node-cli",
        jobs=(
            FlowJob("left", "6 * 7", node="one"),
            FlowJob(
                "right",
                "let total = 0; for i in 1..=10 { total += i; } total",
                node="two",
            ),
            FlowJob("greet", "!!core.echo text:hello", runner="python", node="one"),
            FlowJob(
                "combine",
                "`${input.greet[0].result} ${input.left + input.right}`",
                depends=("left", "right", "greet"),
            ),
        ),
    )

    async def scenario():
        client = await connected_client(node_cluster["request"], {"one", "two"})
        try:
            return await client.run_flow(flow)
        finally:
            await client.close()

    record = asyncio.run(scenario())
    jobs = record["jobs"]
    assert record["state"] == "finished", record
    assert jobs["left"]["node"] == "one"
    assert jobs["greet"]["node"] == "one"
    assert jobs["right"]["node"] == "two"
    assert jobs["combine"]["node"] in ("one", "two")
    assert {job["node"] for job in jobs.values()} == {"one", "two"}
    for name, job in jobs.items():
        assert job["state"] == "finished", (name, job)
    assert jobs["left"]["outcome"]["value"] == 42
    assert jobs["right"]["outcome"]["value"] == 55
    assert jobs["combine"]["outcome"]["value"] == "hello 97"


def test_python_job_on_osis_node_rejected(node_cluster):
    flow = Flow(
        id=new_id("node-cli."),
        name="misplaced",
        context="node-cli",
        jobs=(
            FlowJob("count", "1 + 1", node="two"),
            FlowJob("greet", "!!core.echo text:hi", runner="python", node="two"),
        ),
    )

    async def scenario():
        client = await connected_client(node_cluster["request"], {"one", "two"})
        try:
            with pytest.raises(CoordinatorError) as raised:
                await client.run_flow(flow)
            status = None
            try:
                status = await client.flow_status(flow.id)
            except CoordinatorError:
                pass
            return str(raised.value), status
        finally:
            await client.close()

    message, status = asyncio.run(scenario())
    assert "job greet must run on node 'two'" in message
    assert "'python' runner" in message
    assert "nodes serving it: one" in message
    assert status is None


def test_node_stops_on_sigint(node_cluster, redis_servers_under):
    folder = node_cluster["folder"]
    state_dir = folder / "sigint-state"
    node = Started(
        node_command(node_cluster["address"], "three", "osis", state_dir),
        folder / "three.log",
        node_cluster["environment"],
    )
    try:
        ready = node.ready_line()
    finally:
        status = node.stop(signal.SIGINT)
    assert ready["name"] == "three"
    assert status == 0
    assert redis_servers_under(str(state_dir)) == []
    log = node.log.read_text()
    assert "Hero node three stopping on SIGINT" in log
    assert "HeroDB stopped" in log
    assert "Hero node three stopped" in log


def test_nodes_list_shows_a_stopped_node_as_gone(node_cluster):
    folder = node_cluster["folder"]
    node = Started(
        node_command(node_cluster["address"], "four", "osis", folder / "gone-state"),
        folder / "four.log",
        node_cluster["environment"],
    )

    async def scenario():
        try:
            node.ready_line()
            client = await connected_client(node_cluster["request"], {"four"})
        except BaseException:
            node.stop()
            raise
        try:
            before = {item["name"]: item for item in await client.list_nodes()}
            assert node.stop() == 0
            deadline = time.monotonic() + PROCESS_TIMEOUT
            while True:
                after = {item["name"]: item for item in await client.list_nodes()}
                if not after["four"]["alive"] or time.monotonic() > deadline:
                    return before, after
                await asyncio.sleep(0.2)
        finally:
            await client.close()

    before, after = asyncio.run(scenario())
    assert before["four"]["alive"] is True
    assert before["four"]["runners"] == ["osis"]
    assert before["four"]["herodb_bytes"] > 0
    assert before["four"]["running"] == []
    assert after["four"]["alive"] is False
    assert after["one"]["alive"] is True
    assert after["two"]["alive"] is True


def test_duplicate_name_fails(node_cluster, redis_servers_under):
    folder = node_cluster["folder"]
    state_dir = folder / "duplicate-state"
    result = subprocess.run(
        node_command(node_cluster["address"], "one", "osis", state_dir),
        capture_output=True,
        text=True,
        env=node_cluster["environment"],
        timeout=PROCESS_TIMEOUT * 2,
    )
    assert result.returncode == 1
    assert "has a worker named 'one' already" in result.stderr
    assert redis_servers_under(str(state_dir)) == []


def test_node_help():
    result = subprocess.run(
        [*HERO, "node", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for option in (
        "--scheduler",
        "--name",
        "--runners",
        "--nthreads",
        "--state-dir",
        "--host",
        "--connect-timeout",
        "--log-level",
    ):
        assert option in result.stdout
    assert "osis, python" in result.stdout
    assert "SIGTERM" in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--runners", "osis,bogus", "unknown runner type(s) 'bogus'"),
        ("--runners", "", "--runners is empty"),
        ("--runners", "osis,,python", "has an empty entry"),
        ("--runners", "osis,osis", "given more than once"),
        ("--name", "", "--name is empty"),
        ("--name", "  ", "--name is empty"),
        ("--name", "a/b", "invalid node name 'a/b'"),
        ("--name", "12", "digits only"),
        ("--scheduler", "127.0.0.1:8786", "invalid scheduler address"),
        ("--scheduler", "tcp://127.0.0.1", "missing port number"),
        ("--scheduler", "tcp://127.0.0.1:70000", "port from 1 to 65535"),
        ("--scheduler", "inproc://127.0.0.1:8786", "protocol 'inproc'"),
        ("--host", "bad host", "invalid --host"),
        ("--nthreads", "0", "--nthreads must be at least 1"),
        ("--connect-timeout", "0", "--connect-timeout must be a positive"),
        ("--log-level", "LOUD", "invalid choice"),
    ],
)
def test_node_rejects_bad_input(tmp_path, option, value, message):
    options = {
        "--scheduler": "tcp://127.0.0.1:8786",
        "--name": "node-a",
        "--runners": "osis",
        "--state-dir": str(tmp_path),
        option: value,
    }
    command = [*HERO, "node"]
    for name, setting in options.items():
        command += [name, setting]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "nodes").exists()


def test_node_requires_scheduler():
    result = subprocess.run(
        [*HERO, "node", "--name", "node-a", "--runners", "osis"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--scheduler" in result.stderr
