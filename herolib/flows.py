"""Flows: DAGs of jobs, their definition and the checks made before anything runs.

A :class:`Flow` is a set of named :class:`FlowJob` steps, each naming the steps it
depends on. Building one checks it: a duplicate name, a dependency on a step that does
not exist and a cycle are rejected with an :class:`InvalidFlowError` that names them.
Whether some node serves each runner is checked by the coordinator, because only it
has a view of the cluster.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import re
from collections.abc import Iterable
from typing import Any

from herolib.errors import InvalidJobError
from herolib.models import RUNNER_TYPES, Job, check_limits

#: Step names: a letter or digit, then letters, digits, ``_``, ``-`` and ``.``.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def flow_job_id(flow_id: str, name: str) -> str:
    """Return the id of the job that runs step ``name`` of flow ``flow_id``.

    Job names contain no ``:``, so the id splits back at its last ``:``.
    """
    return f"{flow_id}:{name}"


class InvalidFlowError(InvalidJobError):
    """A flow definition is malformed; the message names the step and what is wrong."""


@dataclasses.dataclass(frozen=True)
class FlowJob:
    """One step of a flow: a script and the steps whose results it needs.

    Attributes
    ----------
    name
        Name of the step, unique in its flow. Dependents see its result under this name.
    script
        Source text of the script.
    runner
        Script type: ``osis`` for Rhai, ``python`` for HeroScript.
    depends
        Names of the steps that must finish before this one starts.
    timeout
        Seconds one try may run; ``None`` takes the node's default.
    retries
        How many more times to run the step after an error or a timeout.
    node
        Name of the node the step must run on; ``None`` lets the coordinator choose.
    """

    name: str
    script: str
    runner: str = "osis"
    depends: tuple[str, ...] = ()
    timeout: float | None = None
    retries: int = 0
    node: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME_PATTERN.fullmatch(self.name):
            raise InvalidFlowError(
                f"invalid job name {self.name!r}; use letters, digits, '_', '-' and '.', "
                "starting with a letter or digit"
            )
        if not isinstance(self.script, str):
            raise InvalidFlowError(
                f"job {self.name}: script must be a string, "
                f"got {type(self.script).__name__}"
            )
        if self.runner not in RUNNER_TYPES:
            raise InvalidFlowError(
                f"job {self.name}: unknown runner {self.runner!r}; "
                f"expected one of {', '.join(RUNNER_TYPES)}"
            )
        depends = self.depends
        if isinstance(depends, str):
            depends = tuple(part.strip() for part in depends.split(",") if part.strip())
        object.__setattr__(self, "depends", tuple(depends))
        for name in self.depends:
            if not isinstance(name, str) or not name:
                raise InvalidFlowError(
                    f"job {self.name}: dependency names must be non-empty strings, "
                    f"got {name!r}"
                )
        if self.name in self.depends:
            raise InvalidFlowError(f"job {self.name} depends on itself")
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, (int, float))
            or not 0 < self.timeout < math.inf
        ):
            raise InvalidFlowError(
                f"job {self.name}: timeout must be a positive number of seconds, "
                f"got {self.timeout!r}"
            )
        if (
            isinstance(self.retries, bool)
            or not isinstance(self.retries, int)
            or self.retries < 0
        ):
            raise InvalidFlowError(
                f"job {self.name}: retries must be a whole number >= 0, "
                f"got {self.retries!r}"
            )
        if self.node is not None and (not isinstance(self.node, str) or not self.node):
            raise InvalidFlowError(
                f"job {self.name}: node must be a node name or null, got {self.node!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["depends"] = list(self.depends)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> FlowJob:
        if not isinstance(data, dict):
            raise InvalidFlowError(
                f"a flow job must be a JSON object, got {type(data).__name__}"
            )
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidFlowError(
                f"job {data.get('name')!r}: unknown field(s) "
                f"{', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}"
            )
        for field in ("name", "script"):
            if field not in data:
                raise InvalidFlowError(
                    f"job {data.get('name')!r}: missing field {field!r}"
                )
        fields = dict(data)
        fields["depends"] = tuple(fields.get("depends") or ())
        return cls(**fields)


@dataclasses.dataclass(frozen=True)
class Flow:
    """A named DAG of jobs that runs in one context.

    Attributes
    ----------
    id
        Unique flow id; it is the topic of the flow's events.
    name
        Human-readable name.
    context
        The notebook session the flow belongs to (its HeroDB database and the Rhai
        session its jobs start from).
    jobs
        The steps, in the order they were defined.
    modules
        Rhai module sources by name, available to every job through ``import``.
    limits
        Engine limits by name (see :data:`herolib.models.LIMIT_NAMES`) for every
        job, over the runner's defaults; ``%limits`` in a notebook sets them.
    """

    id: str
    name: str
    context: str
    jobs: tuple[FlowJob, ...]
    modules: dict[str, str] | None = None
    limits: dict[str, int] | None = None
    _steps: dict[str, FlowJob] = dataclasses.field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        for field in ("id", "name", "context"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value:
                raise InvalidFlowError(
                    f"flow field {field!r} must be a non-empty string, got {value!r}"
                )
        object.__setattr__(self, "jobs", tuple(self.jobs))
        if not self.jobs:
            raise InvalidFlowError(
                f"flow {self.name} has no jobs; define at least one job"
            )
        if self.limits is not None:
            try:
                check_limits(self.limits, f"flow {self.name}")
            except InvalidJobError as exc:
                raise InvalidFlowError(str(exc)) from None
        check_graph(self.jobs)
        object.__setattr__(self, "_steps", {job.name: job for job in self.jobs})

    def __len__(self) -> int:
        return len(self.jobs)

    def step(self, name: str) -> FlowJob:
        try:
            return self._steps[name]
        except KeyError:
            raise KeyError(f"flow {self.name} has no job named {name!r}") from None

    def job_id(self, name: str) -> str:
        """Return the id of the job that runs step ``name``."""
        return flow_job_id(self.id, name)

    def job(self, name: str) -> Job:
        """Return the :class:`Job` that runs step ``name`` in this flow's context."""
        step = self.step(name)
        return Job(
            id=self.job_id(name),
            flow=self.id,
            context=self.context,
            script=step.script,
            runner=step.runner,
            timeout=step.timeout,
            name=name,
            modules=self.modules,
            limits=self.limits,
        )

    def order(self) -> list[FlowJob]:
        """Return the steps so that each comes after its dependencies.

        Among steps that are ready at the same time, definition order is kept.
        """
        return topological_order(self.jobs)

    def runners(self) -> set[str]:
        return {job.runner for job in self.jobs}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "context": self.context,
            "jobs": [job.to_dict() for job in self.jobs],
            "modules": self.modules,
            "limits": self.limits,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Flow:
        if not isinstance(data, dict):
            raise InvalidFlowError(
                f"a flow must be a JSON object, got {type(data).__name__}"
            )
        missing = sorted({"id", "name", "context", "jobs"} - set(data))
        if missing:
            raise InvalidFlowError(
                f"missing flow field(s) {', '.join(map(repr, missing))}"
            )
        jobs = data["jobs"]
        if not isinstance(jobs, list):
            raise InvalidFlowError(
                f"flow field 'jobs' must be a list, got {type(jobs).__name__}"
            )
        return cls(
            id=data["id"],
            name=data["name"],
            context=data["context"],
            jobs=tuple(FlowJob.from_dict(job) for job in jobs),
            modules=data.get("modules"),
            limits=data.get("limits"),
        )


