"""The coordinator on an existing Dask scheduler, with workers started by ``dask worker``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coordinator.client import CoordinatorClient
from herolib.models import Job, new_id
from herolib.states import JobState

DASK = str(Path(sys.executable).parent / "dask")


def wait_for_file(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and one worker as separate processes, all on loopback."""
    scheduler_file = tmp_path / "scheduler.json"
    environment = {**os.environ, "HERO_HOME": str(tmp_path / "home")}
    scheduler = subprocess.Popen(
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
        env=environment,
        stderr=subprocess.DEVNULL,
    )
    processes = [scheduler]
    try:
        wait_for_file(scheduler_file)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = subprocess.Popen(
            [
                DASK,
                "worker",
                address,
                "--host",
                "127.0.0.1",
                "--name",
                "remote-a",
                "--nthreads",
                "2",
                "--resources",
                "osis=1000",
                "--dashboard-address",
                "127.0.0.1:0",
            ],
            env=environment,
            stderr=subprocess.DEVNULL,
        )
        processes.append(worker)
        yield address, environment
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(60)


def test_coordinator_runs_job_on_existing_scheduler(dask_cluster):
    address, environment = dask_cluster
    coordinator = subprocess.Popen(
        [
            sys.executable,
            "-P",
            "-m",
            "coordinator",
            "coordinator",
            "--scheduler",
            address,
            "--request-address",
            "tcp://127.0.0.1:0",
            "--events-address",
            "tcp://127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
    )
    try:
        endpoints = json.loads(coordinator.stdout.readline())
        assert endpoints["scheduler"] == address

        async def scenario():
            client = CoordinatorClient(endpoints["request"], timeout=30)
            await client.connect()
            try:
                job = Job(
                    id=new_id("f."),
                    flow="f",
                    context="remote",
                    script='print("far"); 3 * 3',
                )
                deadline = time.monotonic() + 60
                while not client.nodes and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    client.nodes = (await client.request("hello"))["nodes"]
                return client.nodes, await client.run(job)
            finally:
                await client.close()

        nodes, outcome = asyncio.run(scenario())
        assert [node["name"] for node in nodes] == ["remote-a"]
        assert outcome.state is JobState.FINISHED
        assert outcome.value == 9
        assert outcome.output == ["far"]
        assert outcome.node == "remote-a"
    finally:
        coordinator.terminate()
        coordinator.wait(60)
        coordinator.stdout.close()
