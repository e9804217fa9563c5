"""``hero run FILE``: run a HeroScript playbook and print what it did.

A playbook without ``!!flow.*`` actions runs as one job on a node's ``python`` runner.
Its output is printed as it comes, then what each action returned.

A playbook with ``!!flow.*`` actions has its flows read where ``hero run`` runs (see
:mod:`herolib.flow_script`), and ``file:`` paths are taken from the playbook's folder.
Its other actions, those left after includes and ``session.env_set``, run first as one
job as above, wherever they stand in the file. So they can store data and session
variables for the flows, and when that job fails no flow starts. Then each flow named by
a ``!!flow.run`` runs in turn. Every job state change and output line is printed as it
arrives, and when a flow ends one line per job gives its final state and its result or
error. A flow that does not finish stops the run, so the flows after it do not start.
Interrupting ``hero run`` (Ctrl+C) cancels the flow that is running.

Exit status: 0 when the playbook job and every flow finished; 1 when one of them did
not, or the coordinator failed; 2 when the playbook is invalid and nothing ran.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any

from coordinator.client import CoordinatorClient
from coordinator.embedded import EmbeddedCoordinator
from herolib import protocol
from herolib.errors import HeroError
from herolib.flow_script import has_flow_actions, read_flows
from herolib.flows import Flow, InvalidFlowError
from herolib.heroscript import HeroScriptError, Playbook
from herolib.models import Job, ScriptError, new_id
from herolib.states import FlowState, JobState

logger = logging.getLogger(__name__)

COORDINATOR_ENV = "HERO_COORDINATOR"
#: Exit status for a playbook or flow that is invalid, so that nothing ran.
INVALID_PLAYBOOK = 2


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "run", help="run a HeroScript playbook as a job, and the flows it defines"
    )
    run.add_argument(
        "file", type=Path, help="playbook file (.hero, .heroscript or .md) or folder"
    )
    run.add_argument(
        "--coordinator",
        metavar="ADDRESS",
        help=f"request endpoint of a running coordinator; default: ${COORDINATOR_ENV}, "
        "else an embedded coordinator started for this run",
    )
    run.add_argument(
        "--context",
        default="hero-run",
        help="context (HeroDB database) of the jobs and flows; default: hero-run",
    )
    run.add_argument(
        "--timeout",
        type=_positive_seconds,
        help="seconds the playbook job may run, and each flow job that sets no "
        "timeout; default: the node's",
    )


def read_playbook(path: Path) -> str:
    """Return the playbook at ``path`` as one HeroScript text, includes expanded."""
    return Playbook(path=path).to_heroscript()


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """The job and the flows that ``hero run`` runs for a playbook.

    Attributes
    ----------
    script
        HeroScript to run as one job on the ``python`` runner, or None for no job.
    flows
        The flows to run after it, in order.
    """

    script: str | None
    flows: tuple[Flow, ...] = ()


def read_plan(path: Path, context: str, timeout: float | None = None) -> RunPlan:
    """Read the playbook at ``path`` into the job and the flows to run.

    ``timeout`` becomes the timeout of every flow job that has none.

    Raises
    ------
    HeroScriptError
        For invalid HeroScript, an invalid flow action, or flows that are defined
        but never run.
    InvalidFlowError
        For an empty context.
    """
    playbook = Playbook(path=path)
    if not has_flow_actions(playbook):
        return RunPlan(playbook.to_heroscript())
    base_dir = (path if path.is_dir() else path.parent).resolve()
    flow_script = read_flows(playbook, context, base_dir)
    if not flow_script.runs:
        names = list(flow_script.flows)
        example = names[0] if names else "NAME"
        raise HeroScriptError(
            f"the playbook defines flows ({', '.join(names) or 'none'}) but runs none; "
            f"add !!flow.run name:{example} to run one",
            0,
            str(path),
        )
    rest = playbook.to_heroscript()
    flows = tuple(_with_default_timeout(flow, timeout) for flow in flow_script.runs)
    return RunPlan(rest if rest.strip() else None, flows)


def _with_default_timeout(flow: Flow, timeout: float | None) -> Flow:
    if timeout is None:
        return flow
    jobs = tuple(
        job if job.timeout is not None else dataclasses.replace(job, timeout=timeout)
        for job in flow.jobs
    )
    return dataclasses.replace(flow, jobs=jobs)


def _positive_seconds(text: str) -> float:
    """Parse a ``--timeout`` value: a finite number of seconds above zero."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of seconds, got {text!r}"
        )
    return seconds


