"""The ``osis`` runner: Rhai scripts with the context's HeroDB functions."""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from herolib.models import LIMIT_NAMES, Job, JobOutcome, ScriptError, check_limits, now
from herolib.protocol import to_json_safe
from herolib.states import JobState
from nodes.execution import Execution
from nodes.herodb import HeroDB
from nodes.rhai import Engine, Evaluation, RhaiError, Session
from nodes.runners.herodb_functions import register_herodb
from nodes.sessions import SessionSnapshot, restore, take_snapshot

logger = logging.getLogger(__name__)

#: Limits whose 0 must reach the engine as "use Rhai's default" rather than as zero.
DEPTH_LIMITS = ("max_call_levels", "max_expr_depth", "max_function_expr_depth")

#: Defaults of the runner. The sizes keep one script from taking all of a node's
#: memory; a long computation is bounded by the job's timeout, not by operations.
DEFAULT_LIMITS: dict[str, int] = {
    "max_operations": 0,
    "max_call_levels": 0,
    "max_expr_depth": 0,
    "max_function_expr_depth": 0,
    "max_string_size": 64 * 1024 * 1024,
    "max_array_size": 10_000_000,
    "max_map_size": 1_000_000,
}


def engine_options(limits: dict[str, int]) -> dict[str, Any]:
    """Return the Engine keyword arguments for ``limits``."""
    options: dict[str, Any] = dict(limits)
    for name in DEPTH_LIMITS:
        if not options.get(name):
            options[name] = None
    return options


@dataclasses.dataclass
class _CachedSession:
    session: Session
    version: int
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


class OsisRunner:
    """Runs Rhai jobs, with one Rhai session (scope and functions) per context.

    The session of a context is cached in memory. When a job arrives with a snapshot
    of a newer version than the cached one (because the context's last job ran on
    another node, or this node restarted), the session is rebuilt from it.

    Parameters
    ----------
    limits
        Engine limits of this runner by name, over :data:`DEFAULT_LIMITS`; a job's
        own limits override these.
    """

    script_type = "osis"

    def __init__(
        self, node: str, herodb: HeroDB, limits: dict[str, int] | None = None
    ) -> None:
        if limits is not None:
            check_limits(limits, f"osis runner of node {node}")
        self.node = node
        self.herodb = herodb
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._sessions: dict[str, _CachedSession] = {}
        self._lock = threading.Lock()

    def run(self, job: Job, execution: Execution) -> JobOutcome:
        engine = Engine(**engine_options({**self.limits, **(job.limits or {})}))
        engine.set_print(lambda text: execution.write("stdout", text))
        engine.set_debug(
            lambda text, line, column: execution.write(
                "debug", _debug_line(text, line, column)
            )
        )
        register_herodb(engine, self.herodb.client(job.context))
        execution.attach(engine)

        started = now()
        try:
            for name, source in (job.modules or {}).items():
                engine.register_module(name, source)
        except RhaiError as exc:
            error = ScriptError(
                exc.kind, f"in module {name!r}: {exc.message}", exc.line, exc.column
            )
            return JobOutcome(job=job.id, state=JobState.ERROR, error=error,
                              output=execution.output, node=self.node, started=started,
                              finished=now())  # fmt: skip
        if job.input is not None:
            return self._run_flow_job(job, engine, execution, started)
        cached = self._session(job, engine, execution)
        with cached.lock:
            evaluation, error = _evaluate(engine, job.script, cached.session)
            cached.version += 1
            snapshot = take_snapshot(cached.session, cached.version)
        if snapshot.dropped:
            logger.info(
                "context %s: variables %s cannot be stored and stay on node %s only",
                job.context,
                ", ".join(snapshot.dropped),
                self.node,
            )

        outcome = self._outcome(job, execution, started, evaluation, error)
        outcome.session = snapshot.to_dict()
        outcome.namespace = snapshot.summary()
        return outcome

    def _run_flow_job(
        self, job: Job, engine: Engine, execution: Execution, started: float
    ) -> JobOutcome:
        """Run a flow job in a copy of its context's session, with ``input`` set.

        Jobs of a flow run in parallel, so none of them writes the session back.
        """
        session = Session()
        if job.session:
            session = self._restore(
                engine, SessionSnapshot.from_dict(job.session), job, execution
            )
        session.set("input", job.input)
        evaluation, error = _evaluate(engine, job.script, session)
        return self._outcome(job, execution, started, evaluation, error)

    def _outcome(
        self,
        job: Job,
        execution: Execution,
        started: float,
        evaluation: Evaluation | None,
        error: ScriptError | None,
    ) -> JobOutcome:
        outcome = JobOutcome(
            job=job.id,
            state=JobState.FINISHED if error is None else JobState.ERROR,
            error=error,
            output=execution.output,
            node=self.node,
            started=started,
            finished=now(),
        )
        if evaluation is not None:
            outcome.value = to_json_safe(evaluation.value)
            outcome.text = evaluation.text
            outcome.type_name = evaluation.type_name
        return outcome

    def _session(
        self, job: Job, engine: Engine, execution: Execution
    ) -> _CachedSession:
        """Return the context's session, rebuilt from the job's snapshot when newer."""
        snapshot = SessionSnapshot.from_dict(job.session) if job.session else None
        with self._lock:
            cached = self._sessions.get(job.context)
            if cached is None or (
                snapshot is not None and snapshot.version != cached.version
            ):
                if snapshot is None:
                    cached = _CachedSession(Session(), 0)
                else:
                    logger.info(
                        "context %s: restoring session version %d on node %s",
                        job.context,
                        snapshot.version,
                        self.node,
                    )
                    cached = _CachedSession(
                        self._restore(engine, snapshot, job, execution),
                        snapshot.version,
                    )
                self._sessions[job.context] = cached
            return cached

    def _restore(
        self, engine: Engine, snapshot: SessionSnapshot, job: Job, execution: Execution
    ) -> Session:
        try:
            return restore(engine, snapshot)
        except (RhaiError, ValueError, TypeError) as exc:
            logger.exception(
                "context %s: session restore failed on node %s", job.context, self.node
            )
            execution.write(
                "debug",
                f"the session could not be restored ({exc}); this job starts from an empty one",
            )
            return Session()

    def close(self) -> None:
        with self._lock:
            self._sessions.clear()


def _evaluate(
    engine: Engine, script: str, session: Session
) -> tuple[Evaluation | None, ScriptError | None]:
    try:
        return engine.evaluate(script, session), None
    except RhaiError as exc:
        return None, ScriptError(exc.kind, exc.message, exc.line, exc.column)


def _debug_line(text: str, line: int | None, column: int | None) -> str:
    return f"{text} (line {line}, column {column})" if line is not None else text


__all__ = ["DEFAULT_LIMITS", "LIMIT_NAMES", "OsisRunner", "engine_options"]
