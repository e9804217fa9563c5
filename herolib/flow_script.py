"""Flows written as HeroScript: read ``!!flow.*`` actions into flows, and write them back.

A playbook defines flows and names the ones to run::

    !!flow.define name:deploy

    !!flow.job name:build
        script:'
            let parts = [1, 2, 3];
            parts.len()
            '

    !!flow.job name:check depends:build retries:2 timeout:30
        file:scripts/check.rhai

    !!flow.run name:deploy

Rules of :func:`read_flows`:

- ``!!flow.define name:NAME`` starts a flow. Each flow name is defined once.
- ``!!flow.job`` adds a job to the flow of the latest ``!!flow.define`` above it, or
  to the flow that its ``flow:`` parameter names. Its parameters are ``name``
  (required), exactly one of ``script`` and ``file``, ``runner`` (default ``osis``),
  ``depends`` (comma-separated job names), ``timeout`` (seconds, above 0),
  ``retries`` (a whole number, default 0) and ``node``.
- ``file:`` is read as UTF-8 from a path relative to ``base_dir``, and the path must
  resolve to a file inside ``base_dir``.
- ``!!flow.run name:NAME`` runs a flow defined above it. Once a flow is named by a
  run, no job can be added to it. A flow run twice is two flows with their own ids.
- Each flow gets the id ``CONTEXT.flow-`` followed by 16 hex digits, so a client
  subscribed to the topic ``CONTEXT.`` receives its events.
- Any other parameter, any positional argument and any other ``!!flow.*`` action is
  an error. Every error is a :class:`FlowScriptError` naming the line and the value.

:func:`flow_to_heroscript` writes a flow so that :func:`read_flows` reads back the same
names, scripts, runners, dependencies, timeouts, retries and nodes. HeroScript trims
every value, so the leading and trailing whitespace of a script is not written. Some
text has no HeroScript form at all (see :mod:`herolib.heroscript.serialize`), for
example a script with both ``'`` and ``"``. Such a value raises
:class:`FlowScriptError`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from pathlib import Path

from herolib.flows import Flow, FlowJob, InvalidFlowError, find_cycle
from herolib.heroscript import (
    Action,
    HeroScriptError,
    Params,
    Playbook,
    action_to_heroscript,
    actions_to_heroscript,
    parse_actions,
)
from herolib.heroscript.convert import to_float, to_list
from herolib.heroscript.text import trim_space
from herolib.models import RUNNER_TYPES, new_id

#: Actor of the flow actions.
FLOW_ACTOR = "flow"
DEFINE = "define"
JOB = "job"
RUN = "run"

DEFINE_PARAMS = ("name",)
JOB_PARAMS = (
    "name",
    "flow",
    "runner",
    "script",
    "file",
    "depends",
    "timeout",
    "retries",
    "node",
)
RUN_PARAMS = ("name",)

_WHOLE_NUMBER = re.compile(r"[0-9]+")
# Lines that end a multiline value in HeroScript.
_CLOSING_QUOTES = ("'", '"', "'''", '"""')
# How many characters of a value an error message shows.
_EXCERPT = 60


class FlowScriptError(HeroScriptError, InvalidFlowError):
    """A ``!!flow.*`` action is invalid, or a flow has no HeroScript form.

    It is a :class:`~herolib.heroscript.HeroScriptError`, so it has ``line``, ``text``
    and ``source``, and an :class:`~herolib.flows.InvalidFlowError`.
    """


@dataclasses.dataclass(frozen=True)
class FlowScript:
    """The flows of a playbook.

    Attributes
    ----------
    flows
        Every defined flow by name, in definition order.
    runs
        The flows to run, in the order of the ``!!flow.run`` actions.
    """

    flows: Mapping[str, Flow]
    runs: tuple[Flow, ...]


@dataclasses.dataclass
class _Draft:
    """A flow while its actions are read."""

    name: str
    define: Action
    jobs: list[FlowJob] = dataclasses.field(default_factory=list)
    job_actions: dict[str, Action] = dataclasses.field(default_factory=dict)
    run: Action | None = None


def flow_id_prefix(context: str) -> str:
    """Return the prefix of the ids of flows read for ``context``."""
    return f"{context}.flow-"


def has_flow_actions(playbook: Playbook | str) -> bool:
    """Return whether any action of ``playbook`` has the actor ``flow``.

    Text is only parsed, so its ``!!play.include`` files are not read. Pass a
    :class:`Playbook` to count the actions of included files too.

    Raises
    ------
    HeroScriptError
        When the text does not parse.
    """
    actions = parse_actions(playbook) if isinstance(playbook, str) else playbook
    return any(action.actor == FLOW_ACTOR for action in actions)


# -- reading -----------------------------------------------------------------------