def main(args: argparse.Namespace) -> int:
    try:
        plan = read_plan(args.file, args.context, args.timeout)
    except (HeroScriptError, InvalidFlowError) as exc:
        print(f"hero run: {exc}", file=sys.stderr)
        return INVALID_PLAYBOOK
    address = args.coordinator or os.environ.get(COORDINATOR_ENV)
    # SIGTERM stops the run like Ctrl+C, so that its running flow is cancelled
    # rather than left running with no client waiting for it.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return asyncio.run(_run(plan, address, args))
    except KeyboardInterrupt:
        print("hero run: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


async def _run(plan: RunPlan, address: str | None, args: argparse.Namespace) -> int:
    embedded = None
    if address is None:
        # NOTE: one node, so that HeroDB data written by the playbook's actions is
        # where its flow jobs run. A flow with jobs pinned to other nodes needs
        # --coordinator and a cluster that has them.
        embedded = EmbeddedCoordinator(workers=1)
        address = (await embedded.ready())["request"]
    client = CoordinatorClient(address, topics=(f"{args.context}.",))
    try:
        await client.connect()
        if plan.script is not None:
            status = await _run_playbook_job(client, plan.script, args)
            if status != 0:
                if plan.flows:
                    print(
                        "hero run: no flow started, because the playbook's other "
                        "actions failed",
                        file=sys.stderr,
                    )
                return status
        return await _run_flows(client, plan.flows)
    except HeroError as exc:
        print(f"hero run: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()
        if embedded is not None:
            embedded.stop()


async def _run_playbook_job(
    client: CoordinatorClient, script: str, args: argparse.Namespace
) -> int:
    flow = f"{args.context}.{new_id()}"
    job = Job(id=new_id(f"{flow}."), flow=flow, context=args.context, script=script,
              runner="python", timeout=args.timeout, name=args.file.name)  # fmt: skip
    outcome = await client.run(job, _print_event)
    if outcome.state is not JobState.FINISHED:
        print(f"hero run: {outcome.state.value}: {outcome.error}", file=sys.stderr)
        return 1
    for item in outcome.value or []:
        print(f"!!{item['action']} (line {item['line']}) -> {item['result']!r}")
    return 0


def _print_event(event: dict[str, Any]) -> None:
    if event["type"] == protocol.OUTPUT:
        print(event["text"], flush=True)
    elif event["type"] == protocol.STATE:
        print(
            f"[{event['state']}] on {event.get('node') or 'coordinator'}",
            file=sys.stderr,
        )


# -- flows -----------------------------------------------------------------------


async def _run_flows(client: CoordinatorClient, flows: tuple[Flow, ...]) -> int:
    """Run ``flows`` one after another; return 0 if all finished, else 1."""
    for index, flow in enumerate(flows):
        printer = FlowPrinter(flow)
        try:
            done = await client.submit_flow(flow, printer.on_event)
            printer.print_start()
            record = await client.wait_flow(flow.id, done)
        except asyncio.CancelledError:
            await _cancel_flow(client, flow)
            raise
        printer.print_summary(record)
        state = record.get("state")
        if state != FlowState.FINISHED.value:
            message = f"hero run: flow {flow.name} ended {state}, not finished"
            later = [later.name for later in flows[index + 1 :]]
            if later:
                message += f"; flows not started: {', '.join(later)}"
            print(message, file=sys.stderr)
            return 1
    return 0


async def _cancel_flow(client: CoordinatorClient, flow: Flow) -> None:
    try:
        await client.cancel_flow(flow.id, "hero run was interrupted")
    except HeroError as exc:
        logger.warning("could not cancel flow %s: %s", flow.id, exc)


class FlowPrinter:
    """Print the events of one flow as lines, then one line per job when it ends.

    Output lines are printed as ``JOB | TEXT`` and job state changes as
    ``[JOB] STATE on NODE (try N): ERROR``, all on standard output. The flow's own
    state events are not printed, because :meth:`print_summary` prints its final state.
    """

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._names = {flow.job_id(job.name): job.name for job in flow.jobs}
        self._printed: dict[str, set[int]] = {job.name: set() for job in flow.jobs}
        self._ended = False

    def on_event(self, event: dict[str, Any]) -> None:
        """Print one event of the flow; events after :meth:`print_summary` are ignored."""
        if self._ended:
            return
        kind = event.get("type")
        if kind == protocol.OUTPUT:
            name = self._names.get(event.get("job", ""))
            if name is not None:
                self._print_output(name, event.get("seq"), str(event.get("text", "")))
        elif kind == protocol.STATE:
            name = event.get("name") or self._names.get(event.get("job", ""))
            if name is not None:
                _print_line(format_state(name, event))

    def print_start(self) -> None:
        """Print that the flow was submitted, with its id."""
        # Printed here and not from the flow's first event, because that event is
        # published right after the submission and a new subscriber can miss it.
        _print_line(
            f"flow {self.flow.name}: submitted {len(self.flow)} jobs as {self.flow.id}"
        )

    def print_summary(self, record: dict[str, Any]) -> None:
        """Print output lines no event carried, the flow's state and each job's end."""
        self._ended = True
        jobs = record.get("jobs") or {}
        for step in self.flow.jobs:
            outcome = (jobs.get(step.name) or {}).get("outcome") or {}
            for seq, text in enumerate(outcome.get("output") or []):
                self._print_output(step.name, seq, text)
        counts = ", ".join(
            f"{count} {state}"
            for state, count in sorted((record.get("counts") or {}).items())
        )
        _print_line(f"flow {self.flow.name}: {record.get('state')} ({counts})")
        for step in self.flow.jobs:
            _print_line(format_job_end(step.name, jobs.get(step.name) or {}))

    def _print_output(self, name: str, seq: Any, text: str) -> None:
        printed = self._printed[name]
        if seq in printed:
            return
        printed.add(seq)
        for line in text.split("\n"):
            _print_line(f"{name} | {line}")


def format_state(name: str, event: dict[str, Any]) -> str:
    """Return the line for a job's state event: ``[build] error on node-1 (try 2): ...``."""
    line = f"[{name}] {event.get('state')}"
    if event.get("node"):
        line += f" on {event['node']}"
    if event.get("try"):
        line += f" (try {event['try']})"
    if event.get("error"):
        line += f": {event['error']}"
    if event.get("retry_in") is not None:
        line += f"; next try in {event['retry_in']:g} s"
    return line


def format_job_end(name: str, record: dict[str, Any]) -> str:
    """Return a job's final line: ``build: finished -> 42`` or ``build: error: ...``."""
    state = record.get("state", "unknown")
    outcome = record.get("outcome")
    if not outcome:
        return f"{name}: {state}"
    if outcome.get("error"):
        return f"{name}: {state}: {ScriptError.from_dict(outcome['error'])}"
    if state == JobState.FINISHED.value:
        result = json.dumps(outcome.get("value"), ensure_ascii=False)
        return f"{name}: {state} -> {result}"
    return f"{name}: {state}"


def _print_line(line: str) -> None:
    print(line, flush=True)
