"""The notebook's flow: the jobs that ``%%job`` cells define, and ``%%job`` parsing.

A ``%%job NAME`` cell defines one job of the notebook's flow and does not run it;
``%flow run`` runs them all as one flow. The cell's body is the job's script, Rhai
unless the kernel's cell routing reads it as HeroScript.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re

from hero_kernel.cells import HEROSCRIPT, MODULE, PYTHON, Cell, expand_heroscript
from hero_kernel.cells import split_cell as split_language
from hero_kernel.magics import CellError, MagicParser
from herolib.flow_reports import format_definition
from herolib.flows import Flow, FlowJob, InvalidFlowError
from herolib.heroscript import HeroScriptError, Playbook
from herolib.models import RUNNER_TYPES, ScriptError
from nodes.rhai import Engine, RhaiError

#: Default runner of a job whose script is HeroScript, and of any other job.
HEROSCRIPT_RUNNER = "python"
RHAI_RUNNER = "osis"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds, got {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, got {text!r}"
        )
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= 0, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


JOB_PARSER = MagicParser(
    prog="%%job",
    description=(
        "Define job NAME of the notebook's flow; the rest of the cell is its script.\n"
        "The job does not run now: %flow run runs the flow, and %flow show lists its "
        "jobs.\nRunning the cell again replaces the job. A job reads the results of "
        "the jobs it runs after\nfrom the map `input`, such as input.NAME in Rhai."
    ),
)
JOB_PARSER.add_argument(
    "name",
    metavar="NAME",
    help="name of the job: letters, digits, '_', '-' and '.', unique in the flow",
)
JOB_PARSER.add_argument(
    "--after",
    metavar="NAME[,NAME...]",
    action="append",
    default=[],
    help="jobs that must finish before this one starts; repeat or separate with commas",
)
JOB_PARSER.add_argument(
    "--runner",
    choices=RUNNER_TYPES,
    help="script type: osis runs Rhai, python runs HeroScript; "
    "default: python for a HeroScript script, else osis",
)
JOB_PARSER.add_argument(
    "--timeout",
    metavar="SECONDS",
    type=_seconds,
    help="seconds one try may run; default: HERO_JOB_TIMEOUT, else the node's (3600)",
)
JOB_PARSER.add_argument(
    "--retries",
    metavar="N",
    type=_count,
    default=0,
    help="how many more times to run the job after an error or a timeout; default: 0",
)
JOB_PARSER.add_argument(
    "--node",
    metavar="NAME",
    help="name of the node the job must run on, such as node-0; "
    "default: the coordinator chooses",
)


def parse_job_cell(code: str) -> FlowJob:
    """Return the job that a ``%%job NAME [OPTIONS]`` cell defines.

    Rhai scripts are parsed here and HeroScript scripts read, so a syntax error shows
    in the defining cell. It raises :class:`UsageError` for bad options and
    :class:`CellError` or :class:`InvalidFlowError` for a bad script or name.
    """
    lines = code.split("\n")
    start = next(index for index, line in enumerate(lines) if line.strip())
    head, body = lines[start].strip(), "\n".join(lines[start + 1 :])
    arguments = JOB_PARSER.parse_words(head[len("%%job") :])
    depends = tuple(
        name.strip()
        for group in arguments.after
        for name in group.split(",")
        if name.strip()
    )
    cell = split_language(body)
    # The body starts below the %%job line, and a language line moves it further.
    first_line = start + 1 + cell.first_line
    if cell.language in (PYTHON, MODULE):
        raise InvalidFlowError(
            f"job {arguments.name}: a job's script runs on a node, so it is Rhai or "
            f"HeroScript; {body.split(maxsplit=1)[0]} cells cannot be jobs"
        )
    runner = arguments.runner or (
        HEROSCRIPT_RUNNER if cell.language == HEROSCRIPT else RHAI_RUNNER
    )
    if not cell.code.strip():
        raise InvalidFlowError(
            f"job {arguments.name} has no script; write it below the %%job line"
        )
    step = FlowJob(
        name=arguments.name,
        script=cell.code,
        runner=runner,
        depends=depends,
        timeout=arguments.timeout,
        retries=arguments.retries,
        node=arguments.node,
    )
    check_script(step, first_line)
    return step


def check_script(step: FlowJob, first_line: int) -> None:
    """Raise :class:`CellError` when the script of ``step`` does not parse."""
    if step.runner == RHAI_RUNNER:
        try:
            Engine().compile(step.script)
        except RhaiError as exc:
            error = ScriptError(
                exc.kind, f"job {step.name}: {exc.message}", exc.line, exc.column
            )
            raise CellError(error, step.script, first_line) from None
    elif step.runner == HEROSCRIPT_RUNNER:
        try:
            Playbook(step.script)
        except HeroScriptError as exc:
            error = ScriptError("HeroScriptError", exc.message, exc.line or None)
            raise CellError(error, step.script, first_line) from None


@dataclasses.dataclass(frozen=True)
class Definition:
    """The result of defining a job: whether it replaced a job of the same name, and
    which job of another name its cell defined before (``dropped``)."""

    step: FlowJob
    replaced: bool
    dropped: str | None


class NotebookFlow:
    """The jobs that the notebook's ``%%job`` cells define, in the order first defined.

    A cell that defines a job under a new name drops the job it defined before. This
    needs the cell's id, which Jupyter front ends send with each execution request.
    """

    def __init__(self) -> None:
        self.steps: dict[str, FlowJob] = {}
        self._owners: dict[str, str] = {}
        self._cells: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.steps)

    def define(self, step: FlowJob, cell_id: str | None = None) -> Definition:
        """Add ``step``, or replace the job of the same name in place."""
        dropped = None
        if cell_id:
            previous = self._cells.get(cell_id)
            if (
                previous is not None
                and previous != step.name
                and self._owners.get(previous) == cell_id
            ):
                self.remove(previous)
                dropped = previous
            self._cells[cell_id] = step.name
            self._owners[step.name] = cell_id
        replaced = step.name in self.steps
        self.steps[step.name] = step
        return Definition(step, replaced, dropped)

    def remove(self, name: str) -> None:
        if name not in self.steps:
            raise InvalidFlowError(
                f"the notebook's flow has no job {name!r}; "
                f"its jobs: {', '.join(self.steps) or 'none'}"
            )
        del self.steps[name]
        owner = self._owners.pop(name, None)
        if owner is not None and self._cells.get(owner) == name:
            del self._cells[owner]

    def build(
        self, flow_id: str, name: str, context: str, *, read_includes: bool = True
    ) -> Flow:
        """Return the flow of the defined jobs; raise InvalidFlowError when it cannot run.

        With ``read_includes`` the includes of HeroScript scripts are read now, from
        the kernel's working folder, because a node cannot see that folder.
        """
        if not self.steps:
            raise InvalidFlowError(
                "the notebook's flow has no jobs; define one with a cell that starts "
                "with %%job NAME"
            )
        jobs = []
        for step in self.steps.values():
            if read_includes and step.runner == HEROSCRIPT_RUNNER:
                step = dataclasses.replace(step, script=_expanded(step))
            jobs.append(step)
        return Flow(id=flow_id, name=name, context=context, jobs=tuple(jobs))

    def describe(self, *, scripts: bool = False) -> str:
        """Return the jobs, runners and dependencies, in dependency order."""
        if not self.steps:
            return (
                "the notebook's flow has no jobs yet; define one with a cell that "
                "starts with %%job NAME"
            )
        count = len(self.steps)
        lines = [f"the notebook's flow: {count} job{'s' if count != 1 else ''}"]
        lines.extend(format_definition(self.steps.values(), scripts=scripts))
        return "\n".join(lines)


def _expanded(step: FlowJob) -> str:
    try:
        return expand_heroscript(Cell(HEROSCRIPT, step.script)).code
    except HeroScriptError as exc:
        raise InvalidFlowError(f"job {step.name}: {exc}") from None


#: A name that Rhai reads as one property after a dot.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def confirmation(definition: Definition, flow: NotebookFlow) -> str:
    """Return the one line a ``%%job`` cell prints."""
    step = definition.step
    details = [f"{step.runner} runner"]
    if step.depends:
        details.append(f"after {', '.join(step.depends)}")
    verb = "replaced" if definition.replaced else "defined"
    line = f"job {step.name} {verb} ({'; '.join(details)})"
    if definition.dropped is not None:
        line += f", in place of job {definition.dropped}"
    count = len(flow)
    line += f"; the notebook's flow has {count} job{'s' if count != 1 else ''}"
    if not _IDENTIFIER.fullmatch(step.name):
        # ``input.load.v1`` would read a property ``v1`` of ``input.load``.
        line += f'\nits dependents read its result as input["{step.name}"]'
    return line
