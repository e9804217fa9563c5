"""Jobs and their outcomes, as they travel between kernel, coordinator and node.

Both are plain dataclasses that turn into JSON-safe dicts, because they cross ZeroMQ as
JSON and Dask as pickles.
"""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from typing import Any

from herolib.errors import InvalidJobError
from herolib.states import JobState

#: Script types a node can serve, after Hero Code's runners.
RUNNER_TYPES = ("osis", "system", "python", "v")
#: Engine limits a job may set. 0 keeps the engine's default: unlimited operations and
#: sizes, and Rhai's own call-level and expression-depth limits.
LIMIT_NAMES = (
    "max_operations",
    "max_call_levels",
    "max_expr_depth",
    "max_function_expr_depth",
    "max_string_size",
    "max_array_size",
    "max_map_size",
)


def new_id(prefix: str = "") -> str:
    """Return a fresh id: ``prefix`` followed by 16 hex digits of a random UUID."""
    return f"{prefix}{uuid.uuid4().hex[:16]}"


@dataclasses.dataclass(frozen=True)
class Job:
    """One script to run on a node.

    Attributes
    ----------
    id
        Unique job id; it is also the Dask key of the job's task.
    flow
        Id of the flow the job belongs to. Events about the job are published with
        this id as their ZeroMQ topic.
    context
        The notebook session that sent the job. A node maps it to one HeroDB database
        and keeps one Rhai session per context.
    runner
        Script type, which picks the runner on the node (``osis`` runs Rhai).
    script
        Source text of the script.
    timeout
        Seconds the script may run before the node stops it; ``None`` takes the
        node's default.
    name
        Human-readable job name within its flow.
    limits
        Engine limits for this job by name (see :data:`LIMIT_NAMES`), over the
        runner's defaults.
    session
        Snapshot of the context's session to restore on the node; the coordinator
        fills it in from its store.
    modules
        Rhai module sources by name, which ``import "NAME"`` in the script resolves to.
    input
        Results of the jobs this one depends on, by step name, for a job of a flow;
        ``None`` for a cell's job. A flow job runs in a copy of its context's session
        and leaves the session unchanged, because jobs of a flow run in parallel.
    """

    id: str
    flow: str
    context: str
    script: str
    runner: str = "osis"
    timeout: float | None = None
    name: str = ""
    limits: dict[str, int] | None = None
    session: dict[str, Any] | None = None
    modules: dict[str, str] | None = None
    input: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        for field in ("id", "flow", "context"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value:
                raise InvalidJobError(
                    f"job field {field!r} must be a non-empty string, got {value!r}"
                )
        if not isinstance(self.script, str):
            raise InvalidJobError(
                f"job field 'script' must be a string, got {type(self.script).__name__}"
            )
        if self.runner not in RUNNER_TYPES:
            raise InvalidJobError(
                f"job {self.id}: unknown runner {self.runner!r}; "
                f"expected one of {', '.join(RUNNER_TYPES)}"
            )
        if self.timeout is not None:
            if (
                isinstance(self.timeout, bool)
                or not isinstance(self.timeout, (int, float))
                or not 0 < self.timeout < math.inf
            ):
                raise InvalidJobError(
                    f"job {self.id}: timeout must be a positive number of seconds "
                    f"or null, got {self.timeout!r}"
                )

        if self.limits is not None:
            check_limits(self.limits, f"job {self.id}")
        if self.modules is not None and not all(
            isinstance(name, str) and name and isinstance(source, str)
            for name, source in self.modules.items()
        ):
            raise InvalidJobError(
                f"job {self.id}: modules must map names to source strings"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict that shares the field values."""
        return {field.name: getattr(self, field.name) for field in _JOB_FIELDS}

    @classmethod
    def from_dict(cls, data: Any) -> Job:
        """Build a job from its dict form, rejecting unknown or missing fields."""
        if not isinstance(data, dict):
            raise InvalidJobError(
                f"a job must be a JSON object, got {type(data).__name__}"
            )
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidJobError(
                f"unknown job field(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(known))}"
            )
        missing = sorted(
            name for name in ("id", "flow", "context", "script") if name not in data
        )
        if missing:
            raise InvalidJobError(
                f"missing job field(s) {', '.join(map(repr, missing))}"
            )
        return cls(**data)


def check_limits(limits: Any, owner: str) -> None:
    """Raise :class:`InvalidJobError` unless ``limits`` maps known names to counts."""
    if not isinstance(limits, dict):
        raise InvalidJobError(f"{owner}: limits must be an object, got {limits!r}")
    for name, value in limits.items():
        if name not in LIMIT_NAMES:
            raise InvalidJobError(
                f"{owner}: unknown limit {name!r}; expected one of {', '.join(LIMIT_NAMES)}"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidJobError(
                f"{owner}: limit {name} must be a whole number >= 0 (0 keeps the default), "
                f"got {value!r}"
            )


@dataclasses.dataclass(frozen=True)
class ScriptError:
    """A failure of the script itself, with the position the engine reported."""

    kind: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.kind}: {self.message}"
        if self.column is None:
            return f"{self.kind}: {self.message} (line {self.line})"
        return f"{self.kind}: {self.message} (line {self.line}, column {self.column})"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptError:
        return cls(**data)


@dataclasses.dataclass
class JobOutcome:
    """The report of a node on a job that reached a final state.

    ``value`` is the script's result converted to JSON-safe Python, ``text`` how the
    engine displays it and ``type_name`` its engine type. ``session`` is the snapshot
    of the context's session after the job, which the coordinator keeps, and
    ``namespace`` a summary of it (variable names and types, functions) for the kernel.
    ``output`` contains every ``print`` line in order, so a listener that missed an
    output event can fill the gap. ``tries`` counts the runs of a flow job, retries
    included. Times are Unix seconds.
    """

    job: str
    state: JobState
    value: Any = None
    text: str = ""
    type_name: str = ""
    error: ScriptError | None = None
    output: list[str] = dataclasses.field(default_factory=list)
    node: str = ""
    started: float | None = None
    finished: float | None = None
    session: dict[str, Any] | None = None
    namespace: dict[str, Any] | None = None
    tries: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict that shares the field values.

        A shallow copy, because ``dataclasses.asdict`` deep-copies the output and
        the value, and outcomes are converted several times per job.
        """
        data = {field.name: getattr(self, field.name) for field in _OUTCOME_FIELDS}
        data["state"] = self.state.value
        if self.error is not None:
            data["error"] = dataclasses.asdict(self.error)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobOutcome:
        fields = dict(data)
        fields["state"] = JobState(fields["state"])
        if fields.get("error") is not None:
            fields["error"] = ScriptError.from_dict(fields["error"])
        return cls(**fields)


_JOB_FIELDS = dataclasses.fields(Job)
_OUTCOME_FIELDS = dataclasses.fields(JobOutcome)


def now() -> float:
    """Return the current Unix time in seconds."""
    return time.time()