def check_graph(jobs: Iterable[FlowJob]) -> None:
    """Raise :class:`InvalidFlowError` for duplicate names, unknown dependencies or a cycle."""
    jobs = list(jobs)
    names: set[str] = set()
    for job in jobs:
        if job.name in names:
            raise InvalidFlowError(
                f"duplicate job name {job.name!r}; give each job of a flow its own name"
            )
        names.add(job.name)
    for job in jobs:
        unknown = [name for name in job.depends if name not in names]
        if unknown:
            raise InvalidFlowError(
                f"job {job.name} depends on unknown job(s) {', '.join(unknown)}; "
                f"defined jobs: {', '.join(sorted(names))}"
            )
    cycle = find_cycle(jobs)
    if cycle:
        raise InvalidFlowError(
            f"the dependencies form a cycle: {' -> '.join(cycle)} (each job waits for "
            "the one before it); remove one of these dependencies"
        )


def find_cycle(jobs: Iterable[FlowJob]) -> list[str]:
    """Return one cycle as a closed path of names (``a, b, a``), or an empty list."""
    depends = {job.name: job.depends for job in jobs}
    done: set[str] = set()
    for start in depends:
        if start in done:
            continue
        # Depth-first search with an explicit stack, because a chain of 10,000 jobs
        # would exceed Python's recursion limit.
        path: list[str] = [start]
        on_path = {start}
        iterators = [iter(depends[start])]
        while iterators:
            following = next(iterators[-1], None)
            if following is None:
                iterators.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if following in on_path:
                return [*path[path.index(following) :], following][::-1]
            if following in done or following not in depends:
                continue
            path.append(following)
            on_path.add(following)
            iterators.append(iter(depends[following]))
    return []


def topological_order(jobs: Iterable[FlowJob]) -> list[FlowJob]:
    """Return ``jobs`` with every job after its dependencies, keeping definition order."""
    jobs = list(jobs)
    waiting = {job.name: len(set(job.depends)) for job in jobs}
    dependents: dict[str, list[FlowJob]] = {job.name: [] for job in jobs}
    for job in jobs:
        for name in set(job.depends):
            dependents[name].append(job)
    position = {job.name: index for index, job in enumerate(jobs)}
    ready = [position[job.name] for job in jobs if waiting[job.name] == 0]
    heapq.heapify(ready)
    ordered: list[FlowJob] = []
    while ready:
        job = jobs[heapq.heappop(ready)]
        ordered.append(job)
        for dependent in dependents[job.name]:
            waiting[dependent.name] -= 1
            if waiting[dependent.name] == 0:
                heapq.heappush(ready, position[dependent.name])
    if len(ordered) != len(jobs):
        raise InvalidFlowError("the jobs form a cycle; check the flow with find_cycle")
    return ordered
