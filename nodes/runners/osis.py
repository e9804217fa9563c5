"""The ``osis`` runner: Rhai scripts with the context's HeroDB functions."""

from __future__ import annotations

import dataclasses
import logging
import threading

from herolib.models import Job, JobOutcome, ScriptError, now
from herolib.protocol import to_json_safe
from herolib.states import JobState
from nodes.execution import Execution
from nodes.herodb import HeroDB
from nodes.rhai import Engine, RhaiError, Session
from nodes.runners.herodb_functions import register_herodb

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EngineLimits:
    """Limits of the Rhai engine per job; 0 or None keeps Rhai's own default.

    The sizes keep one script from taking all of a node's memory; a long computation is
    bounded by the job's timeout rather than by ``max_operations``.
    """

    max_operations: int = 0
    max_call_levels: int | None = None
    max_expr_depth: int | None = None
    max_string_size: int = 64 * 1024 * 1024
    max_array_size: int = 10_000_000
    max_map_size: int = 1_000_000


class OsisRunner:
    """Runs Rhai jobs; keeps one Rhai session (scope and functions) per context.

    NOTE: sessions live in this process only, so a context's variables are there for
    the next job only when it runs on the same node, and are lost when the node stops.
    """

    script_type = "osis"

    def __init__(
        self, node: str, herodb: HeroDB, limits: EngineLimits | None = None
    ) -> None:
        self.node = node
        self.herodb = herodb
        self.limits = limits or EngineLimits()
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def session(self, context: str) -> Session:
        with self._lock:
            session = self._sessions.get(context)
            if session is None:
                session = self._sessions[context] = Session()
            return session

    def run(self, job: Job, execution: Execution) -> JobOutcome:
        engine = Engine(**dataclasses.asdict(self.limits))
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
            evaluation = engine.evaluate(job.script, self.session(job.context))
        except RhaiError as exc:
            error = ScriptError(exc.kind, exc.message, exc.line, exc.column)
            return JobOutcome(
                job=job.id,
                state=JobState.ERROR,
                error=error,
                output=execution.output,
                node=self.node,
                started=started,
                finished=now(),
            )
        return JobOutcome(
            job=job.id,
            state=JobState.FINISHED,
            value=to_json_safe(evaluation.value),
            text=evaluation.text,
            type_name=evaluation.type_name,
            output=execution.output,
            node=self.node,
            started=started,
            finished=now(),
        )

    def close(self) -> None:
        with self._lock:
            self._sessions.clear()


def _debug_line(text: str, line: int | None, column: int | None) -> str:
    return f"{text} (line {line}, column {column})" if line is not None else text
