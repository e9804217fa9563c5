"""The coordinator as a separate process on a real LocalCluster of two Hero nodes."""

from __future__ import annotations

import asyncio

import psutil
import pytest
import zmq

from coordinator.client import CoordinatorClient
from herolib import protocol
from herolib.errors import CoordinatorError
from herolib.models import Job, new_id
from herolib.states import JobState


def make_job(script: str, context: str | None = None, **fields) -> Job:
    flow = new_id("flow-")
    return Job(
        id=new_id(f"{flow}."),
        flow=flow,
        context=context or new_id("ctx-"),
        script=script,
        **fields,
    )


async def run_jobs(address: str, *jobs: Job) -> tuple[list, list[list[dict]]]:
    """Run jobs one after another; return their outcomes and the events each received."""
    client = CoordinatorClient(address)
    await client.connect()
    outcomes, events = [], []
    try:
        for job in jobs:
            received: list[dict] = []
            outcomes.append(await client.run(job, received.append))
            events.append(received)
    finally:
        await client.close()
    return outcomes, events


def test_hello_lists_two_nodes_with_runners(coordinator_process):
    async def scenario():
        client = CoordinatorClient(coordinator_process.address)
        await client.connect()
        await client.close()
        return client.nodes

    nodes = asyncio.run(scenario())
    assert len(nodes) == 2
    assert all(node["runners"] == ["osis", "python"] for node in nodes)
    assert len({node["directory"] for node in nodes}) == 2


def test_job_returns_value_and_streams_print(coordinator_process):
    job = make_job('print("one"); print("two"); 40 + 2')
    [outcome], [events] = asyncio.run(run_jobs(coordinator_process.address, job))
    assert outcome.state is JobState.FINISHED
    assert outcome.value == 42
    assert outcome.type_name == "i64"
    assert outcome.output == ["one", "two"]
    lines = [event["text"] for event in events if event["type"] == protocol.OUTPUT]
    assert lines == ["one", "two"]
    assert outcome.node.startswith("node-")


def test_identical_jobs_both_run(coordinator_process):
    context = new_id("ctx-")
    script = 'let n = if is_def_var("n") { n + 1 } else { 1 }; n'
    first = make_job(script, context)
    second = make_job(script, context)
    outcomes, _ = asyncio.run(run_jobs(coordinator_process.address, first, second))
    assert [outcome.value for outcome in outcomes] == [1, 2]


def test_session_state_stays_within_context(coordinator_process):
    context = new_id("ctx-")
    define = make_job("let total = 10; fn twice(x) { x * 2 }", context)
    use = make_job("twice(total)", context)
    stranger = make_job('is_def_var("total")')
    outcomes, _ = asyncio.run(
        run_jobs(coordinator_process.address, define, use, stranger)
    )
    assert outcomes[1].value == 20
    assert outcomes[2].value is False


def test_herodb_keys_are_per_context(coordinator_process):
    context = new_id("ctx-")
    store = make_job(
        'db_set("colour", #{name: "teal", rgb: [0, 128, 128]}); db_keys()', context
    )
    read = make_job('db_get("colour")', context)
    other = make_job('db_get("colour")')
    outcomes, _ = asyncio.run(run_jobs(coordinator_process.address, store, read, other))
    assert outcomes[0].value == ["colour"]
    assert outcomes[1].value == {"name": "teal", "rgb": [0, 128, 128]}
    assert outcomes[2].value is None


def test_syntax_error_has_kind_and_position(coordinator_process):
    job = make_job("let x = 1;\nlet y = ;")
    [outcome], _ = asyncio.run(run_jobs(coordinator_process.address, job))
    assert outcome.state is JobState.ERROR
    assert outcome.error.kind == "ErrorParsing"
    assert outcome.error.line == 2
    assert outcome.error.column is not None


def test_timeout_stops_endless_loop(coordinator_process):
    job = make_job("loop {}", timeout=1)
    [outcome], _ = asyncio.run(run_jobs(coordinator_process.address, job))
    assert outcome.state is JobState.TIMEOUT
    assert outcome.error.kind == "ErrorTimeout"
    assert "timed out after 1 s" in outcome.error.message


def test_cancel_stops_running_job(coordinator_process):
    async def scenario():
        client = CoordinatorClient(coordinator_process.address)
        await client.connect()
        try:
            job = make_job('print("started"); loop {}')
            started = asyncio.Event()
            future = await client.submit(job, lambda event: started.set())
            await asyncio.wait_for(started.wait(), 30)
            assert await client.cancel(job.id, "test says stop")
            return await client.wait(job.id, future)
        finally:
            await client.close()

    outcome = asyncio.run(scenario())
    assert outcome.state is JobState.CANCELLED
    assert "test says stop" in outcome.error.message


def test_status_record_has_times(coordinator_process):
    async def scenario():
        client = CoordinatorClient(coordinator_process.address)
        await client.connect()
        try:
            job = make_job("1")
            await client.run(job)
            return await client.status(job.id)
        finally:
            await client.close()

    record = asyncio.run(scenario())
    assert record["state"] == "finished"
    assert (
        record["submitted"]
        <= record["started"]
        <= record["finished"]
        <= record["received"]
    )


