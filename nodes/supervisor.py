"""The supervisor of a node: hands each job to the runner for its script type.

It also enforces the job's timeout and stops jobs on request, both through the
runner's engine, so a script is stopped in the middle of a loop rather than abandoned.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Protocol

from herolib.models import Job, JobOutcome, ScriptError, now
from herolib.states import JobState
from nodes.deadlines import Deadlines
from nodes.execution import Emit, Execution

logger = logging.getLogger(__name__)

TIMEOUT_REASON = "timeout"
DEFAULT_TIMEOUT = 3600.0
#: Seconds to which job deadlines are rounded up, so that short jobs started in the
#: same 50 ms wake the deadline thread once. A timeout may fire this much late.
DEADLINE_RESOLUTION = 0.05


class Runner(Protocol):
    """A runner executes one script type; it must honour ``execution.cancel``."""

    script_type: str

    def run(self, job: Job, execution: Execution) -> JobOutcome: ...

    def close(self) -> None: ...


class Supervisor:
    """Routes jobs to runners, enforces timeouts and cancels running jobs.

    Parameters
    ----------
    node
        Name of the node, reported in every outcome.
    runners
        The runners of this node, by script type.
    default_timeout
        Seconds a job may run when it sets no timeout itself.
    """

    def __init__(
        self,
        node: str,
        runners: dict[str, Runner],
        default_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.node = node
        self.runners = runners
        self.default_timeout = default_timeout
        self._running: dict[str, Execution] = {}
        self._waiting: dict[str, threading.Event] = {}
        self.deadlines = Deadlines(
            f"hero-timeouts-{node}", resolution=DEADLINE_RESOLUTION
        )
        self._lock = threading.Lock()
        self.jobs_done = 0

    def running_jobs(self) -> list[str]:
        with self._lock:
            return list(self._running)

    def run(self, job: Job, emit: Emit, first_seq: int = 0) -> JobOutcome:
        """Run ``job`` to a final state and return its outcome.

        Script and runner failures become an outcome in state ``error``; nothing is raised.
        Output events are numbered from ``first_seq``, so that the tries of a flow job
        number their lines as one sequence.
        """
        runner = self.runners.get(job.runner)
        if runner is None:
            served = ", ".join(sorted(self.runners)) or "none"
            return self._failed(
                job,
                "ErrorNoRunner",
                f"node {self.node} has no {job.runner!r} runner; it serves: {served}",
            )

        execution = Execution(job, self.node, emit, first_seq)
        timeout = job.timeout or self.default_timeout
        with self._lock:
            self._running[job.id] = execution
        logger.debug(
            "job %s starts on %s runner of node %s", job.id, job.runner, self.node
        )
        deadline = self.deadlines.add(
            timeout, functools.partial(execution.cancel, TIMEOUT_REASON)
        )
        try:
            outcome = runner.run(job, execution)
        except Exception as exc:
            logger.exception("runner %s failed on job %s", job.runner, job.id)
            outcome = self._failed(
                job, "ErrorRunner", f"runner {job.runner!r} failed: {exc!r}"
            )
            outcome.output = execution.output
        finally:
            self.deadlines.discard(deadline)
            execution.detach()
            with self._lock:
                self._running.pop(job.id, None)
                self.jobs_done += 1

        return self._apply_cancel_reason(outcome, execution, timeout)

    def wait_to_retry(self, job_id: str, seconds: float) -> bool:
        """Wait ``seconds`` before the next try of ``job_id``; False if it was cancelled."""
        stop = threading.Event()
        with self._lock:
            self._waiting[job_id] = stop
        try:
            return not stop.wait(seconds)
        finally:
            with self._lock:
                self._waiting.pop(job_id, None)

    def cancel(self, job_id: str, reason: str = "cancelled") -> bool:
        """Stop a running job; return False when it is not running on this node."""
        with self._lock:
            execution = self._running.get(job_id)
            waiting = self._waiting.get(job_id)
        if waiting is not None:
            waiting.set()
            return True
        if execution is None:
            return False
        execution.cancel(reason)
        return True

    def close(self) -> None:
        """Cancel every running job and close the runners."""
        for job_id in self.running_jobs():
            self.cancel(job_id, "node is shutting down")
        for runner in self.runners.values():
            runner.close()
        self.deadlines.close()

    def _apply_cancel_reason(
        self, outcome: JobOutcome, execution: Execution, timeout: float
    ) -> JobOutcome:
        reason = execution.cancel_reason
        if reason is None or outcome.state is not JobState.ERROR:
            return outcome
        if reason == TIMEOUT_REASON:
            outcome.state = JobState.TIMEOUT
            outcome.error = ScriptError(
                "ErrorTimeout",
                f"job timed out after {timeout:g} s and was stopped; "
                "give it a longer timeout if it needs one",
                outcome.error.line if outcome.error else None,
                outcome.error.column if outcome.error else None,
            )
        else:
            outcome.state = JobState.CANCELLED
            outcome.error = ScriptError(
                "ErrorCancelled",
                f"job was stopped: {reason}",
                outcome.error.line if outcome.error else None,
                outcome.error.column if outcome.error else None,
            )
        return outcome

    def _failed(self, job: Job, kind: str, message: str) -> JobOutcome:
        moment = now()
        return JobOutcome(
            job=job.id,
            state=JobState.ERROR,
            error=ScriptError(kind, message),
            node=self.node,
            started=moment,
            finished=moment,
        )
