"""The live state of one running job: its output, cancellation and the engine to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from herolib import protocol
from herolib.models import Job

logger = logging.getLogger(__name__)

#: Called with each event a job emits; on a Dask worker it forwards to ``log_event``.
Emit = Callable[[dict[str, Any]], None]


class Cancellable(Protocol):
    def detach(self) -> None:
        """Forget the engine once the script ended.

        The engine's print callback refers to this execution, so keeping the engine
        here would make a reference cycle that only the garbage collector frees.
        """
        with self._lock:
            self._engine = None

    def cancel(self, reason: str) -> None: ...


class Execution:
    """The live state of one job on a node.

    The runner reports output through :meth:`write` and hands the engine it runs the
    script on to :meth:`attach`, so that :meth:`cancel` (from an interrupt or the
    supervisor's timeout) can stop the script from another thread.
    """

    def __init__(self, job: Job, node: str, emit: Emit, first_seq: int = 0) -> None:
        self.job = job
        self.first_seq = first_seq
        self.node = node
        self.output: list[str] = []
        self.cancel_reason: str | None = None
        self._emit = emit
        self._engine: Cancellable | None = None
        self._lock = threading.Lock()

    def write(self, stream: str, text: str) -> None:
        """Record one line of output and publish it as an event."""
        with self._lock:
            seq = self.first_seq + len(self.output)
            self.output.append(text if stream == "stdout" else f"[{stream}] {text}")
        event = {
            "type": protocol.OUTPUT,
            "job": self.job.id,
            "flow": self.job.flow,
            "seq": seq,
            "stream": stream,
            "text": text,
        }
        try:
            self._emit(event)
        except Exception:
            # The line is kept in self.output and reaches the coordinator with the outcome.
            logger.exception(
                "could not publish output line %d of job %s", seq, self.job.id
            )

    def attach(self, engine: Cancellable) -> None:
        """Register the engine that runs the script; cancel it at once if asked already."""
        with self._lock:
            self._engine = engine
            reason = self.cancel_reason
        if reason is not None:
            engine.cancel(reason)

    def detach(self) -> None:
        """Forget the engine once the script ended.

        The engine's print callback refers to this execution, so keeping the engine
        here would make a reference cycle that only the garbage collector frees.
        """
        with self._lock:
            self._engine = None

    def cancel(self, reason: str) -> None:
        """Stop the job's script; the first reason given is the one reported."""
        with self._lock:
            if self.cancel_reason is None:
                self.cancel_reason = reason
            engine = self._engine
        logger.info("cancelling job %s on node %s: %s", self.job.id, self.node, reason)
        if engine is not None:
            engine.cancel(reason)
