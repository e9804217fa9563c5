"""The ``python`` runner: HeroScript playbooks, carried out by actors on the node."""

from __future__ import annotations

import logging
from typing import Any

from herolib.actors import (
    ActionResult,
    ActorContext,
    ActorError,
    installed_actors,
    run_playbook,
)
from herolib.heroscript import Action, HeroScriptError, Playbook, UnhandledActionsError
from herolib.models import Job, JobOutcome, ScriptError, new_id, now
from herolib.protocol import to_json_safe
from herolib.states import JobState
from nodes.execution import Execution
from nodes.herodb import HeroDB
from nodes.runners.osis import OsisRunner

logger = logging.getLogger(__name__)


class PythonRunner:
    """Runs HeroScript jobs: parses the playbook and dispatches its actions to actors.

    ``!!job.run`` actions evaluate Rhai through ``osis`` in the same context, so they
    share the notebook's Rhai session with Rhai cells.
    """

    script_type = "python"

    def __init__(self, node: str, herodb: HeroDB, osis: OsisRunner) -> None:
        self.node = node
        self.herodb = herodb
        self.osis = osis
        self.actors = installed_actors()

    def run(self, job: Job, execution: Execution) -> JobOutcome:
        started = now()
        rhai = _RhaiService(self.osis, job, execution)
        context = ActorContext(
            context=job.context,
            write=lambda text: execution.write("stdout", text),
            services={
                "herodb": self.herodb.client(job.context),
                "rhai": rhai,
                "input": dict(job.input or {}),
            },
        )
        outcome = JobOutcome(
            job=job.id, state=JobState.FINISHED, node=self.node, started=started
        )
        try:
            results = run_playbook(Playbook(job.script), self.actors, context)
        except UnhandledActionsError as exc:
            outcome.state = JobState.ERROR
            outcome.error = ScriptError("UnhandledActions", str(exc), exc.line)
        except HeroScriptError as exc:
            outcome.state = JobState.ERROR
            outcome.error = ScriptError("HeroScriptError", exc.message, exc.line)
        except ActorError as exc:
            outcome.state = JobState.ERROR
            outcome.error = rhai.error_for(exc) or ScriptError(
                "ActorError", str(exc), exc.line
            )
        else:
            outcome.value = [to_json_safe(result.to_dict()) for result in results]
            outcome.text = format_results(results)
            outcome.type_name = "playbook"
        outcome.output = execution.output
        outcome.finished = now()
        outcome.session, outcome.namespace = rhai.session, rhai.namespace
        return outcome

    def close(self) -> None:
        self.actors = {}


class _RhaiService:
    """Runs ``!!job.run`` scripts on the osis runner, in the job's own context."""

    def __init__(self, osis: OsisRunner, job: Job, execution: Execution) -> None:
        self.osis = osis
        self.job = job
        self.execution = execution
        self.session: dict[str, Any] | None = job.session
        self.namespace: dict[str, Any] | None = None
        self._errors: dict[int, ScriptError] = {}

    def __call__(self, script: str, action: Action) -> Any:
        step = Job(
            id=new_id(f"{self.job.id}."),
            flow=self.job.flow,
            context=self.job.context,
            script=script,
            limits=self.job.limits,
            session=self.session,
            input=self.job.input,
        )
        outcome = self.osis.run(step, self.execution)
        self.session, self.namespace = outcome.session, outcome.namespace
        if outcome.error is not None:
            failure = ActorError(action, str(outcome.error))
            # The script's own position goes into the message; the error's line is the
            # action's, so it points into the playbook like every other playbook error.
            error = outcome.error
            where = (
                f" at script line {error.line}, column {error.column}"
                if error.line
                else ""
            )
            self._errors[id(failure)] = ScriptError(
                error.kind,
                f"{error.message}{where}, in !!{action.key} (line {action.line})",
                action.line,
            )
            raise failure
        return outcome.value

    def error_for(self, failure: ActorError) -> ScriptError | None:
        """Return the Rhai error behind ``failure``, if a script raised it."""
        return self._errors.get(id(failure))


def format_results(results: list[ActionResult]) -> str:
    """Return one line per action: its name, line and result."""
    if not results:
        return "no action ran"
    return "\n".join(
        f"!!{item.action} (line {item.line}): {item.result!r}" for item in results
    )
