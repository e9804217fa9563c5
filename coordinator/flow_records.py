"""Flow records in the coordinator's HeroDB, kept across coordinator restarts.

A flow is a Redis hash ``hero:flow:ID`` with its ``definition`` (JSON), state, run number
and times (``created``, ``started``, ``finished``, in Unix seconds). ``hero:flows``
is a sorted set of flow ids by creation time. Each job of a flow has the ordinary job
record ``hero:job:FLOW:NAME`` (see :mod:`coordinator.store`) without the ``job``
definition, which the flow's contains, and with the fields ``flow``, ``name`` and
``tries`` added.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from herolib.flows import Flow, flow_job_id
from herolib.states import FlowState, JobState

logger = logging.getLogger(__name__)

FLOW_KEY = "hero:flow:{}"
FLOWS_INDEX = "hero:flows"
#: Job records are read and written in batches of this many commands.
BATCH = 2000

_TIMES = ("created", "started", "finished", "submitted", "received")


class FlowRecords:
    """Read and write flow records through the store's Redis client ``redis``.

    ``flush`` writes the store's buffered job updates; every method calls it first,
    so that those updates land before this one's reads and writes.
    """

    def __init__(self, redis: Any, job_key: str, flush: Callable[[], None]) -> None:
        self._redis = redis
        self._job_key = job_key
        self._flush = flush

    def created(self, flow: Flow, time: float) -> None:
        """Record a new flow and a pending record for each of its jobs."""
        self._flush()
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(
                FLOW_KEY.format(flow.id),
                mapping={
                    "definition": json.dumps(flow.to_dict()),
                    "state": FlowState.CREATED.value,
                    "run": 1,
                    "created": time,
                },
            )
            pipe.zadd(FLOWS_INDEX, {flow.id: time})
            for count, step in enumerate(flow.jobs, 1):
                # The job's definition is in the flow's, so its record has none.
                pipe.hset(
                    self._job_key.format(flow.job_id(step.name)),
                    mapping={
                        "flow": flow.id,
                        "name": step.name,
                        "state": JobState.PENDING.value,
                        "tries": 0,
                        "submitted": time,
                    },
                )
                if count % BATCH == 0:
                    pipe.execute()
            pipe.execute()

    def restarted(self, flow: Flow, names: list[str], run: int, time: float) -> None:
        """Reset the records of the jobs ``names`` for run number ``run``."""
        self._flush()
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(
                FLOW_KEY.format(flow.id),
                mapping={"state": FlowState.CREATED.value, "run": run},
            )
            pipe.hdel(FLOW_KEY.format(flow.id), "finished")
            for name in names:
                key = self._job_key.format(flow.job_id(name))
                pipe.hdel(key, "outcome", "started", "finished", "received", "node")
                pipe.hset(
                    key, mapping={"state": JobState.PENDING.value, "submitted": time}
                )
            pipe.execute()

    def state(self, flow_id: str, state: FlowState, time: float) -> None:
        self._flush()
        fields: dict[str, Any] = {"state": state.value}
        if state is FlowState.RUNNING:
            fields["started"] = time
        elif state.is_final:
            fields["finished"] = time
        self._redis.hset(FLOW_KEY.format(flow_id), mapping=fields)

    def exists(self, flow_id: str) -> bool:
        self._flush()
        return bool(self._redis.exists(FLOW_KEY.format(flow_id)))

    def get(
        self,
        flow_id: str,
        *,
        jobs: bool = True,
        counts: dict[str, int] | None = None,
    ) -> dict[str, Any] | None:
        """Return the record of ``flow_id`` with its job records by name, or None.

        With ``jobs=False`` only the counts of jobs per state are read, or taken from
        ``counts`` when the caller knows them.
        """
        self._flush()
        raw = self._redis.hgetall(FLOW_KEY.format(flow_id))
        if not raw:
            return None
        record = decoded(raw)
        names = [job["name"] for job in record["definition"]["jobs"]]
        if jobs:
            records = self._job_records(flow_id, names)
            record["jobs"] = records
            record["counts"] = dict(Counter(job["state"] for job in records.values()))
        elif counts is not None:
            record["counts"] = {
                state: count for state, count in counts.items() if count
            }
        else:
            record["counts"] = dict(Counter(self._job_states(flow_id, names)))
        return record

    def job_definition(self, flow_id: str, name: str) -> dict[str, Any] | None:
        """Return the definition of job ``name`` in flow ``flow_id``, or None."""
        text = self._redis.hget(FLOW_KEY.format(flow_id), "definition")
        if text is None:
            return None
        for job in json.loads(text)["jobs"]:
            if job["name"] == name:
                return dict(job)
        return None

    def list(self, limit: int = 50) -> list[dict[str, Any]]:
        """Return summaries of the newest ``limit`` flows, newest first."""
        self._flush()
        ids = self._redis.zrevrange(FLOWS_INDEX, 0, max(limit, 1) - 1)
        summaries = []
        for flow_id in ids:
            record = self.get(flow_id, jobs=False)
            if record is None:
                logger.warning("flow %s is in the index but has no record", flow_id)
                continue
            definition = record.pop("definition")
            record["id"] = definition["id"]
            record["name"] = definition["name"]
            record["context"] = definition["context"]
            record["jobs"] = len(definition["jobs"])
            summaries.append(record)
        return summaries

    def unfinished(self) -> list[str]:
        """Return the ids of flows still recorded as created or running."""
        self._flush()
        ids = self._redis.zrange(FLOWS_INDEX, 0, -1)
        with self._redis.pipeline(transaction=False) as pipe:
            for flow_id in ids:
                pipe.hget(FLOW_KEY.format(flow_id), "state")
            states = pipe.execute()
        return [
            flow_id
            for flow_id, state in zip(ids, states, strict=True)
            if state in (FlowState.CREATED.value, FlowState.RUNNING.value)
        ]

    def _job_records(self, flow_id: str, names: list[str]) -> dict[str, dict[str, Any]]:
        records: dict[str, dict[str, Any]] = {}
        for start in range(0, len(names), BATCH):
            chunk = names[start : start + BATCH]
            with self._redis.pipeline(transaction=False) as pipe:
                for name in chunk:
                    pipe.hgetall(self._job_key.format(flow_job_id(flow_id, name)))
                found = pipe.execute()
            for name, raw in zip(chunk, found, strict=True):
                records[name] = decoded(raw) if raw else {"state": "unknown"}
        return records

    def _job_states(self, flow_id: str, names: list[str]) -> list[str]:
        states: list[str] = []
        for start in range(0, len(names), BATCH):
            with self._redis.pipeline(transaction=False) as pipe:
                for name in names[start : start + BATCH]:
                    pipe.hget(self._job_key.format(flow_job_id(flow_id, name)), "state")
                states.extend(state or "unknown" for state in pipe.execute())
        return states


def decoded(raw: dict[str, str]) -> dict[str, Any]:
    """Decode the JSON and number fields of a flow or job record."""
    record: dict[str, Any] = dict(raw)
    for field in ("definition", "job", "outcome"):
        if field in record:
            record[field] = json.loads(record[field])
    for field in _TIMES:
        if field in record:
            record[field] = float(record[field])
    for field in ("run", "tries"):
        if field in record:
            record[field] = int(record[field])
    return record
