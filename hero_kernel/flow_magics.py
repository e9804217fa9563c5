"""The ``%%job`` cell magic, the ``%flow`` line magic and HeroScript cells with flows.

``%flow run`` builds a flow of the jobs that ``%%job`` cells defined, submits it,
shows its progress through a :class:`FlowView` and ends the cell with the map of the
finished jobs' results. An interrupt cancels the flow.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hero_kernel.cells import Cell
from hero_kernel.connection import ConfigurationError
from hero_kernel.flow_view import FlowView, GraphFlowView, TextFlowView
from hero_kernel.flows import NotebookFlow, confirmation, parse_job_cell
from hero_kernel.magics import CellError, MagicParser, UsageError
from hero_kernel.output import CellOutput
from hero_widgets import FlowWidget
from herolib.errors import HeroError
from herolib.flow_reports import (
    flow_results,
    format_counts,
    format_flow_list,
    format_record,
    format_summary,
)
from herolib.flow_script import (
    FlowScriptError,
    flow_id_prefix,
    flow_to_heroscript,
    read_flows,
)
from herolib.flows import Flow, InvalidFlowError
from herolib.heroscript import Playbook
from herolib.models import ScriptError, new_id
from herolib.states import FlowState, JobState

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from coordinator.client import CoordinatorClient, EventHandler
    from hero_kernel.kernel import HeroKernel

#: Set by Jupyter Server to the notebook's path; its stem is the default flow name.
SESSION_NAME_ENV = "JPY_SESSION_NAME"
DEFAULT_FLOW_NAME = "notebook"
CANCEL_REASON = "cancelled with %flow cancel"

FLOW_PARSER = MagicParser(
    prog="%flow",
    description=(
        "Run and inspect flows: DAGs of the jobs that %%job cells define.\n"
        "ID is a flow id as %flow list shows it; where it is optional, the default\n"
        "is the flow that this kernel ran last. Each command answers --help."
    ),
)
_COMMANDS = FLOW_PARSER.add_subparsers(dest="command", metavar="COMMAND")

_RUN = _COMMANDS.add_parser(
    "run",
    help="run the notebook's flow and show its progress",
    description=(
        "Run the jobs that %%job cells defined as one flow and show it as a live\n"
        "graph; click a job to see its output, result and error. The cell's result\n"
        "is the map of the finished jobs' results. Kernel > Interrupt cancels the\n"
        "flow."
    ),
)
_RUN.add_argument(
    "name", metavar="NAME", nargs="?", help="name of the flow; default: the notebook's"
)


def _add_text_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--text",
        action="store_true",
        help="print a line per state change and the jobs' output instead of the "
        "live graph",
    )


_add_text_option(_RUN)

_SHOW = _COMMANDS.add_parser(
    "show",
    help="show the notebook's flow definition, or the record of flow ID",
    description=(
        "Without ID, show the jobs that %%job cells defined: runner, dependencies\n"
        "and options, in dependency order. With ID, draw that flow's graph from its\n"
        "record; a flow that still runs goes on updating after the cell ends."
    ),
)
_SHOW.add_argument("id", metavar="ID", nargs="?", help="id of a flow that ran")
_SHOW.add_argument(
    "--scripts", action="store_true", help="print the record with each job's script"
)
_SHOW.add_argument(
    "--text", action="store_true", help="print the record instead of the graph"
)

_LIST = _COMMANDS.add_parser(
    "list",
    help="list the newest flows of the coordinator",
    description="List flows, newest first: created, id, name, state and job counts.",
)
_LIST.add_argument(
    "--limit",
    metavar="N",
    type=int,
    default=20,
    help="maximum number of flows to list; default: 20",
)


def _add_flow_id(parser: argparse.ArgumentParser) -> None:
    """Add the optional ID argument of the commands that act on one flow."""
    parser.add_argument(
        "id",
        metavar="ID",
        nargs="?",
        help="id of the flow; default: the last flow run here",
    )


_STATUS = _COMMANDS.add_parser(
    "status",
    help="show a flow's state, counts and one line per job",
    description="Show a flow's state, its counts of jobs per state and one line per job.",
)
_add_flow_id(_STATUS)

_CANCEL = _COMMANDS.add_parser(
    "cancel",
    help="cancel a running flow",
    description="Stop the running jobs of a flow and skip the jobs that did not start.",
)
_add_flow_id(_CANCEL)

_RETRY = _COMMANDS.add_parser(
    "retry",
    help="run the failed and skipped jobs of a flow again",
    description=(
        "Run again the jobs of a flow that did not finish, with the results of the\n"
        "finished ones, and show the progress as %flow run does. The jobs run as the\n"
        "flow recorded them, with the notebook's current session: a %%job cell\n"
        "changed since then needs %flow run."
    ),
)
_add_flow_id(_RETRY)
_add_text_option(_RETRY)

_EXPORT = _COMMANDS.add_parser(
    "export",
    help="write the notebook's flow as HeroScript",
    description=(
        "Write the notebook's flow as !!flow.define, !!flow.job and !!flow.run\n"
        "actions to FILE, relative to the notebook's folder."
    ),
)
_EXPORT.add_argument("file", metavar="FILE", help="file to write, such as flow.hero")
_EXPORT.add_argument(
    "--name", help="name of the flow in the file; default: the notebook's"
)
_EXPORT.add_argument("--force", action="store_true", help="replace FILE if it exists")

_REMOVE = _COMMANDS.add_parser(
    "remove",
    help="remove jobs from the notebook's flow",
    description="Remove jobs that %%job cells defined from the notebook's flow.",
)
_REMOVE.add_argument("names", metavar="NAME", nargs="*", help="name of a job")
_REMOVE.add_argument("--all", action="store_true", help="remove every job")

#: A function that builds the view of one flow run in a cell. With the flag set, it
#: builds the text view.
ViewFactory = Callable[[CellOutput, bool], FlowView]


def make_flow_view(output: CellOutput, text: bool) -> FlowView:
    """Return the live graph view, or the text view when ``text`` is set."""
    return TextFlowView(output.write) if text else GraphFlowView(output)


StartFlow = Callable[
    ["CoordinatorClient", "EventHandler"], Awaitable[Any]
]  # returns the future of the flow's final record


class FlowError(HeroError):
    """A flow ended in a state other than finished."""


class FlowCancelled(FlowError):
    """A flow was cancelled, by an interrupt or a cancel request."""


def default_flow_name() -> str:
    """Return the notebook's file name without extension, or ``notebook``."""
    return Path(os.environ.get(SESSION_NAME_ENV, "")).stem or DEFAULT_FLOW_NAME