def read_flows(
    playbook: Playbook | str, context: str, base_dir: Path | None = None
) -> FlowScript:
    """Read the ``!!flow.*`` actions of a playbook into flows of ``context``.

    Other actions are left alone. When every flow action is valid they are marked done,
    so ``playbook.to_heroscript()`` afterwards returns only the other actions.

    Parameters
    ----------
    playbook
        A playbook, or HeroScript text to read as one.
    context
        The context the flows run in.
    base_dir
        Folder that ``file:`` paths are relative to. Without it, ``file:`` is an error.

    Raises
    ------
    FlowScriptError
        For an invalid flow action or flow (see the module docstring).
    HeroScriptError
        When the text does not parse.
    InvalidFlowError
        When ``context`` is empty.
    """
    if not isinstance(context, str) or not context:
        raise InvalidFlowError(
            f"the context of flows must be a non-empty string, got {context!r}"
        )
    if not isinstance(playbook, Playbook):
        playbook = Playbook(playbook)
    drafts: dict[str, _Draft] = {}
    current: _Draft | None = None
    run_actions: list[tuple[Action, _Draft]] = []
    flow_actions = [action for action in playbook.actions if action.actor == FLOW_ACTOR]
    for action in flow_actions:
        if action.name == DEFINE:
            current = _read_define(action, drafts)
        elif action.name == JOB:
            _read_job(action, drafts, current, base_dir)
        elif action.name == RUN:
            draft = _read_run(action, drafts)
            run_actions.append((action, draft))
        else:
            raise _error(
                action,
                f"unknown flow action; use !!flow.{DEFINE}, !!flow.{JOB} "
                f"or !!flow.{RUN}",
                _head(action),
            )
    flows = {name: _build_flow(draft, context) for name, draft in drafts.items()}
    runs: list[Flow] = []
    started: set[str] = set()
    for _, draft in run_actions:
        flow = flows[draft.name]
        if draft.name in started:
            flow = dataclasses.replace(flow, id=new_id(flow_id_prefix(context)))
        started.add(draft.name)
        runs.append(flow)
    for action in flow_actions:
        action.done = True
    return FlowScript(flows=flows, runs=tuple(runs))


def _error(action: Action, message: str, value: str) -> FlowScriptError:
    return FlowScriptError(message, action.line, value, action.source)


def _head(action: Action) -> str:
    return f"{action.type.bangs}{action.key}"


def _location(action: Action) -> str:
    return f"line {action.line}" if action.line else "an action"


def _check_params(action: Action, known: tuple[str, ...]) -> None:
    params = action.params
    if params.args:
        raise _error(
            action,
            f"{_head(action)} takes no positional argument; write parameters as "
            "key:value, such as name:deploy",
            params.args[0],
        )
    for key in params.keys():
        if key not in known:
            raise _error(
                action,
                f"unknown parameter {key!r} of {_head(action)}; use {', '.join(known)}",
                f"{key}:{params.as_dict()[key]}",
            )


def _required(action: Action, key: str) -> str:
    value = action.params.get(key) if action.params.exists(key) else ""
    if value == "":
        raise _error(
            action,
            f"{_head(action)} needs a non-empty {key}:, such as {key}:deploy",
            _head(action),
        )
    return value


def _read_define(action: Action, drafts: dict[str, _Draft]) -> _Draft:
    _check_params(action, DEFINE_PARAMS)
    name = _required(action, "name")
    if name in drafts:
        raise _error(
            action,
            f"flow {name} is already defined on {_location(drafts[name].define)}; "
            "give each flow its own name",
            name,
        )
    draft = _Draft(name, action)
    drafts[name] = draft
    return draft


def _read_run(action: Action, drafts: dict[str, _Draft]) -> _Draft:
    _check_params(action, RUN_PARAMS)
    name = _required(action, "name")
    draft = drafts.get(name)
    if draft is None:
        raise _error(
            action,
            "no flow of that name is defined above this run; "
            f"defined flows: {', '.join(drafts) or 'none'}. "
            f"Add !!flow.{DEFINE} name:{name} and its jobs before the run",
            name,
        )
    if draft.run is None:
        draft.run = action
    return draft


