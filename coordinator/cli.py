"""The ``hero`` command line: ``hero coordinator`` starts the coordinator service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path

import dask
import psutil

from coordinator import cluster, node, run
from coordinator.service import Coordinator
from coordinator.store import JobStore
from nodes.directory import NodeDirectory, hero_home

logger = logging.getLogger(__name__)

DEFAULT_REQUEST_ADDRESS = "tcp://127.0.0.1:7760"
DEFAULT_EVENTS_ADDRESS = "tcp://127.0.0.1:7761"
#: Seconds a job may wait for a node that serves its runner before it fails.
DEFAULT_NO_WORKER_TIMEOUT = 30.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hero", description="Hero Notebook command line"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("coordinator", help="run the coordinator service")
    serve.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler to use, e.g. tcp://127.0.0.1:8786; default: start a LocalCluster",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes (Hero nodes) of the LocalCluster; default: 2",
    )
    serve.add_argument(
        "--request-address",
        default=DEFAULT_REQUEST_ADDRESS,
        help="ZeroMQ endpoint for requests; port 0 picks a free one; "
        f"default: {DEFAULT_REQUEST_ADDRESS}",
    )
    serve.add_argument(
        "--events-address",
        default=DEFAULT_EVENTS_ADDRESS,
        help=f"ZeroMQ endpoint for events; default: {DEFAULT_EVENTS_ADDRESS}",
    )
    serve.add_argument(
        "--state-dir",
        type=Path,
        help="folder of the coordinator's HeroDB (in coordinator/) and the LocalCluster's "
        "nodes (in nodes/); default: $HERO_HOME, or $HERO_HOME/embedded with --embedded",
    )
    serve.add_argument(
        "--embedded",
        action="store_true",
        help="run for one kernel: keep state apart from a standalone coordinator, log less",
    )
    serve.add_argument(
        "--parent-pid",
        type=int,
        help="stop when the process with this id exits (the kernel that started us)",
    )
    serve.add_argument(
        "--no-worker-timeout",
        type=float,
        default=DEFAULT_NO_WORKER_TIMEOUT,
        metavar="SECONDS",
        help="fail a job that no live node can take after this long; applies to the "
        "LocalCluster (for a remote scheduler, set "
        "DASK_DISTRIBUTED__SCHEDULER__NO_WORKERS_TIMEOUT where it runs); "
        f"default: {DEFAULT_NO_WORKER_TIMEOUT:g}",
    )
    serve.add_argument(
        "--log-level", default="INFO", help="logging level; default: INFO"
    )
    run.add_parser(commands)
    node.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "WARNING").upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "run":
        return run.main(args)
    if args.command == "node":
        return node.main(args)
    if args.embedded:
        logging.getLogger("distributed").setLevel(logging.WARNING)
    if args.command == "coordinator":
        if args.no_worker_timeout <= 0:
            print(
                "hero coordinator: --no-worker-timeout must be a positive number of "
                f"seconds, got {args.no_worker_timeout:g}",
                file=sys.stderr,
            )
            return 2
        if args.workers < 1:
            print(
                f"hero coordinator: --workers must be at least 1, got {args.workers}",
                file=sys.stderr,
            )
            return 2
        return asyncio.run(serve(args))
    return 2


async def serve(args: argparse.Namespace) -> int:
    """Run the coordinator until a shutdown request, a signal, or the parent's exit.

    When ready it prints its endpoints as one JSON line on stdout.
    """
    root = args.state_dir or (
        hero_home() / "embedded" if args.embedded else hero_home()
    )
    async with contextlib.AsyncExitStack() as stack:
        directory = NodeDirectory(root, "coordinator")
        state_dir = directory.claim()
        stack.callback(directory.release)

        if args.scheduler:
            client = await cluster.connect(args.scheduler)
        else:
            # A job whose node dies fails instead of running again elsewhere, because
            # a script's side effects (HeroDB writes, output) would happen twice.
            dask.config.set(
                {
                    "distributed.scheduler.allowed-failures": 0,
                    "distributed.scheduler.no-workers-timeout": (
                        f"{args.no_worker_timeout}s"
                    ),
                }
            )
            local_cluster = await cluster.start_local_cluster(args.workers)
            stack.push_async_callback(local_cluster.close)
            client = await cluster.connect(local_cluster.scheduler_address)
        stack.push_async_callback(client.close)
        # Workers of a remote cluster keep their own default folder on their own machines.
        await cluster.make_nodes(client, None if args.scheduler else root / "nodes")

        store = JobStore(state_dir)
        store.start()
        stack.callback(store.stop)

        coordinator = Coordinator(
            client, store, args.request_address, args.events_address
        )
        stack.push_async_callback(coordinator.close)
        await coordinator.start()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, coordinator.request_stop)
        if args.parent_pid:
            asyncio.ensure_future(_watch_parent(args.parent_pid, coordinator))
        ready = {
            "request": coordinator.request_endpoint,
            "events": coordinator.events_endpoint,
            "scheduler": client.scheduler.address,
            "pid": os.getpid(),
        }
        print(json.dumps(ready), flush=True)
        await coordinator.wait_stopped()
    return 0


async def _watch_parent(pid: int, coordinator: Coordinator) -> None:
    while psutil.pid_exists(pid):
        await asyncio.sleep(1.0)
    logger.info("parent process %d exited; stopping", pid)
    coordinator.request_stop()


if __name__ == "__main__":
    sys.exit(main())
