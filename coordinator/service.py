"""The coordinator service: a ZeroMQ ROUTER for requests, a PUB socket for events.

Each job becomes one Dask task whose key is the job id (never ``pure=True``, which
would merge two runs of the same cell). Output and state events travel from the node
as Dask worker events and are republished here on PUB with the job's flow id as topic.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import zmq
import zmq.asyncio
from distributed import Client, Future

from coordinator.flows import FlowRun, FlowRunner
from coordinator.node_registry import NodeRegistry
from coordinator.placement import Placement
from coordinator.store import JobStore
from coordinator.watch import ClientWatch
from herolib import protocol
from herolib.errors import InvalidJobError, ProtocolError
from herolib.flows import Flow
from herolib.models import Job, JobOutcome, ScriptError, now
from herolib.states import JobState
from nodes.events import EVENT_TOPIC
from nodes.task import cancel_job, describe_node, run_job

logger = logging.getLogger(__name__)

#: How long to wait for output events still in flight when a job's outcome arrives.
OUTPUT_GRACE = 0.5

FLOW_REQUESTS = frozenset(
    {
        protocol.FLOW_SUBMIT,
        protocol.FLOW_CANCEL,
        protocol.FLOW_RETRY,
        protocol.FLOW_STATUS,
        protocol.FLOW_LIST,
    }
)


class Coordinator:
    """Receive jobs on ``request_address``, run them on Dask, publish on ``events_address``.

    Parameters
    ----------
    client
        An asynchronous Dask client whose workers are Hero nodes.
    store
        The job store; started already.
    request_address, events_address
        ZeroMQ endpoints to bind. A port of ``0`` picks a free port; the bound
        endpoints are in :attr:`request_endpoint` and :attr:`events_endpoint`.
    """

    def __init__(
        self,
        client: Client,
        store: JobStore,
        request_address: str = "tcp://127.0.0.1:0",
        events_address: str = "tcp://127.0.0.1:0",
    ) -> None:
        self.client = client
        self.store = store
        self.placement = Placement(client, store)
        self._request_address = request_address
        self._events_address = events_address
        self._context = zmq.asyncio.Context()
        self._router = self._context.socket(zmq.ROUTER)
        self._pub = self._context.socket(zmq.PUB)
        self.request_endpoint = ""
        self.events_endpoint = ""
        self._futures: dict[str, Future] = {}
        self._published: dict[str, set[int]] = {}
        self._reported: set[str] = set()
        self.flows = FlowRunner(
            client,
            store,
            self.placement,
            self._publish,
            self._record_flow_job,
            self._published,
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self.node_registry = NodeRegistry()
        self._stopped = asyncio.Event()
        self.watch = ClientWatch()

    async def start(self) -> None:
        self._router.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self._router.setsockopt(zmq.LINGER, 0)
        self._pub.setsockopt(zmq.LINGER, 0)
        self._pub.setsockopt(zmq.SNDHWM, 100_000)
        self.request_endpoint = _bind(self._router, self._request_address)
        self.events_endpoint = _bind(self._pub, self._events_address)
        self.flows.interrupt_unfinished()
        self.client.subscribe_topic(EVENT_TOPIC, self._on_node_event)
        self._spawn(self._serve())
        self._spawn(self._cancel_orphans())
        self._spawn(self._flush_store())
        logger.info(
            "coordinator listening: requests %s, events %s",
            self.request_endpoint,
            self.events_endpoint,
        )

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    def request_stop(self) -> None:
        self._stopped.set()

    async def close(self) -> None:
        """Cancel running jobs, close the sockets; the caller closes Dask and the store."""
        self._stopped.set()
        await self.flows.close()
        for job_id in list(self._futures):
            await self._cancel(job_id, "coordinator is shutting down")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.client.unsubscribe_topic(EVENT_TOPIC)
        self._router.close()
        self._pub.close()
        self._context.term()
        logger.info("coordinator stopped")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self) -> None:
        while not self._stopped.is_set():
            identity, frame = await self._receive()
            if identity is None:
                continue
            try:
                request = protocol.decode_request(frame)
            except ProtocolError as exc:
                logger.warning("rejected a malformed request: %s", exc)
                await self._send(identity, protocol.error_reply("", str(exc)))
                continue
            self._spawn(self._handle(identity, request))

    async def _receive(self) -> tuple[bytes | None, bytes]:
        frames = await self._router.recv_multipart()
        if len(frames) != 2:
            logger.warning(
                "dropped a request with %d frames; expected identity and one JSON frame",
                len(frames),
            )
            return None, b""
        return frames[0], frames[1]

    async def _handle(self, identity: bytes, request: dict[str, Any]) -> None:
        kind, request_id = request["type"], request["id"]
        self.watch.seen(identity, now())
        logger.debug("request %s %s", kind, request_id)
        try:
            fields = await self._dispatch(identity, kind, request)
        except (InvalidJobError, ProtocolError, LookupError) as exc:
            await self._send(identity, protocol.error_reply(request_id, str(exc)))
            return
        except Exception as exc:
            logger.exception("request %s %s failed", kind, request_id)
            await self._send(
                identity, protocol.error_reply(request_id, f"{kind} failed: {exc!r}")
            )
            return
        await self._send(identity, protocol.reply(request_id, **fields))
        if kind == protocol.SHUTDOWN:
            self._stopped.set()

    async def _dispatch(
        self, identity: bytes, kind: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        if kind == protocol.HELLO:
            return {"events": self.events_endpoint, "nodes": await self.nodes()}
        if kind == protocol.NODES:
            await self.nodes()
            return {"nodes": self.node_registry.all()}
        if kind == protocol.PROBE:
            topic = _require_str(request, "topic")
            self._publish(topic, {"type": protocol.PROBE, "topic": topic})
            return {}
        if kind == protocol.SUBMIT:
            job = Job.from_dict(request.get("job"))
            heartbeat = request.get("heartbeat")
            if heartbeat is not None and (
                isinstance(heartbeat, bool)
                or not isinstance(heartbeat, (int, float))
                or heartbeat <= 0
            ):
                raise ProtocolError(
                    f"heartbeat must be a positive number of seconds, got {heartbeat!r}"
                )
            await self.submit(job, identity)
            if heartbeat is not None:
                self.watch.watch(job.id, identity, float(heartbeat), now())
            return {"job": job.id}
        if kind == protocol.CANCEL:
            job_id = _require_str(request, "job")
            reason = request.get("reason") or "cancelled"
            return {"cancelled": await self._cancel(job_id, str(reason))}
        if kind == protocol.STATUS:
            job_id = _require_str(request, "job")
            record = self.store.get(job_id)
            if record is None:
                raise LookupError(f"no job with id {job_id!r}")
            if "flow" in record and "job" not in record:
                # A flow job's record leaves its definition to the flow's record.
                record["job"] = self.flows.records.job_definition(
                    record["flow"], record["name"]
                )
            return {"record": record}
        if kind in FLOW_REQUESTS:
            return await self._dispatch_flow(identity, kind, request)
        return {}

    async def _dispatch_flow(
        self, identity: bytes, kind: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        if kind == protocol.FLOW_SUBMIT:
            flow = Flow.from_dict(request.get("flow"))
            await self.flows.submit(flow, identity)
            self._spawn(self._run_flow(flow.id, identity))
            return {"flow": flow.id}
        if kind == protocol.FLOW_LIST:
            limit = request.get("limit", 50)
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ProtocolError(f"limit must be a whole number >= 1, got {limit!r}")
            return {"flows": self.flows.records.list(limit)}
        flow_id = _require_str(request, "flow")
        if kind == protocol.FLOW_RETRY:
            jobs = await self.flows.retry(flow_id, identity)
            self._spawn(self._run_flow(flow_id, identity))
            return {"flow": flow_id, "jobs": jobs}
        if kind == protocol.FLOW_CANCEL:
            reason = str(request.get("reason") or "the flow was cancelled")
            return {"cancelled": await self.flows.cancel(flow_id, reason)}
        record = self.flows.records.get(flow_id, jobs=bool(request.get("jobs", True)))
        if record is None:
            raise LookupError(
                f"no flow with id {flow_id!r}; %flow list shows the recorded flows"
            )
        return {"record": record}

    async def _run_flow(self, flow_id: str, requester: bytes) -> None:
        counts: dict[str, int] | None = self.flows.runs[flow_id].counts
        try:
            await self.flows.watch(flow_id)
        except Exception:
            logger.exception("watching flow %s failed", flow_id)
            counts = None  # the run's counts may be incomplete; read the records
        record = self.flows.records.get(flow_id, jobs=False, counts=counts)
        await self._send(requester, {"type": protocol.FLOW_DONE, "record": record})

    async def nodes(self) -> list[dict[str, Any]]:
        """Describe every live Hero node of the cluster, and note them as seen."""
        found = await self.client.run(describe_node)
        live = [info for info in found.values() if info is not None]
        self.node_registry.update(live, now())
        return live

    async def submit(self, job: Job, requester: bytes | None = None) -> None:
        """Validate, record and start ``job``; ``requester`` gets a ``job_done`` message."""
        if job.id in self._futures or self.store.get(job.id) is not None:
            raise InvalidJobError(
                f"a job with id {job.id!r} exists already; give each job a new id"
            )
        placement = await self.placement.place(job)
        self.store.submitted(job, now())
        task = job.to_dict()
        if task["session"] is None:
            task["session"] = self.store.session(job.context)
        future = self.client.submit(
            run_job,
            task,
            key=job.id,
            pure=False,
            resources={job.runner: 1},
            workers=placement,
            allow_other_workers=True,
        )
        self._futures[job.id] = future
        self._published[job.id] = set()
        self._spawn(self._watch(job, future, requester))
        logger.debug("job %s submitted for context %s", job.id, job.context)

    async def _watch(self, job: Job, future: Future, requester: bytes | None) -> None:
        try:
            outcome = JobOutcome.from_dict(await future)
        except Exception as exc:
            outcome = self._outcome_of_failed_task(job, future, exc)
        finally:
            self._futures.pop(job.id, None)
            self.watch.forget(job.id)
        received = now()
        try:
            await self._record(job, outcome, received)
        except Exception:
            # The requester still gets the outcome; only the record is incomplete.
            logger.exception("could not record the outcome of job %s", job.id)
        finally:
            self._published.pop(job.id, None)
            outcome.session = None
        if requester is not None:
            await self._send(
                requester, {"type": protocol.JOB_DONE, "outcome": outcome.to_dict()}
            )

    async def _record(self, job: Job, outcome: JobOutcome, received: float) -> None:
        """Publish missing output and the final state; store the outcome and session."""
        await self._flush_output(job.id, job.flow, outcome)
        if outcome.session is not None:
            # The snapshot is kept for the context's next job, and no client needs it.
            self.store.save_session(job.context, outcome.session)
            outcome.session = None
        self.store.finished(outcome, received)
        final = {
            "type": protocol.STATE,
            "job": job.id,
            "flow": job.flow,
            "state": outcome.state.value,
            "node": outcome.node,
            "time": received,
        }
        self._publish(job.flow, final)

    def _outcome_of_failed_task(
        self, job: Job, future: Future, exc: BaseException
    ) -> JobOutcome:
        if future.status == "cancelled":
            return JobOutcome(
                job=job.id,
                state=JobState.CANCELLED,
                error=ScriptError(
                    "ErrorCancelled", "job was cancelled before it started"
                ),
            )
        logger.exception("task of job %s failed on Dask", job.id, exc_info=exc)
        return JobOutcome(
            job=job.id,
            state=JobState.ERROR,
            error=ScriptError("ErrorNode", f"the node running the job failed: {exc!r}"),
        )

    async def _record_flow_job(self, run: FlowRun, outcome: JobOutcome) -> None:
        """Publish missing output and the final state of a flow job; store its outcome."""
        flow_id = run.flow.id
        try:
            await self._flush_output(outcome.job, flow_id, outcome)
            self.store.finished(outcome, now())
        except Exception:
            logger.exception("could not record the outcome of job %s", outcome.job)
        finally:
            self._published.pop(outcome.job, None)
        if outcome.job in self._reported:
            self._reported.discard(outcome.job)
            return
        event = {
            "type": protocol.STATE,
            "job": outcome.job,
            "flow": flow_id,
            "name": outcome.job.rpartition(":")[2],
            "state": outcome.state.value,
            "node": outcome.node,
            "time": now(),
            "try": outcome.tries,
        }
        if outcome.error is not None:
            event["error"] = str(outcome.error)
        self._publish(flow_id, event)

    async def _flush_output(
        self, job_id: str, flow_id: str, outcome: JobOutcome
    ) -> None:
        """Publish output lines whose events did not arrive, after a short grace period."""
        expected = set(range(len(outcome.output)))
        seen = self._published.get(job_id, set())
        deadline = asyncio.get_running_loop().time() + OUTPUT_GRACE
        while not expected <= seen and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        for seq in sorted(expected - seen):
            logger.debug(
                "republishing output line %d of job %s from its outcome", seq, job_id
            )
            self._publish(
                flow_id,
                {
                    "type": protocol.OUTPUT,
                    "job": job_id,
                    "flow": flow_id,
                    "seq": seq,
                    "stream": "stdout",
                    "text": outcome.output[seq],
                },
            )
            seen.add(seq)

    def _on_node_event(self, event: tuple[float, dict[str, Any]]) -> None:
        _, message = event
        job_id = message.get("job")
        flow = message.get("flow")
        if not isinstance(job_id, str) or not isinstance(flow, str):
            logger.warning("dropped a node event without job and flow ids: %r", message)
            return
        if message.get("type") == protocol.OUTPUT:
            seen = self._published.get(job_id)
            if seen is None or message["seq"] in seen:
                return
            seen.add(message["seq"])
        elif message.get("type") == protocol.STATE:
            if job_id not in self._published or job_id in self._reported:
                # The job's end is known already; a late event must not undo it.
                return
            if JobState(message["state"]).is_final:
                # A flow job's node reports its end itself, mostly with its outcome.
                self._reported.add(job_id)
                self.flows.job_ended(flow, message)
                self._publish(flow, message)
                return
            self.store.state(
                job_id,
                message["state"],
                message.get("node", ""),
                message.get("time"),
                message.get("try"),
            )
            self.flows.job_state(flow, message)
        self._publish(flow, message)

    def _publish(self, topic: str, event: dict[str, Any]) -> None:
        self._pub.send_multipart([topic.encode(), protocol.encode(event)])

    async def _send(self, identity: bytes, message: dict[str, Any]) -> None:
        try:
            await self._router.send_multipart([identity, protocol.encode(message)])
        except zmq.ZMQError as exc:
            # With ROUTER_MANDATORY an unknown peer raises instead of vanishing silently.
            logger.warning(
                "could not send %s to peer %r: %s", message.get("type"), identity, exc
            )

    async def _flush_store(self, interval: float = 0.02) -> None:
        while not self._stopped.is_set():
            await asyncio.sleep(interval)
            try:
                self.store.flush()
            except Exception:
                # flush() logged the error; keep flushing later updates.
                pass

    async def _cancel_orphans(self, interval: float = 2.0) -> None:
        while not self._stopped.is_set():
            await asyncio.sleep(interval)
            for job_id in self.watch.orphans(now()):
                self.watch.forget(job_id)
                logger.warning(
                    "job %s: its client stopped responding; cancelling it", job_id
                )
                try:
                    await self._cancel(job_id, "its client stopped responding")
                except Exception:
                    logger.exception("could not cancel orphaned job %s", job_id)

    async def _cancel(self, job_id: str, reason: str) -> bool:
        future = self._futures.get(job_id)
        if future is None:
            return False
        logger.info("cancelling job %s: %s", job_id, reason)
        stopped = await self.client.run(cancel_job, job_id, reason)
        if not any(stopped.values()):
            # Not running on any node yet: drop the task before it starts.
            await future.cancel()
        return True


def _bind(socket: zmq.asyncio.Socket, address: str) -> str:
    if address.endswith(":0"):
        port = socket.bind_to_random_port(address[: -len(":0")])
        return f"{address[: -len(':0')]}:{port}"
    socket.bind(address)
    return address


def _require_str(request: dict[str, Any], field: str) -> str:
    value = request.get(field)
    if not isinstance(value, str) or not value:
        raise ProtocolError(
            f"{request['type']} request needs a string field {field!r}, got {value!r}"
        )
    return value