def _read_job(
    action: Action,
    drafts: dict[str, _Draft],
    current: _Draft | None,
    base_dir: Path | None,
) -> None:
    _check_params(action, JOB_PARAMS)
    draft = _job_flow(action, drafts, current)
    name = _required(action, "name")
    if draft.run is not None:
        raise _error(
            action,
            f"job {name} is added to flow {draft.name} after its !!flow.run on "
            f"{_location(draft.run)}; move the job above the run",
            name,
        )
    if name in draft.job_actions:
        raise _error(
            action,
            f"flow {draft.name} has a job {name} already, on "
            f"{_location(draft.job_actions[name])}; give each job of a flow its own name",
            name,
        )

    params = action.params
    fields: dict[str, object] = {
        "name": name,
        "script": _read_script(action, name, base_dir),
    }
    if params.exists("runner"):
        fields["runner"] = _read_runner(action, name)
    if params.exists("depends"):
        fields["depends"] = tuple(to_list(params.get("depends")))
    if params.exists("timeout"):
        fields["timeout"] = _read_timeout(action, name)
    if params.exists("retries"):
        fields["retries"] = _read_retries(action, name)
    if params.exists("node"):
        fields["node"] = _required(action, "node")
    try:
        job = FlowJob(**fields)  # type: ignore[arg-type]
    except InvalidFlowError as exc:
        raise _error(action, str(exc), name) from exc

    draft.jobs.append(job)
    draft.job_actions[name] = action


def _job_flow(
    action: Action, drafts: dict[str, _Draft], current: _Draft | None
) -> _Draft:
    """Return the flow a job action belongs to: its ``flow:`` or the latest define."""
    if action.params.exists("flow"):
        flow_name = action.params.get("flow")
        named = drafts.get(flow_name)
        if named is None:
            raise _error(
                action,
                "the job names a flow that is not defined above it; "
                f"defined flows: {', '.join(drafts) or 'none'}",
                flow_name,
            )
        return named
    if current is None:
        raise _error(
            action,
            "this job comes before any flow; put !!flow.define name:NAME above it "
            "or name its flow with flow:NAME",
            _head(action),
        )
    return current


def _read_script(action: Action, name: str, base_dir: Path | None) -> str:
    params = action.params
    has_script = params.exists("script")
    has_file = params.exists("file")
    if has_script and has_file:
        raise _error(
            action,
            f"job {name} has both script: and file:; keep one of them",
            name,
        )
    if has_script:
        return params.as_dict()["script"]
    if not has_file:
        raise _error(
            action,
            f"job {name} has no script; add script:'...' or file:PATH",
            name,
        )
    return _read_file(action, name, params.get("file"), base_dir)