class FlowMagics:
    """Carry out ``%%job`` cells, ``%flow`` commands and flow playbooks for ``kernel``.

    ``make_view`` builds the view that shows a running flow.
    """

    def __init__(
        self, kernel: HeroKernel, make_view: ViewFactory = make_flow_view
    ) -> None:
        self.kernel = kernel
        self.make_view = make_view
        self.notebook = NotebookFlow()
        self.last_flow: str | None = None
        self._followers: set[asyncio.Task[None]] = set()

    def define_job(self, code: str, cell_id: str | None, output: CellOutput) -> None:
        step = parse_job_cell(code)
        definition = self.notebook.define(step, cell_id)
        output.print(confirmation(definition, self.notebook))

    async def command(self, arguments: str, output: CellOutput) -> None:
        """Carry out ``%flow ARGUMENTS``."""
        args = FLOW_PARSER.parse_words(arguments)
        if args.command is None:
            output.print(FLOW_PARSER.format_help().rstrip())
        elif args.command == "run":
            await self._run_notebook_flow(args, output)
        elif args.command == "show" and args.id is None:
            output.print(self.notebook.describe(scripts=args.scripts))
        elif args.command == "show" and (args.scripts or args.text):
            client = await self.kernel.connection.client()
            record = await client.flow_status(args.id)
            output.print(format_record(record, scripts=args.scripts))
        elif args.command == "show":
            await self._show_graph(args.id, output)
        elif args.command == "list":
            if args.limit < 1:
                _LIST.error(f"--limit must be 1 or more, got {args.limit}")
            client = await self.kernel.connection.client()
            output.print(format_flow_list(await client.list_flows(args.limit)))
        elif args.command == "status":
            client = await self.kernel.connection.client()
            output.print(format_summary(await client.flow_status(self._id(args))))
        elif args.command == "cancel":
            await self._cancel(self._id(args), output)
        elif args.command == "retry":
            await self._retry(self._id(args), output, args.text)
        elif args.command == "export":
            self._export(args, output)
        elif args.command == "remove":
            if args.all == bool(args.names):
                _REMOVE.error("give either the names of the jobs to remove or --all")
            names = list(self.notebook.steps) if args.all else args.names
            unknown = [name for name in names if name not in self.notebook.steps]
            if unknown:
                # Check every name first, so that a typo removes nothing.
                raise InvalidFlowError(
                    f"the notebook's flow has no job(s) {', '.join(unknown)}, so "
                    f"nothing was removed; its jobs: "
                    f"{', '.join(self.notebook.steps) or 'none'}"
                )
            for name in dict.fromkeys(names):
                self.notebook.remove(name)
            output.print(self.notebook.describe())

    async def _show_graph(self, flow_id: str, output: CellOutput) -> None:
        """Draw a recorded flow; one that still runs updates until it ends."""
        client = await self.kernel.connection.client()
        record = await client.flow_status(flow_id)
        widget = FlowWidget.from_record(record)
        if FlowState(record["state"]).is_final:
            output.display(widget.mimebundle())
            return
        display_id = f"hero-flow-{widget.model_id}"
        output.display(widget.mimebundle(), display_id=display_id)

        async def follow() -> None:
            try:
                final = await client.watch_flow(flow_id, widget.on_event)
            except Exception:
                logger.exception("following flow %s for its view failed", flow_id)
                return
            widget.finish(final)
            output.display(widget.mimebundle(), display_id=display_id, update=True)

        # The view outlives the cell, so the kernel keeps the task until it ends.
        task = asyncio.ensure_future(follow())
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    def _id(self, args: argparse.Namespace) -> str:
        if args.id is not None:
            return str(args.id)
        if self.last_flow is None:
            raise UsageError(
                f"%flow {args.command}: give a flow ID; this kernel has run no flow yet, "
                "and %flow list shows the coordinator's flows"
            )
        return self.last_flow

    def _with_defaults(self, flow: Flow) -> Flow:
        """Give ``flow`` the notebook's modules, ``%limits`` and default job timeout."""
        if self.kernel.setup_error is not None:
            raise ConfigurationError(self.kernel.setup_error)
        timeout = self.kernel.job_timeout
        jobs = tuple(
            dataclasses.replace(job, timeout=timeout) if job.timeout is None else job
            for job in flow.jobs
        )
        return dataclasses.replace(
            flow,
            jobs=jobs,
            modules=dict(self.kernel.modules) or flow.modules,
            limits=dict(self.kernel.job_limits) or flow.limits,
        )

    async def _run_notebook_flow(
        self, args: argparse.Namespace, output: CellOutput
    ) -> None:
        context = self.kernel.context
        flow = self.notebook.build(
            new_id(flow_id_prefix(context)),
            args.name or default_flow_name(),
            context,
        )
        record = await self.run(self._with_defaults(flow), output, text=args.text)
        self._finish(record, output)

    async def run(
        self, flow: Flow, output: CellOutput, *, text: bool = False
    ) -> dict[str, Any]:
        """Submit ``flow``, show its progress and return its final record."""
        return await self._follow(
            flow,
            [job.name for job in flow.jobs],
            1,
            output,
            lambda client, on_event: client.submit_flow(flow, on_event),
            text,
        )

    async def _retry(self, flow_id: str, output: CellOutput, text: bool) -> None:
        client = await self.kernel.connection.client()
        record = await client.flow_status(flow_id)
        flow = Flow.from_dict(record["definition"])
        jobs = record.get("jobs") or {}
        names = [
            job.name
            for job in flow.jobs
            if (jobs.get(job.name) or {}).get("state") != JobState.FINISHED.value
        ]
        if not names:
            raise FlowError(
                f"every job of flow {flow_id} finished; there is nothing to retry"
            )
        final = await self._follow(
            flow,
            names,
            int(record.get("run", 1)) + 1,
            output,
            lambda client, on_event: client.retry_flow(flow_id, on_event),
            text,
        )
        self._finish(final, output)

    async def _follow(
        self,
        flow: Flow,
        names: list[str],
        run: int,
        output: CellOutput,
        start: StartFlow,
        text: bool,
    ) -> dict[str, Any]:
        """Start a run of ``flow`` with ``start``, show it until it ends, cancel on interrupt."""
        kernel = self.kernel

        async def follow(guard: Any) -> dict[str, Any]:
            client = await kernel.connection.client()
            view = self.make_view(output, text)
            if not flow.id.startswith(f"{kernel.context}."):
                # NOTE: the client subscribes to this context's flows only.
                output.print(
                    f"flow {flow.id} belongs to another context, so its progress "
                    "shows only when it ends"
                )
            view.start(flow, names, run)
            done = await start(client, view.on_event)
            self.last_flow = flow.id
            guard.watch(
                f"flow {flow.id}",
                lambda reason: client.cancel_flow(flow.id, reason),
            )
            record = await client.wait_flow(flow.id, done)
            view.finish(record)
            return record

        return await kernel.guarded(follow, "flow")

    def _finish(self, record: dict[str, Any], output: CellOutput) -> None:
        """Send the results of ``record`` and raise if the flow did not finish."""
        results = flow_results(record)
        definition = record["definition"]
        output.result(
            {
                "text/plain": json.dumps(results, indent=2, ensure_ascii=False),
                "application/json": results,
            },
            {"hero": {"flow": definition["id"], "state": record["state"]}},
        )
        check_finished(record)

    async def _cancel(self, flow_id: str, output: CellOutput) -> None:
        client = await self.kernel.connection.client()
        if await client.cancel_flow(flow_id, CANCEL_REASON):
            output.print(f"cancelling flow {flow_id}: its running jobs stop now")
            return
        record = await client.flow_status(flow_id, jobs=False)
        output.print(f"flow {flow_id} is not running; it is {record['state']}")

    def _export(self, args: argparse.Namespace, output: CellOutput) -> None:
        path = Path(args.file)
        if path.exists() and not args.force:
            raise UsageError(f"%flow export: {path} exists; pass --force to replace it")
        context = self.kernel.context
        flow = self.notebook.build(
            new_id(flow_id_prefix(context)),
            args.name or default_flow_name(),
            context,
            read_includes=False,
        )
        text = flow_to_heroscript(flow)
        try:
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise FlowError(f"%flow export: cannot write {path}: {exc}") from None
        output.print(f"wrote flow {flow.name} ({len(flow)} jobs) to {path}")

    async def run_playbook(
        self, playbook: Playbook, cell: Cell, output: CellOutput
    ) -> None:
        """Run the flows that a HeroScript cell's ``!!flow.run`` actions name.

        The cell may contain only ``!!flow.*`` and ``!!session.env_set`` actions,
        because the flows run from the kernel and not as one playbook job.
        """
        try:
            script = read_flows(playbook, self.kernel.context, base_dir=Path.cwd())
        except FlowScriptError as exc:
            error = ScriptError("FlowScriptError", exc.message, exc.line or None)
            raise CellError(error, cell.code, cell.first_line) from None
        others = [action for action in playbook.actions if not action.done]
        if others:
            error = ScriptError(
                "HeroScriptError",
                f"this cell mixes !!flow actions with !!{others[0].key}; "
                "put other actions in a cell of their own or in a job's script",
                others[0].line or None,
            )
            raise CellError(error, cell.code, cell.first_line)
        if not script.runs:
            output.print(
                f"defined flow(s) {', '.join(script.flows)}; "
                "add !!flow.run name:NAME to run one"
            )
            return
        results = []
        for flow in script.runs:
            record = await self.run(self._with_defaults(flow), output)
            results.append(flow_results(record))
            if record["state"] != FlowState.FINISHED.value:
                self._finish(record, output)
        value: Any = results[0] if len(results) == 1 else results
        output.result(
            {
                "text/plain": json.dumps(value, indent=2, ensure_ascii=False),
                "application/json": value,
            },
            {"hero": {"flows": [flow.id for flow in script.runs]}},
        )


def check_finished(record: dict[str, Any]) -> None:
    """Raise :class:`FlowError` or :class:`FlowCancelled` unless the flow finished."""
    state = record["state"]
    if state == FlowState.FINISHED.value:
        return
    definition = record["definition"]
    counts = format_counts(record.get("counts") or {})
    where = f"flow {definition['name']} ({definition['id']})"
    if state == FlowState.CANCELLED.value:
        raise FlowCancelled(f"{where} was cancelled; {counts}")
    raise FlowError(
        f"{where} ended in state {state}; {counts}. "
        f"%flow retry {definition['id']} runs the jobs that did not finish again"
    )
