"""``hero run FILE``: run a HeroScript playbook as a job and print what each action returned."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from coordinator.client import CoordinatorClient
from coordinator.embedded import EmbeddedCoordinator
from herolib import protocol
from herolib.errors import HeroError
from herolib.heroscript import HeroScriptError, Playbook
from herolib.models import Job, new_id
from herolib.states import JobState

COORDINATOR_ENV = "HERO_COORDINATOR"


def add_parser(commands: Any) -> None:
    run = commands.add_parser("run", help="run a HeroScript playbook as a job")
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
        help="context (HeroDB database) of the job; default: hero-run",
    )
    run.add_argument(
        "--timeout", type=float, help="seconds the job may run; default: the node's"
    )


def read_playbook(path: Path) -> str:
    """Return the playbook at ``path`` as one HeroScript text, includes expanded."""
    return Playbook(path=path).to_heroscript()


def main(args: argparse.Namespace) -> int:
    try:
        script = read_playbook(args.file)
    except HeroScriptError as exc:
        print(f"hero run: {exc}", file=sys.stderr)
        return 2
    address = args.coordinator or os.environ.get(COORDINATOR_ENV)
    return asyncio.run(_run(script, address, args))


async def _run(script: str, address: str | None, args: argparse.Namespace) -> int:
    embedded = None
    if address is None:
        embedded = EmbeddedCoordinator(workers=1)
        address = (await embedded.ready())["request"]
    client = CoordinatorClient(address, topics=(f"{args.context}.",))
    try:
        await client.connect()
        flow = f"{args.context}.{new_id()}"
        job = Job(id=new_id(f"{flow}."), flow=flow, context=args.context, script=script,
                  runner="python", timeout=args.timeout, name=args.file.name)  # fmt: skip
        outcome = await client.run(job, _print_event)
    except HeroError as exc:
        print(f"hero run: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()
        if embedded is not None:
            embedded.stop()

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