def test_duplicate_job_id_rejected(coordinator_process):
    job = make_job("1")

    async def scenario():
        client = CoordinatorClient(coordinator_process.address)
        await client.connect()
        try:
            await client.run(job)
            with pytest.raises(CoordinatorError, match="exists already"):
                await client.submit(job)
        finally:
            await client.close()

    asyncio.run(scenario())


def test_runner_without_node_rejected(coordinator_process):
    async def scenario():
        client = CoordinatorClient(coordinator_process.address)
        await client.connect()
        try:
            with pytest.raises(
                CoordinatorError, match="no live node serves the 'v' runner"
            ):
                await client.submit(make_job("1", runner="v"))
        finally:
            await client.close()

    asyncio.run(scenario())


def raw_request(address: str, frame: bytes) -> dict:
    """Send one frame from a bare DEALER socket, return the reply, and close it."""
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.RCVTIMEO, 10_000)
    dealer.connect(address)
    try:
        dealer.send(frame)
        return protocol.decode(dealer.recv())
    finally:
        dealer.close()
        context.term()


def test_malformed_request_gets_error_reply(coordinator_process):
    reply = raw_request(coordinator_process.address, b'{"type": "launch", "id": "r1"}')
    assert reply["ok"] is False
    assert "unknown request type 'launch'" in reply["error"]


def test_stop_ends_workers_and_herodb(start_coordinator, redis_servers_under):
    coordinator = start_coordinator(workers=1)
    tree = [
        psutil.Process(coordinator.process.pid),
        *psutil.Process(coordinator.process.pid).children(recursive=True),
    ]
    servers = redis_servers_under(coordinator.home)
    assert len(servers) == 2  # the node's HeroDB and the coordinator's store
    assert coordinator.stop() == 0
    _, alive = psutil.wait_procs(tree + servers, timeout=30)
    assert [process.pid for process in alive] == []


def test_session_survives_coordinator_and_node_restart(start_coordinator):
    context = new_id("ctx-")
    first = start_coordinator(workers=1)
    define = make_job(
        "const RATE = 3;\nlet stock = [4, 5];\nfn value(n) { n * 10 }", context
    )
    asyncio.run(run_jobs(first.address, define))
    assert first.stop() == 0

    second = start_coordinator(workers=1, home=first.home)
    [outcome], _ = asyncio.run(
        run_jobs(second.address, make_job("value(RATE) + stock.len()", context))
    )
    assert outcome.state is JobState.FINISHED
    assert outcome.value == 32
    assert outcome.namespace["variables"][0]["name"] == "RATE"


def test_failing_registered_function_is_script_error(coordinator_process):
    context = new_id("ctx-")
    failing = make_job("let k = 5;\ndb_get(k)", context)
    after = make_job('db_set("ok", 1); db_get("ok")', context)
    outcomes, _ = asyncio.run(run_jobs(coordinator_process.address, failing, after))
    assert outcomes[0].state is JobState.ERROR
    assert (
        "db_get: the key must be a non-empty string, got 5" in outcomes[0].error.message
    )
    assert outcomes[0].error.line == 2
    assert outcomes[1].value == 1


def test_heroscript_job_runs_on_python_runner(coordinator_process):
    context = new_id("ctx-")
    playbook = make_job(
        "!!db.set key:answer value:42\n!!job.run script:'db_get(`answer`) + `!`'",
        context,
        runner="python",
    )
    [outcome], [events] = asyncio.run(run_jobs(coordinator_process.address, playbook))
    assert outcome.state is JobState.FINISHED
    assert [item["result"] for item in outcome.value] == ["answer", "42!"]


def test_home_node_and_data_survive_restart(start_coordinator):
    first_context, second_context = new_id("ctx-a-"), new_id("ctx-b-")
    first = start_coordinator(workers=2)
    stored, _ = asyncio.run(
        run_jobs(
            first.address,
            make_job('db_set("who", "a"); 1', first_context),
            make_job('db_set("who", "b"); 2', second_context),
        )
    )
    assert stored[0].node != stored[1].node
    assert first.stop() == 0

    second = start_coordinator(workers=2, home=first.home)
    [again], _ = asyncio.run(
        run_jobs(second.address, make_job('db_get("who")', second_context))
    )
    assert again.node == stored[1].node
    assert again.value == "b"


def test_job_of_vanished_client_is_cancelled(coordinator_process):
    job = make_job('print("spinning"); loop {}')
    request = {"type": "submit", "id": "r1", "job": job.to_dict(), "heartbeat": 0.5}
    # The socket closes after the reply: the client vanishes without a word.
    assert (
        raw_request(coordinator_process.address, protocol.encode(request))["ok"] is True
    )

    async def final_state():
        client = CoordinatorClient(coordinator_process.address)
        await client.connect()
        try:
            for _ in range(600):
                record = await client.status(job.id)
                if record["state"] in ("cancelled", "finished", "error", "timeout"):
                    return record
                await asyncio.sleep(0.1)
            return record
        finally:
            await client.close()

    record = asyncio.run(final_state())
    assert record["state"] == "cancelled"
    assert "client stopped responding" in record["outcome"]["error"]["message"]
