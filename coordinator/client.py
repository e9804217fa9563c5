"""The asyncio client of the coordinator, used by the kernel, the CLI and tests.

A DEALER socket carries requests and replies, and a SUB socket receives events for
the flows whose ids start with the prefixes the client subscribed to.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

import zmq
import zmq.asyncio

from herolib import protocol
from herolib.errors import CoordinatorError, CoordinatorUnreachable, ProtocolError
from herolib.flows import Flow
from herolib.models import Job, JobOutcome, new_id
from herolib.states import FlowState

logger = logging.getLogger(__name__)

#: Seconds to wait for a reply before the coordinator counts as unreachable.
DEFAULT_TIMEOUT = 5.0
#: Seconds between checks on the coordinator while a job runs.
HEARTBEAT = 5.0
#: Seconds to keep reading events after a job's outcome arrived, for lines still in flight.
EVENT_DRAIN = 1.0
#: Seconds to wait for each probe event while the event subscription is set up.
PROBE_INTERVAL = 0.05
#: Probe requests to send before the subscription counts as not confirmed.
PROBE_ATTEMPTS = 100

EventHandler = Callable[[dict[str, Any]], None]


_ENDPOINT = re.compile(r"tcp://(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):(\d{1,5})|ipc://\S+")


def check_address(address: str) -> None:
    """Raise :class:`CoordinatorError` unless ``address`` is a ZeroMQ endpoint to connect to."""
    match = _ENDPOINT.fullmatch(address.strip())
    if match is None or (
        match.group(2) is not None and not 0 < int(match.group(2)) < 65536
    ):
        raise CoordinatorError(
            f"invalid coordinator address {address!r}; expected tcp://HOST:PORT "
            "(port 1 to 65535) or ipc://PATH, such as tcp://127.0.0.1:7760"
        )


class CoordinatorClient:
    """Talk to the coordinator at ``address`` (its ROUTER endpoint).

    Parameters
    ----------
    address
        The coordinator's request endpoint, for example ``tcp://127.0.0.1:7760``.
    topics
        Prefixes of flow ids whose events this client receives.
    timeout
        Seconds to wait for each reply.
    """

    def __init__(
        self,
        address: str,
        topics: tuple[str, ...] = ("",),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        check_address(address)
        self.address = address
        self.topics = topics
        self.timeout = timeout
        self.events_address = ""
        self.nodes: list[dict[str, Any]] = []
        self._context = zmq.asyncio.Context()
        self._dealer: zmq.asyncio.Socket | None = None
        self._sub: zmq.asyncio.Socket | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._outcomes: dict[str, asyncio.Future[JobOutcome]] = {}
        self._flows: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._flow_handlers: dict[str, list[EventHandler]] = {}
        self._submitted_handlers: dict[str, EventHandler] = {}
        self._handlers: dict[str, EventHandler] = {}
        self._seen: dict[str, set[int]] = {}
        self._readers: list[asyncio.Task[None]] = []
        self._probe: tuple[str, asyncio.Future[None]] | None = None
        self._reply_reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Say hello to the coordinator and subscribe to its events."""
        self._open_dealer()
        hello = await self.request(protocol.HELLO)
        self.events_address = hello["events"]
        self.nodes = hello.get("nodes", [])
        self._sub = self._context.socket(zmq.SUB)
        self._sub.setsockopt(zmq.LINGER, 0)
        self._sub.setsockopt(zmq.RCVHWM, 100_000)
        for topic in self.topics:
            self._sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        self._sub.connect(self.events_address)
        self._readers.append(asyncio.ensure_future(self._read_events()))
        await self._await_subscription()
        logger.info(
            "connected to coordinator %s (events %s)", self.address, self.events_address
        )

    async def _await_subscription(self) -> None:
        """Return once events reach this client, so none published later are lost.

        The coordinator publishes a probe on a topic of this client's own until one
        arrives, because a PUB socket drops messages sent before it has seen the
        subscription.
        """
        assert self._sub is not None
        topic = new_id("\x00probe-")
        arrived = asyncio.get_running_loop().create_future()
        self._probe = (topic, arrived)
        self._sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        try:
            for _ in range(PROBE_ATTEMPTS):
                await self.request(protocol.PROBE, topic=topic)
                try:
                    await asyncio.wait_for(asyncio.shield(arrived), PROBE_INTERVAL)
                    return
                except TimeoutError:
                    continue
            logger.warning(
                "no probe event from %s after %d tries; early events may be missed",
                self.events_address,
                PROBE_ATTEMPTS,
            )
        finally:
            self._sub.setsockopt(zmq.UNSUBSCRIBE, topic.encode())
            self._probe = None

    def _open_dealer(self) -> None:
        if self._reply_reader is not None:
            self._reply_reader.cancel()
        if self._dealer is not None:
            self._dealer.close(linger=0)
        self._dealer = self._context.socket(zmq.DEALER)
        self._dealer.setsockopt(zmq.LINGER, 0)
        self._dealer.connect(self.address)
        self._reply_reader = asyncio.ensure_future(self._read_replies(self._dealer))

    async def close(self) -> None:
        readers = [
            *self._readers,
            *([self._reply_reader] if self._reply_reader else []),
        ]
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        self._readers.clear()
        for socket in (self._dealer, self._sub):
            if socket is not None:
                socket.close(linger=0)
        self._context.term()

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return the reply's fields; raise on error or timeout."""
        if self._dealer is None:
            self._open_dealer()
        assert self._dealer is not None
        request_id = new_id("r-")
        waiter: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[request_id] = waiter
        try:
            await self._dealer.send(
                protocol.encode({"type": kind, "id": request_id, **fields})
            )
            reply = await asyncio.wait_for(waiter, self.timeout)
        except TimeoutError:
            # Drop the queued request so it cannot reach a coordinator that starts later.
            self._open_dealer()
            raise CoordinatorUnreachable(
                f"the coordinator at {self.address} did not reply to {kind!r} "
                f"within {self.timeout:g} s; check that it runs (hero coordinator) "
                f"or unset HERO_COORDINATOR to use an embedded one"
            ) from None
        finally:
            self._pending.pop(request_id, None)
        if not reply.get("ok"):
            raise CoordinatorError(
                f"the coordinator rejected {kind!r}: {reply.get('error')}"
            )
        return reply

    async def submit(
        self, job: Job, on_event: EventHandler | None = None, *, watched: bool = True
    ) -> asyncio.Future[JobOutcome]:
        """Submit ``job`` and return a future of its outcome; ``on_event`` gets its events.

        With ``watched`` the coordinator cancels the job when this client goes silent
        for several :data:`HEARTBEAT` periods, so call :meth:`wait`, which keeps
        sending requests. Pass False to submit a job that outlives this client.
        """
        outcome: asyncio.Future[JobOutcome] = asyncio.get_running_loop().create_future()
        self._outcomes[job.id] = outcome
        if on_event is not None:
            self._handlers[job.id] = on_event
            self._seen[job.id] = set()
        try:
            heartbeat = {"heartbeat": HEARTBEAT} if watched else {}
            await self.request(protocol.SUBMIT, job=job.to_dict(), **heartbeat)
        except BaseException:
            self._outcomes.pop(job.id, None)
            self._handlers.pop(job.id, None)
            self._seen.pop(job.id, None)
            raise
        return outcome

    async def run(self, job: Job, on_event: EventHandler | None = None) -> JobOutcome:
        """Submit ``job``, wait for its outcome and for its remaining events."""
        outcome = await self.submit(job, on_event)
        try:
            return await self.wait(job.id, outcome)
        finally:
            self._outcomes.pop(job.id, None)

    async def wait(
        self, job_id: str, outcome: asyncio.Future[JobOutcome]
    ) -> JobOutcome:
        """Wait for the outcome of ``job_id``, checking on the coordinator meanwhile.

        Every :data:`HEARTBEAT` seconds without an outcome the job's record is read:
        an unreachable coordinator raises :class:`CoordinatorUnreachable` instead of
        waiting forever, and a finished job whose ``job_done`` message was lost
        takes its outcome from the record.
        """
        while True:
            try:
                result = await asyncio.wait_for(asyncio.shield(outcome), HEARTBEAT)
                break
            except TimeoutError:
                record = await self.status(job_id)
                if "outcome" in record:
                    logger.warning("job %s: outcome taken from its record", job_id)
                    result = JobOutcome.from_dict(record["outcome"])
                    break
        if job_id in self._handlers:
            await self._drain(job_id, result)
        self._handlers.pop(job_id, None)
        self._seen.pop(job_id, None)
        return result

    async def cancel(self, job_id: str, reason: str = "cancelled") -> bool:
        reply = await self.request(protocol.CANCEL, job=job_id, reason=reason)
        return bool(reply.get("cancelled"))

    async def status(self, job_id: str) -> dict[str, Any]:
        reply = await self.request(protocol.STATUS, job=job_id)
        return dict(reply["record"])

    async def list_nodes(self) -> list[dict[str, Any]]:
        """Describe every node the coordinator has seen; gone ones have ``alive`` false."""
        reply = await self.request(protocol.NODES)
        return list(reply["nodes"])

    async def shutdown(self) -> None:
        await self.request(protocol.SHUTDOWN)

    async def submit_flow(
        self, flow: Flow, on_event: EventHandler | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Submit ``flow`` and return a future of its final record (without job records).

        ``on_event`` gets every event of the flow: job states, output lines and flow
        states. A flow is not tied to this client: it runs on when the client goes.
        """
        return await self._start_flow(
            flow.id, on_event, protocol.FLOW_SUBMIT, flow=flow.to_dict()
        )

    async def retry_flow(
        self, flow_id: str, on_event: EventHandler | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Run again the jobs of ``flow_id`` that did not finish, reusing the others' results."""
        return await self._start_flow(
            flow_id, on_event, protocol.FLOW_RETRY, flow=flow_id
        )

    async def run_flow(
        self, flow: Flow, on_event: EventHandler | None = None
    ) -> dict[str, Any]:
        """Submit ``flow``, wait for it to end and return its record with every job's."""
        done = await self.submit_flow(flow, on_event)
        return await self.wait_flow(flow.id, done)

    async def wait_flow(
        self, flow_id: str, done: asyncio.Future[dict[str, Any]]
    ) -> dict[str, Any]:
        """Wait for ``flow_id`` to end and return its record with every job's.

        Every :data:`HEARTBEAT` seconds without news the flow's record is read, so an
        unreachable coordinator raises :class:`CoordinatorUnreachable` and a lost
        ``flow_done`` message does not make this wait forever.
        """
        try:
            while True:
                try:
                    await asyncio.wait_for(asyncio.shield(done), HEARTBEAT)
                    break
                except TimeoutError:
                    summary = await self.flow_status(flow_id, jobs=False)
                    if FlowState(summary["state"]).is_final:
                        logger.debug("flow %s: end taken from its record", flow_id)
                        break
            record = await self.flow_status(flow_id)
            if flow_id in self._flow_handlers:
                await asyncio.sleep(EVENT_DRAIN / 4)
            return record
        finally:
            self._flows.pop(flow_id, None)
            self._remove_flow_handler(
                flow_id, self._submitted_handlers.pop(flow_id, None)
            )

    async def cancel_flow(self, flow_id: str, reason: str = "cancelled") -> bool:
        """Stop the running jobs of ``flow_id`` and skip the rest; False if it is not running."""
        reply = await self.request(protocol.FLOW_CANCEL, flow=flow_id, reason=reason)
        return bool(reply.get("cancelled"))

    async def flow_status(self, flow_id: str, *, jobs: bool = True) -> dict[str, Any]:
        """Return the record of ``flow_id``: state, times, counts and the job records."""
        reply = await self.request(protocol.FLOW_STATUS, flow=flow_id, jobs=jobs)
        return dict(reply["record"])

    async def list_flows(self, limit: int = 50) -> list[dict[str, Any]]:
        """Return summaries of the newest ``limit`` flows, newest first."""
        reply = await self.request(protocol.FLOW_LIST, limit=limit)
        return list(reply["flows"])

    async def _start_flow(
        self, flow_id: str, on_event: EventHandler | None, kind: str, **fields: Any
    ) -> asyncio.Future[dict[str, Any]]:
        done: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._flows[flow_id] = done
        if on_event is not None:
            self._submitted_handlers[flow_id] = on_event
            self._flow_handlers.setdefault(flow_id, []).append(on_event)
        try:
            await self.request(kind, **fields)
        except BaseException:
            self._flows.pop(flow_id, None)
            self._remove_flow_handler(
                flow_id, self._submitted_handlers.pop(flow_id, None)
            )
            raise
        return done

    async def watch_flow(self, flow_id: str, on_event: EventHandler) -> dict[str, Any]:
        """Pass the events of a running flow to ``on_event`` until it ends.

        The flow may have been started by any client. Returns its final record with
        every job's. Events published before this call are not passed on, so read
        the flow's record first and apply the events on top of it.
        """
        assert self._sub is not None, "connect() first"
        subscribe = not any(flow_id.startswith(topic) for topic in self.topics)
        if subscribe:
            self._sub.setsockopt(zmq.SUBSCRIBE, flow_id.encode())
        ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def handle(event: dict[str, Any]) -> None:
            on_event(event)
            final = (
                event.get("type") == protocol.FLOW
                and FlowState(event.get("state", FlowState.RUNNING.value)).is_final
            )
            if final and not ended.done():
                ended.set_result(None)

        self._flow_handlers.setdefault(flow_id, []).append(handle)
        try:
            while True:
                try:
                    await asyncio.wait_for(asyncio.shield(ended), HEARTBEAT)
                    break
                except TimeoutError:
                    summary = await self.flow_status(flow_id, jobs=False)
                    if FlowState(summary["state"]).is_final:
                        break
            return await self.flow_status(flow_id)
        finally:
            self._remove_flow_handler(flow_id, handle)
            if subscribe:
                self._sub.setsockopt(zmq.UNSUBSCRIBE, flow_id.encode())

    def _remove_flow_handler(self, flow_id: str, handler: EventHandler | None) -> None:
        handlers = self._flow_handlers.get(flow_id, [])
        if handler in handlers:
            handlers.remove(handler)
        if not handlers:
            self._flow_handlers.pop(flow_id, None)

    async def _drain(self, job_id: str, outcome: JobOutcome) -> None:
        """Wait for the final state event, then hand over output lines no event carried."""
        seen = self._seen[job_id]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EVENT_DRAIN
        while len(seen) < len(outcome.output) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for seq in range(len(outcome.output)):
            if seq not in seen:
                logger.debug(
                    "output line %d of job %s came with the outcome only", seq, job_id
                )
                self._deliver(
                    {
                        "type": protocol.OUTPUT,
                        "job": job_id,
                        "seq": seq,
                        "stream": "stdout",
                        "text": outcome.output[seq],
                    }
                )

    async def _read_replies(self, dealer: zmq.asyncio.Socket) -> None:
        while True:
            frame = await dealer.recv()
            try:
                message = protocol.decode(frame)
            except ProtocolError as exc:
                logger.warning(
                    "dropped a malformed message from the coordinator: %s", exc
                )
                continue
            if message["type"] == protocol.REPLY:
                waiter = self._pending.get(message.get("id", ""))
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)
                elif message.get("id") == "":
                    logger.warning(
                        "the coordinator rejected a message: %s", message.get("error")
                    )
            elif message["type"] == protocol.FLOW_DONE:
                record = message.get("record") or {}
                flow_id = (record.get("definition") or {}).get("id", "")
                waiter = self._flows.get(flow_id)
                if waiter is not None and not waiter.done():
                    waiter.set_result(record)
            elif message["type"] == protocol.JOB_DONE:
                outcome = JobOutcome.from_dict(message["outcome"])
                future = self._outcomes.get(outcome.job)
                if future is not None and not future.done():
                    future.set_result(outcome)

    async def _read_events(self) -> None:
        assert self._sub is not None
        while True:
            frames = await self._sub.recv_multipart()
            if len(frames) != 2:
                logger.warning(
                    "dropped an event with %d frames; expected topic and JSON",
                    len(frames),
                )
                continue
            try:
                event = protocol.decode(frames[1])
            except ProtocolError as exc:
                logger.warning("dropped a malformed event: %s", exc)
                continue
            self._deliver(event)

    def _deliver(self, event: dict[str, Any]) -> None:
        """Pass ``event`` to its flow's or job's handler, once per output line."""
        if event["type"] == protocol.PROBE:
            probe = self._probe
            if probe and event.get("topic") == probe[0] and not probe[1].done():
                probe[1].set_result(None)
            return
        flow_handlers = self._flow_handlers.get(event.get("flow", ""))
        if flow_handlers:
            for flow_handler in list(flow_handlers):
                try:
                    flow_handler(event)
                except Exception:
                    logger.exception(
                        "event handler failed for flow %s", event.get("flow")
                    )
            return
        job_id = event.get("job", "")
        handler = self._handlers.get(job_id)
        if handler is None:
            return
        if event["type"] == protocol.OUTPUT:
            seen = self._seen[job_id]
            if event.get("seq") in seen:
                return
            seen.add(event.get("seq"))
        try:
            handler(event)
        except Exception:
            logger.exception("event handler failed for job %s", job_id)