def _read_file(action: Action, name: str, raw: str, base_dir: Path | None) -> str:
    if raw == "":
        raise _error(
            action,
            f"job {name}: file: is empty; give a path such as file:build.rhai",
            raw,
        )
    if base_dir is None:
        raise _error(
            action,
            f"job {name}: file: needs a base folder to read from, and none was given; "
            "write the script in script:'...' instead",
            raw,
        )
    base = Path(base_dir).resolve()
    path = (base / raw).resolve()
    if not path.is_relative_to(base):
        raise _error(
            action,
            f"job {name}: file: resolves to {path}, outside the folder {base}; "
            "use a path inside that folder",
            raw,
        )
    if not path.is_file():
        raise _error(
            action,
            f"job {name}: file not found: {path}; check the path, which is relative "
            f"to {base}",
            raw,
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(
            action, f"job {name}: cannot read {path} as UTF-8 text ({exc})", raw
        ) from exc


def _read_runner(action: Action, name: str) -> str:
    runner = action.params.get("runner")
    if runner not in RUNNER_TYPES:
        raise _error(
            action,
            f"job {name}: unknown runner; use one of {', '.join(RUNNER_TYPES)}",
            runner,
        )
    return runner


def _read_timeout(action: Action, name: str) -> float:
    text = action.params.get("timeout")
    try:
        seconds = to_float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise _error(
            action,
            f"job {name}: timeout must be a number of seconds above 0, "
            "such as 30 or 2.5",
            text,
        )
    return seconds


def _read_retries(action: Action, name: str) -> int:
    text = action.params.get("retries")
    if not _WHOLE_NUMBER.fullmatch(text):
        raise _error(
            action,
            f"job {name}: retries must be a whole number of 0 or more, such as 2",
            text,
        )
    return int(text)


def _build_flow(draft: _Draft, context: str) -> Flow:
    define = draft.define
    if not draft.jobs:
        raise _error(
            define,
            f"flow {draft.name} has no jobs; add !!flow.job actions below this define",
            draft.name,
        )
    names = set(draft.job_actions)
    for job in draft.jobs:
        unknown = [dependency for dependency in job.depends if dependency not in names]
        if unknown:
            raise _error(
                draft.job_actions[job.name],
                f"job {job.name} depends on job(s) {', '.join(unknown)} that flow "
                f"{draft.name} does not have; its jobs are {', '.join(sorted(names))}",
                ", ".join(unknown),
            )
    cycle = find_cycle(draft.jobs)
    if cycle:
        lines = ", ".join(
            str(draft.job_actions[name].line) for name in dict.fromkeys(cycle)
        )
        raise _error(
            draft.job_actions[cycle[0]],
            f"the dependencies of flow {draft.name} form a cycle: "
            f"{' -> '.join(cycle)} (jobs on lines {lines}), and each job waits for "
            "the one before it; remove one of these dependencies",
            " -> ".join(cycle),
        )
    try:
        return Flow(
            id=new_id(flow_id_prefix(context)),
            name=draft.name,
            context=context,
            jobs=tuple(draft.jobs),
        )
    except InvalidFlowError as exc:
        raise _error(define, str(exc), draft.name) from exc


# -- writing -----------------------------------------------------------------------


def flow_to_heroscript(flow: Flow) -> str:
    """Write ``flow`` as HeroScript: its define action, one job action per job, a run.

    Parameters that keep their default are left out. A script is written without its
    leading and trailing whitespace, because HeroScript trims every value.

    Raises
    ------
    FlowScriptError
        When a name, script or node has no HeroScript form that reads back unchanged,
        or a timeout is not a finite number.
    """
    define = _written_action(DEFINE, {"name": flow.name}, f"flow {flow.name}")
    jobs = [
        _written_action(JOB, _job_values(job), f"job {job.name}") for job in flow.jobs
    ]
    run = _written_action(RUN, {"name": flow.name}, f"flow {flow.name}")
    return actions_to_heroscript([define, *jobs, run])


def _job_values(job: FlowJob) -> dict[str, str]:
    """Return the parameters of the ``!!flow.job`` action of ``job`` as text."""
    values = {"name": job.name}
    if job.runner != FlowJob.runner:
        values["runner"] = job.runner
    if job.depends:
        values["depends"] = ",".join(job.depends)
    if job.timeout is not None:
        values["timeout"] = _seconds_text(job)
    if job.retries != FlowJob.retries:
        values["retries"] = str(job.retries)
    if job.node is not None:
        values["node"] = job.node
    values["script"] = trim_space(job.script)
    return values


def _seconds_text(job: FlowJob) -> str:
    """Return the timeout of ``job`` as text that reads back as the same number."""
    assert job.timeout is not None
    text = str(job.timeout) if isinstance(job.timeout, int) else repr(job.timeout)
    text = text.removesuffix(".0")
    try:
        readable = to_float(text) == job.timeout
    except ValueError:
        readable = False
    if not readable:
        raise FlowScriptError(
            f"job {job.name}: timeout has no HeroScript form that reads back as the "
            "same number; use a finite number of seconds",
            0,
            text,
        )
    return text


def _written_action(name: str, values: dict[str, str], owner: str) -> Action:
    """Build a flow action and check that every value reads back from its HeroScript."""
    params = Params()
    for key, value in values.items():
        params.set(key, value)
    action = Action(actor=FLOW_ACTOR, name=name, params=params)
    text = action_to_heroscript(action)
    try:
        parsed = parse_actions(text)
    except HeroScriptError:
        parsed = []
    read = parsed[0].params.as_dict() if len(parsed) == 1 else {}
    for key, value in values.items():
        if read.get(key) != value:
            raise FlowScriptError(
                f"{owner}: {key} cannot be written as HeroScript because it "
                f"{_unwritable_reason(value)}; change the {key}",
                0,
                _excerpt(value),
            )
    return action


def _unwritable_reason(value: str) -> str:
    """Explain why ``value`` does not read back from HeroScript; the best guess first."""
    lines = value.split("\n")
    if "\t" in value:
        return "contains a tab, which HeroScript reads as four spaces"
    if "\r" in value:
        return "contains a carriage return, which HeroScript reads as a line break"
    if "'" in value and '"' in value:
        return (
            "contains both ' and \", and HeroScript reads \" as ' outside a block "
            "and ' as \" inside one"
        )
    if '"' in value and any(trim_space(line) == "" for line in lines):
        return (
            'contains " and a blank line, but a block drops blank lines and a '
            'one-line value cannot hold "'
        )
    if '"' in value and any(trim_space(line).startswith("!") for line in lines):
        return (
            'contains " and a line starting with !, but such a line starts a new '
            'action inside a block and a one-line value cannot hold "'
        )
    if '"' in value and any(trim_space(line) in _CLOSING_QUOTES for line in lines):
        return (
            'contains " and a line that is only quotes, but such a line ends a block '
            'and a one-line value cannot hold "'
        )
    for escape, meaning in (
        ("\\\\n", "a line break"),
        ("<BR>", "a line break"),
        ("\\'", "a single quote"),
    ):
        if escape in value:
            return f"contains {escape}, which HeroScript reads as {meaning}"
    if trim_space(value) != value:
        return "starts or ends with whitespace, which HeroScript trims"
    return "reads back changed from every HeroScript form"


def _excerpt(value: str) -> str:
    return value if len(value) <= _EXCERPT else value[:_EXCERPT] + "..."
