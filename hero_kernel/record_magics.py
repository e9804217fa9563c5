"""``%nodes`` and ``%job ID``: live views of the cluster's nodes and of one job.

Each shows a view from :mod:`hero_widgets` that refreshes while a browser shows it,
with a text form for nbconvert and nbval. ``--text`` prints the text form only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hero_kernel.magics import MagicParser, UsageError
from hero_kernel.output import CellOutput
from hero_widgets.job_widget import JobWidget, job_view_data
from hero_widgets.node_widget import NodesWidget
from herolib.errors import CoordinatorError, CoordinatorUnreachable
from herolib.node_reports import format_job, format_nodes

if TYPE_CHECKING:
    from coordinator.client import CoordinatorClient
    from hero_kernel.kernel import HeroKernel

NODES_PARSER = MagicParser(
    prog="%nodes",
    description=(
        "Show every Hero node the coordinator has seen: whether it is alive, its\n"
        "runners, its running jobs, the jobs it has done and its HeroDB's keys and\n"
        "memory. The view refreshes every second while it is on screen."
    ),
)
NODES_PARSER.add_argument(
    "--text", action="store_true", help="print a table instead of the live view"
)

JOB_PARSER = MagicParser(
    prog="%job",
    description=(
        "Show one job: state, runner, node, tries, times, output, result and error.\n"
        "ID is a job id, FLOW_ID:NAME for a job of a flow, or NAME for a job of the\n"
        "last flow this kernel ran. A job that still runs refreshes every second\n"
        "while the view is on screen."
    ),
)
JOB_PARSER.add_argument("id", metavar="ID", help="the job to show")
JOB_PARSER.add_argument(
    "--text", action="store_true", help="print the job instead of the live view"
)


class RecordMagics:
    """Carry out ``%nodes`` and ``%job`` for ``kernel``."""

    def __init__(self, kernel: HeroKernel) -> None:
        self.kernel = kernel

    async def nodes(self, arguments: str, output: CellOutput) -> None:
        args = NODES_PARSER.parse_words(arguments)
        client = await self.kernel.connection.client()
        nodes = await client.list_nodes()
        if args.text:
            output.print(format_nodes(nodes))
            return

        async def fetch() -> dict[str, Any]:
            client = await self.kernel.connection.client()
            return {"nodes": await client.list_nodes()}

        output.display(NodesWidget(nodes, fetch).mimebundle())

    async def job(self, arguments: str, output: CellOutput) -> None:
        args = JOB_PARSER.parse_words(arguments)
        client = await self.kernel.connection.client()
        job_id, record = await self._find_job(client, args.id)
        if args.text:
            output.print(format_job(job_id, record))
            return

        async def fetch() -> dict[str, Any]:
            client = await self.kernel.connection.client()
            return job_view_data(job_id, await client.status(job_id))

        output.display(JobWidget(job_view_data(job_id, record), fetch).mimebundle())

    async def _find_job(
        self, client: CoordinatorClient, given: str
    ) -> tuple[str, dict[str, Any]]:
        """Return the id and record of the job ``given`` names.

        ``given`` is a job id, or else the name of a job of the last flow run here.
        """
        try:
            return given, await client.status(given)
        except CoordinatorUnreachable:
            raise
        except CoordinatorError:
            if ".flow-" in given and ":" not in given:
                raise UsageError(
                    f"%job: {given!r} is a flow id, not a job id; %flow show {given} "
                    f"draws the flow, and %job {given}:NAME shows its job NAME"
                ) from None
            last_flow = self.kernel.flows.last_flow
            if ":" in given or last_flow is None:
                raise UsageError(
                    f"%job: no job with id {given!r}; give a job id, FLOW_ID:NAME for "
                    "a job of a flow (%flow status lists them), or the NAME of a job "
                    "of the last flow this kernel ran"
                ) from None
        job_id = f"{last_flow}:{given}"
        try:
            return job_id, await client.status(job_id)
        except CoordinatorError:
            raise UsageError(
                f"%job: {given!r} is neither a job id nor a job of the last flow "
                f"{last_flow}; %flow status lists that flow's jobs"
            ) from None
