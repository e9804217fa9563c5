"""Flows on a coordinator process with a real LocalCluster of two Hero nodes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import dask
import pytest
import zmq
from distributed import LocalCluster

from coordinator import cluster
from coordinator.client import CoordinatorClient
from coordinator.service import Coordinator
from coordinator.store import JobStore
from herolib import protocol
from herolib.errors import CoordinatorError
from herolib.flows import Flow, FlowJob
from herolib.models import Job, new_id
from nodes.plugin import node_name_of


def make_flow(*jobs: FlowJob, context: str | None = None, name: str = "demo") -> Flow:
    return Flow(
        id=new_id("flow-"),
        name=name,
        context=context or new_id("ctx-"),
        jobs=jobs,
    )


def with_client(
    address: str, scenario: Callable[[CoordinatorClient], Awaitable[Any]]
) -> Any:
    async def run() -> Any:
        client = CoordinatorClient(address)
        await client.connect()
        try:
            return await scenario(client)
        finally:
            await client.close()

    return asyncio.run(run())


def run_flow(address: str, flow: Flow) -> tuple[dict, list[dict]]:
    events: list[dict] = []

    async def scenario(client: CoordinatorClient) -> dict:
        return await client.run_flow(flow, events.append)

    return with_client(address, scenario), events


def states_of(record: dict) -> dict[str, str]:
    return {name: job["state"] for name, job in record["jobs"].items()}


def test_results_reach_dependents_as_input(coordinator_process):
    flow = make_flow(
        FlowJob("load", "[1, 2, 3]"),
        FlowJob("total", "input.load.reduce(|sum, x| sum + x, 0)", depends="load"),
        FlowJob("label", 'input.load.len() + ":" + input.total', depends="load,total"),
    )
    record, _ = run_flow(coordinator_process.address, flow)
    assert record["state"] == "finished"
    assert record["jobs"]["total"]["outcome"]["value"] == 6
    assert record["jobs"]["label"]["outcome"]["value"] == "3:6"


def test_python_runner_job_sees_input(coordinator_process):
    flow = make_flow(
        FlowJob("base", "20"),
        FlowJob(
            "double",
            "!!job.run script:'input.base * 2'",
            runner="python",
            depends="base",
        ),
    )
    record, _ = run_flow(coordinator_process.address, flow)
    double = record["jobs"]["double"]
    assert double["state"] == "finished"
    assert double["outcome"]["value"][0]["result"] == 40


def test_failure_skips_dependents_and_other_branch_goes_on(coordinator_process):
    flow = make_flow(
        FlowJob("start", "1"),
        FlowJob("broken", 'throw "disk full"', depends="start"),
        FlowJob("after_broken", "input.broken", depends="broken"),
        FlowJob("last", "2", depends="after_broken"),
        FlowJob("healthy", "input.start + 1", depends="start"),
    )
    record, events = run_flow(coordinator_process.address, flow)
    assert record["state"] == "error"
    assert states_of(record) == {
        "start": "finished",
        "broken": "error",
        "after_broken": "skipped",
        "last": "skipped",
        "healthy": "finished",
    }
    assert "disk full" in record["jobs"]["broken"]["outcome"]["error"]["message"]
    assert (
        "broken did not finish"
        in (record["jobs"]["after_broken"]["outcome"]["error"]["message"])
    )
    assert record["counts"] == {"finished": 2, "error": 1, "skipped": 2}
    # A skipped job never ran: no node, no start, only the moment it was skipped.
    skipped = record["jobs"]["after_broken"]
    assert not skipped.get("node")
    assert "started" not in skipped
    assert skipped["finished"] >= record["jobs"]["broken"]["finished"]
    final = [event for event in events if event["type"] == "flow"][-1]
    assert final["state"] == "error"
    assert final["counts"] == record["counts"]


def test_retry_with_backoff_until_success(coordinator_process):
    # The attempt count lives in the node's HeroDB, which both tries share.
    script = (
        'let n = db_get("attempts") ?? 0;\n'
        'db_set("attempts", n + 1);\n'
        'if n < 2 { throw "flaky " + n }\n'
        "n"
    )
    flow = make_flow(FlowJob("flaky", script, retries=3))
    record, events = run_flow(coordinator_process.address, flow)
    flaky = record["jobs"]["flaky"]
    assert flaky["state"] == "finished"
    assert flaky["tries"] == 3
    assert flaky["outcome"]["value"] == 2
    waits = [
        event["retry_in"]
        for event in events
        if event["type"] == "state" and event["state"] == "ready"
    ]
    assert waits == [1.0, 2.0]


def test_retries_run_out_and_record_the_error(coordinator_process):
    flow = make_flow(FlowJob("never", 'print("trying"); throw "no"', retries=1))
    record, _ = run_flow(coordinator_process.address, flow)
    never = record["jobs"]["never"]
    assert never["state"] == "error"
    assert never["tries"] == 2
    assert never["outcome"]["output"] == ["trying", "trying"]


def test_timeout_stops_the_script(coordinator_process):
    flow = make_flow(
        FlowJob("spin", "loop {}", timeout=1), FlowJob("next", "1", depends="spin")
    )
    record, _ = run_flow(coordinator_process.address, flow)
    assert states_of(record) == {"spin": "timeout", "next": "skipped"}
    assert (
        "timed out after 1 s" in record["jobs"]["spin"]["outcome"]["error"]["message"]
    )


def test_cancel_stops_running_jobs_and_skips_the_rest(coordinator_process):
    flow = make_flow(
        FlowJob("spin", 'print("spinning"); loop {}'),
        FlowJob("after", "1", depends="spin"),
    )

    async def scenario(client: CoordinatorClient) -> tuple[dict, bool]:
        running = asyncio.Event()

        def on_event(event: dict) -> None:
            if event["type"] == "output":
                running.set()

        done = await client.submit_flow(flow, on_event)
        await asyncio.wait_for(running.wait(), 60)
        cancelled = await client.cancel_flow(flow.id, "stop it")
        return await client.wait_flow(flow.id, done), cancelled

    record, cancelled = with_client(coordinator_process.address, scenario)
    assert cancelled is True
    assert record["state"] == "cancelled"
    assert states_of(record) == {"spin": "cancelled", "after": "skipped"}
    assert "stop it" in record["jobs"]["spin"]["outcome"]["error"]["message"]


def test_retry_reruns_only_unfinished_jobs(coordinator_process):
    context = new_id("ctx-")
    flow = make_flow(
        FlowJob("first", 'print("first ran"); 10'),
        FlowJob(
            "gate",
            'if !is_def_var("ready") { throw "not ready" }\ninput.first + 1',
            depends="first",
        ),
        FlowJob("last", "input.gate * 2", depends="gate"),
        context=context,
    )

    async def scenario(client: CoordinatorClient) -> tuple[dict, list[str], dict]:
        before = await client.run_flow(flow)
        # A cell of the same context defines the variable the gate waits for.
        ready = Job(
            id=new_id("cell-"), flow="cells", context=context, script="let ready = 1;"
        )
        await client.run(ready)
        again: list[dict] = []
        done = await client.retry_flow(flow.id, again.append)
        after = await client.wait_flow(flow.id, done)
        rerun = sorted({event["name"] for event in again if event["type"] == "state"})
        return before, rerun, after

    before, rerun, after = with_client(coordinator_process.address, scenario)
    assert states_of(before) == {
        "first": "finished",
        "gate": "error",
        "last": "skipped",
    }
    assert rerun == ["gate", "last"]
    assert after["state"] == "finished"
    assert after["run"] == 2
    assert after["jobs"]["last"]["outcome"]["value"] == 22
    assert after["jobs"]["first"]["finished"] == before["jobs"]["first"]["finished"]


def test_retry_of_finished_flow_is_rejected(coordinator_process):
    flow = make_flow(FlowJob("only", "1"))

    async def scenario(client: CoordinatorClient) -> None:
        await client.run_flow(flow)
        await client.retry_flow(flow.id)

    with pytest.raises(CoordinatorError, match="nothing to retry"):
        with_client(coordinator_process.address, scenario)


def test_record_has_times_tries_node_and_output(coordinator_process):
    flow = make_flow(FlowJob("hello", 'print("hi"); 7'))
    record, _ = run_flow(coordinator_process.address, flow)
    job = record["jobs"]["hello"]
    assert job["submitted"] <= job["started"] <= job["finished"] <= job["received"]
    assert record["created"] <= record["started"] <= record["finished"]
    assert job["tries"] == 1
    assert job["node"].startswith("node-")
    assert job["outcome"]["output"] == ["hi"]
    assert job["outcome"]["value"] == 7
    assert "job" not in job  # the definition is the flow's
    assert record["definition"]["jobs"][0]["script"] == 'print("hi"); 7'


def test_final_event_carries_small_outcome(coordinator_process):
    flow = make_flow(FlowJob("load", 'print("loading"); [1, 2]'))
    _, events = run_flow(coordinator_process.address, flow)
    final = next(
        event
        for event in events
        if event["type"] == "state" and event["state"] == "finished"
    )
    assert final["outcome"]["value"] == [1, 2]
    assert final["outcome"]["output"] == ["loading"]


def test_large_outcome_is_recorded_whole(coordinator_process):
    # Too large to ride on the final event, so the coordinator gathers it.
    script = (
        'let pad = ""; for j in 0..100 { pad += "x" }\n'
        'for i in 0..400 { print(`line ${i} ${pad}`) }\n"done"'
    )
    flow = make_flow(
        FlowJob("loud", script), FlowJob("after", "input.loud", depends="loud")
    )
    record, events = run_flow(coordinator_process.address, flow)
    final = next(
        event
        for event in events
        if event["type"] == "state"
        and event.get("name") == "loud"
        and event["state"] == "finished"
    )
    assert "outcome" not in final
    loud = record["jobs"]["loud"]["outcome"]
    assert len(loud["output"]) == 400
    assert loud["output"][399].startswith("line 399 ")
    assert record["jobs"]["after"]["outcome"]["value"] == "done"


def test_list_shows_flows_newest_first(coordinator_process):
    first = make_flow(FlowJob("a", "1"), name="older")
    second = make_flow(FlowJob("a", "1"), FlowJob("b", "2"), name="newer")
    run_flow(coordinator_process.address, first)
    run_flow(coordinator_process.address, second)

    async def scenario(client: CoordinatorClient) -> list[dict]:
        return await client.list_flows(limit=2)

    listed = with_client(coordinator_process.address, scenario)
    assert [item["id"] for item in listed] == [second.id, first.id]
    assert listed[0]["name"] == "newer"
    assert listed[0]["jobs"] == 2
    assert listed[0]["counts"] == {"finished": 2}


def test_events_carry_flow_id_as_topic(coordinator_process):
    flow = make_flow(FlowJob("a", 'print("one"); 1'), FlowJob("b", "2", depends="a"))
    context = zmq.Context()
    subscriber = context.socket(zmq.SUB)
    other = context.socket(zmq.SUB)
    try:

        async def scenario(client: CoordinatorClient) -> dict:
            for socket, topic in ((subscriber, flow.id), (other, "no-such-flow")):
                socket.setsockopt(zmq.SUBSCRIBE, topic.encode())
                socket.connect(client.events_address)
            await asyncio.sleep(0.5)  # let the subscriptions reach the PUB socket
            return await client.run_flow(flow)

        with_client(coordinator_process.address, scenario)
        received = []
        while subscriber.poll(2000):
            topic, frame = subscriber.recv_multipart()
            assert topic == flow.id.encode()
            received.append(protocol.decode(frame))
        assert other.poll(200) == 0
    finally:
        subscriber.close(0)
        other.close(0)
        context.term()
    changes = [
        (event.get("name"), event["state"])
        for event in received
        if event["type"] in ("state", "flow")
    ]
    assert changes[0] == ("demo", "running")
    first_of_b = next(index for index, (name, _) in enumerate(changes) if name == "b")
    assert changes.index(("a", "finished")) < first_of_b
    assert ("b", "finished") in changes
    assert changes[-1] == ("demo", "finished")
    assert {"type": "output", "text": "one"}.items() <= next(
        event for event in received if event["type"] == "output"
    ).items()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda jobs: jobs.append({"name": "a", "script": "2"}),
            "duplicate job name 'a'",
        ),
        (
            lambda jobs: jobs[0].update(depends=["ghost"]),
            "depends on unknown job(s) ghost",
        ),
        (
            lambda jobs: (
                jobs.append({"name": "b", "script": "2", "depends": ["b2"]})
                or jobs.append({"name": "b2", "script": "2", "depends": ["b"]})
            ),
            "cycle: b -> b2 -> b",
        ),
    ],
)
def test_coordinator_rejects_invalid_flow(coordinator_process, change, expected):
    data = make_flow(FlowJob("a", "1")).to_dict()
    change(data["jobs"])

    async def scenario(client: CoordinatorClient) -> None:
        await client.request(protocol.FLOW_SUBMIT, flow=data)

    with pytest.raises(CoordinatorError) as caught:
        with_client(coordinator_process.address, scenario)
    assert expected in str(caught.value)


def test_job_pinned_to_unknown_node_is_rejected(coordinator_process):
    flow = make_flow(FlowJob("a", "1", node="node-9"))
    with pytest.raises(CoordinatorError) as caught:
        run_flow(coordinator_process.address, flow)
    assert "no live node of that name" in str(caught.value)
    assert "node-0" in str(caught.value)


def test_pinned_jobs_run_on_their_nodes(coordinator_process):
    flow = make_flow(
        FlowJob("on_zero", "1", node="node-0"),
        FlowJob("on_one", "2", node="node-1"),
        FlowJob("sum", "input.on_zero + input.on_one", depends="on_zero,on_one"),
    )
    record, _ = run_flow(coordinator_process.address, flow)
    assert record["jobs"]["on_zero"]["node"] == "node-0"
    assert record["jobs"]["on_one"]["node"] == "node-1"
    assert record["jobs"]["sum"]["outcome"]["value"] == 3


def test_running_flow_is_interrupted_by_restart_and_resumed(start_coordinator):
    first = start_coordinator(workers=1)
    context = new_id("ctx-")
    flow = make_flow(
        FlowJob("done_first", "5"),
        FlowJob(
            "spin",
            'if !is_def_var("resume") { print("spinning"); loop {} }\n7',
            depends="done_first",
            timeout=60,
        ),
        FlowJob("after", "input.done_first + input.spin", depends="done_first,spin"),
        context=context,
    )

    async def start(client: CoordinatorClient) -> None:
        running = asyncio.Event()

        def on_event(event: dict) -> None:
            if event["type"] == "output" and event["text"] == "spinning":
                running.set()

        await client.submit_flow(flow, on_event)
        await asyncio.wait_for(running.wait(), 60)

    with_client(first.address, start)
    assert first.stop() == 0

    second = start_coordinator(workers=1, home=first.home)

    async def resume(client: CoordinatorClient) -> tuple[list[dict], dict, dict]:
        listed = await client.list_flows()
        interrupted = await client.flow_status(flow.id)
        cell = Job(
            id=new_id("cell-"), flow="cells", context=context, script="let resume = 1;"
        )
        await client.run(cell)
        done = await client.retry_flow(flow.id)
        return listed, interrupted, await client.wait_flow(flow.id, done)

    listed, interrupted, resumed = with_client(second.address, resume)
    assert [item["state"] for item in listed if item["id"] == flow.id] == [
        "interrupted"
    ]
    assert states_of(interrupted) == {
        "done_first": "finished",
        "spin": "cancelled",
        "after": "skipped",
    }
    assert resumed["state"] == "finished"
    assert resumed["jobs"]["after"]["outcome"]["value"] == 12


def test_killed_coordinator_leaves_flow_interrupted(start_coordinator):
    first = start_coordinator(workers=1)
    flow = make_flow(FlowJob("spin", 'print("spinning"); loop {}'))

    async def start(client: CoordinatorClient) -> None:
        running = asyncio.Event()
        await client.submit_flow(
            flow, lambda event: running.set() if event["type"] == "output" else None
        )
        await asyncio.wait_for(running.wait(), 60)

    with_client(first.address, start)
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(30)
    first.process.stdout.close()

    second = start_coordinator(workers=1, home=first.home)

    async def inspect(client: CoordinatorClient) -> dict:
        return await client.flow_status(flow.id)

    record = with_client(second.address, inspect)
    assert record["state"] == "interrupted"
    spin = record["jobs"]["spin"]
    assert spin["state"] == "cancelled"
    assert "coordinator stopped" in spin["outcome"]["error"]["message"]


def lattice(layers: int, width: int) -> list[FlowJob]:
    """Return jobs in ``layers`` rows of ``width``, each needing its two nearest above."""
    jobs = [FlowJob(f"r0c{column}", str(column)) for column in range(width)]
    for row in range(1, layers):
        for column in range(width):
            above = sorted({max(column - 1, 0), column})
            names = [f"r{row - 1}c{index}" for index in above]
            total = " + ".join(f'input["{name}"]' for name in names)
            script = f"({total}) % 1000"
            jobs.append(FlowJob(f"r{row}c{column}", script, depends=tuple(names)))
    return jobs


def test_flow_of_ten_thousand_jobs_finishes(coordinator_process):
    flow = make_flow(*lattice(100, 100))

    async def scenario(client: CoordinatorClient) -> dict:
        done = await client.submit_flow(flow)
        await client.wait_flow(flow.id, done)
        return await client.flow_status(flow.id, jobs=False)

    summary = with_client(coordinator_process.address, scenario)
    assert summary["state"] == "finished"
    assert summary["counts"] == {"finished": 10_000}


@contextlib.asynccontextmanager
async def coordinator_in_process(
    tmp_path, workers: int = 1, **settings: str
) -> AsyncIterator[tuple[LocalCluster, Coordinator, CoordinatorClient]]:
    """Run a coordinator in this process, on a new LocalCluster of Hero nodes.

    ``settings`` are Dask settings for the scheduler, which reads them as it starts.
    """
    with dask.config.set(settings):
        local = await cluster.start_local_cluster(workers)
    dask_client = await cluster.connect(local.scheduler_address)
    await cluster.make_nodes(dask_client, tmp_path / "nodes")
    store = JobStore(tmp_path / "coordinator")
    store.start()
    coordinator = Coordinator(dask_client, store)
    await coordinator.start()
    client = CoordinatorClient(coordinator.request_endpoint)
    await client.connect()
    try:
        yield local, coordinator, client
    finally:
        await client.close()
        await coordinator.close()
        store.stop()
        await dask_client.close()
        await local.close()


def test_coordinator_keeps_nothing_of_finished_flows(tmp_path):
    async def scenario() -> tuple[dict, dict, tuple[int, int, int], int]:
        async with coordinator_in_process(tmp_path) as (_, coordinator, client):
            records = []
            for _ in range(3):
                flow = make_flow(*lattice(10, 20), FlowJob("broken", 'throw "x"'))
                records.append(await client.run_flow(flow))
            left = (
                len(coordinator.flows.runs),
                len(coordinator._published),
                len(coordinator._futures),
            )
            return records[-1], dict(coordinator.client.futures), left, len(records)

    record, futures, left, count = asyncio.run(scenario())
    assert count == 3
    assert record["counts"] == {"finished": 200, "error": 1}
    assert futures == {}
    assert left == (0, 0, 0)


def test_runner_that_no_node_serves_is_rejected(coordinator_process):
    flow = make_flow(FlowJob("a", "1"), FlowJob("build", "!!v.build", runner="v"))
    with pytest.raises(CoordinatorError) as caught:
        run_flow(coordinator_process.address, flow)
    assert "no live node serves the runner(s) v needed by job(s) build" in str(
        caught.value
    )


def test_job_whose_node_left_fails_after_bounded_wait(tmp_path):
    settings = {"distributed.scheduler.no-workers-timeout": "2s"}

    async def scenario() -> dict:
        in_process = coordinator_in_process(tmp_path, workers=2, **settings)
        async with in_process as (local, _, client):
            name, leaving = next(iter(local.workers.items()))
            flow = make_flow(
                FlowJob("slow", "let n = 0; while n < 3_000_000 { n += 1 } n"),
                FlowJob(
                    "pinned", "input.slow", depends="slow", node=node_name_of(str(name))
                ),
            )
            done = await client.submit_flow(flow)
            await leaving.close()
            return await client.wait_flow(flow.id, done)

    record = asyncio.run(scenario())
    assert record["state"] == "error"
    pinned = record["jobs"]["pinned"]
    assert pinned["state"] == "error"
    message = pinned["outcome"]["error"]["message"]
    assert "no live node could take job pinned" in message
    assert "start a node that serves it" in message


def test_long_job_is_reported_running_before_its_end(coordinator_process):
    flow = make_flow(
        FlowJob("quick", "1"),
        FlowJob("long", "let n = 0; while n < 3_000_000 { n += 1 } n"),
    )
    _, events = run_flow(coordinator_process.address, flow)
    states = [
        (event["name"], event["state"]) for event in events if event["type"] == "state"
    ]
    assert states.index(("long", "running")) < states.index(("long", "finished"))
    assert ("quick", "finished") in states


def test_other_client_watches_running_flow(coordinator_process):
    flow = make_flow(
        FlowJob(
            "slow", 'print("working"); let n = 0; while n < 2_000_000 { n += 1 } n'
        ),
        FlowJob("after", "input.slow + 1", depends="slow"),
    )

    async def scenario() -> tuple[dict, list[dict], dict]:
        starter = CoordinatorClient(coordinator_process.address)
        # This client subscribes to no flow at first: watch_flow adds the topic.
        watcher = CoordinatorClient(coordinator_process.address, topics=("none.",))
        await starter.connect()
        await watcher.connect()
        try:
            done = await starter.submit_flow(flow)
            events: list[dict] = []
            watched = await watcher.watch_flow(flow.id, events.append)
            return watched, events, await starter.wait_flow(flow.id, done)
        finally:
            await watcher.close()
            await starter.close()

    watched, events, record = asyncio.run(scenario())
    assert watched["state"] == "finished"
    assert watched["jobs"]["after"]["outcome"]["value"] == 2_000_001
    assert record["state"] == "finished"
    states = {
        (event.get("name"), event["state"]) for event in events if "state" in event
    }
    assert ("after", "finished") in states
    assert events[-1]["type"] == "flow"
    assert events[-1]["state"] == "finished"
