"""Compare the speed of Rhai scripts run through `nodes._rhai` with the native `rhai-run`.

Each program in benchmarks/rhai/ times its own work with Rhai's `timestamp()` and prints
`elapsed_seconds S`, so both sides report the time spent inside the engine the same way,
without process startup, parsing or result conversion. The script also records the wall
and CPU time of the whole `Engine.eval()` call and of the whole `rhai-run` process (less
those of an empty script) as a second view. CPU time is the steadier figure when other
processes load the machine. The two sides take turns, so a change of load hits both.

`rhai-run` is built on first use with `cargo install`, from the rhai version in
rhai_binding/Cargo.lock and the features that rhai_binding/Cargo.toml enables, into
benchmarks/.native/. It is built with the rhai crate's own release profile.

Run it from the repository root with the venv that has the binding installed:

    .venv/bin/python benchmarks/rhai_vs_native.py
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

REPOSITORY = Path(__file__).resolve().parent.parent
SCRIPTS = REPOSITORY / "benchmarks" / "rhai"
NATIVE_CACHE = REPOSITORY / "benchmarks" / ".native"
BINDING_MANIFEST = REPOSITORY / "rhai_binding" / "Cargo.toml"
BINDING_LOCKFILE = REPOSITORY / "rhai_binding" / "Cargo.lock"

# The binding should run every program within this factor of native `rhai-run`.
TARGET_RATIO = 1.10


@dataclass(frozen=True)
class Program:
    name: str
    description: str
    script: str
    # The script run by `rhai-run` when it differs from the binding's script.
    native_script: str | None = None

    @property
    def like_for_like(self) -> bool:
        return self.native_script is None


PROGRAMS = [
    Program("fibonacci", "recursive fib(25)", "fibonacci.rhai"),
    Program("primes", "sieve of Eratosthenes to 300,000", "primes.rhai"),
    Program("matrix", "50x50 float matrix multiply", "matrix.rhai"),
    Program("strings", "append 600,000 pieces to a string", "strings.rhai"),
    Program("loop", "while loop, 1,000,000 iterations", "loop.rhai"),
    Program("call_baseline", "100,000-iteration loop, no call", "call_baseline.rhai"),
    Program("call_rhai_fn", "100,000 calls of a Rhai function", "call_rhai_fn.rhai"),
    Program(
        "call_python_fn",
        "100,000 calls of a registered Python function (native: of a Rhai function)",
        "call_python_fn.rhai",
        native_script="call_rhai_fn.rhai",
    ),
]


def python_noop(value: object) -> None:
    """The registered Python function that call_python_fn.rhai calls as `py_noop`."""


class Timing(NamedTuple):
    """One run of a program, with times in seconds."""

    result: str
    in_engine: float
    # The whole `Engine.eval()` call, or the whole `rhai-run` process.
    whole_call_wall: float
    whole_call_cpu: float


@dataclass
class Measurements:
    """Timings of one program on one side, in seconds per timed repeat, and its result."""

    in_engine: list[float] = field(default_factory=list)
    whole_call_wall: list[float] = field(default_factory=list)
    whole_call_cpu: list[float] = field(default_factory=list)
    result: str | None = None

    def add(self, timing: Timing) -> None:
        self.in_engine.append(timing.in_engine)
        self.whole_call_wall.append(timing.whole_call_wall)
        self.whole_call_cpu.append(timing.whole_call_cpu)


@dataclass(frozen=True)
class RhaiDependency:
    version: str
    features: tuple[str, ...]
    default_features: bool

    def cache_name(self) -> str:
        features = "+".join(self.features) or "no-features"
        defaults = "" if self.default_features else "-no-default"
        return f"rhai-{self.version}-{features}{defaults}"


def read_rhai_dependency() -> RhaiDependency:
    """Read the rhai version from the binding's Cargo.lock and its features from Cargo.toml."""
    lockfile = tomllib.loads(BINDING_LOCKFILE.read_text())
    versions = [p["version"] for p in lockfile["package"] if p["name"] == "rhai"]
    if len(versions) != 1:
        raise SystemExit(
            f"expected one rhai package in {BINDING_LOCKFILE}, found {versions}"
        )

    manifest = tomllib.loads(BINDING_MANIFEST.read_text())
    specification = manifest["dependencies"]["rhai"]
    if isinstance(specification, str):
        specification = {"version": specification}
    return RhaiDependency(
        version=versions[0],
        features=tuple(sorted(specification.get("features", []))),
        default_features=specification.get("default-features", True),
    )


def binding_has_metadata(binding: ModuleType) -> bool:
    """Return whether the binding's rhai was built with the `metadata` feature.

    Only with that feature does `get_fn_metadata_list` include the doc comments of a
    script-defined function.
    """
    source = '/// probe\nfn probe() {}\nget_fn_metadata_list("probe")[0]'
    return "comments" in binding.Engine().eval(source)


def check_same_features(binding: ModuleType, dependency: RhaiDependency) -> None:
    """Stop when the binding module and the native build would differ in `metadata`.

    NOTE: only `metadata` is checked, so a binding module built before a change of
    another feature goes unnoticed.
    """
    has_metadata = binding_has_metadata(binding)
    if has_metadata == ("metadata" in dependency.features):
        return
    built = "with" if has_metadata else "without"
    raise SystemExit(
        f"{binding.__file__} was built {built} rhai's metadata feature, but the native "
        f"rhai-run would be built with features {list(dependency.features)}. Rebuild the "
        "binding into the venv (pip install --no-build-isolation -e .) or pass "
        "--native-features to match it."
    )


def ensure_native_binary(dependency: RhaiDependency) -> Path:
    """Return the path of `rhai-run` for `dependency`, building it with cargo when missing."""
    root = NATIVE_CACHE / dependency.cache_name()
    binary = root / "bin" / "rhai-run"
    if binary.is_file():
        return binary

    cargo = shutil.which("cargo")
    if cargo is None:
        raise SystemExit(
            "cargo was not found on PATH. Install Rust to build the native rhai-run."
        )
    # NOTE: without --locked, cargo resolves rhai's dependencies (smallvec, ahash, ...) to
    # their newest compatible versions, which can differ from rhai_binding/Cargo.lock.
    command = [
        cargo,
        "install",
        "rhai",
        "--version",
        f"={dependency.version}",
        "--bin",
        "rhai-run",
        "--root",
        str(root),
    ]
    if dependency.features:
        command += ["--features", ",".join(dependency.features)]
    if not dependency.default_features:
        command.append("--no-default-features")
    print(
        f"building native rhai-run (a few minutes): {' '.join(command)}",
        file=sys.stderr,
    )
    completed = subprocess.run(command, check=False)
    if completed.returncode != 0 or not binary.is_file():
        raise SystemExit(f"cargo install failed with exit code {completed.returncode}")
    return binary


def parse_script_output(lines: list[str], origin: str) -> tuple[str, float]:
    """Return the `result` text and the `elapsed_seconds` value that a program printed."""
    result = None
    elapsed = None
    for line in lines:
        key, _, value = line.strip().partition(" ")
        if key == "result":
            result = value
        elif key == "elapsed_seconds":
            elapsed = float(value)
    if result is None or elapsed is None:
        raise RuntimeError(
            f"{origin} printed no result or elapsed_seconds line: {lines!r}"
        )
    return result, elapsed


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_in_binding(engine: object, source: str, origin: str) -> Timing:
    """Evaluate `source` with `engine` and time it."""
    printed: list[str] = []
    engine.set_print(printed.append)
    # eval() runs the script on the calling thread, so its thread CPU time counts it.
    started_cpu = time.thread_time()
    started = time.perf_counter()
    engine.eval(source)
    wall_seconds = time.perf_counter() - started
    cpu_seconds = time.thread_time() - started_cpu
    engine.set_print(None)
    result, elapsed = parse_script_output(printed, origin)
    return Timing(result, elapsed, wall_seconds, cpu_seconds)


def run_native(binary: Path, script: Path) -> Timing:
    """Run `script` in `rhai-run` and time it."""
    # The process is the only child that ends meanwhile, so the growth of the reaped
    # children's CPU time is its own.
    started_cpu = children_cpu_seconds()
    started = time.perf_counter()
    completed = subprocess.run(
        [str(binary), str(script)], capture_output=True, text=True, check=False
    )
    wall_seconds = time.perf_counter() - started
    cpu_seconds = children_cpu_seconds() - started_cpu
    # rhai-run 1.27 prints a script error and still exits with 0, so stderr is checked too.
    if completed.returncode != 0 or completed.stderr.strip():
        raise RuntimeError(
            f"rhai-run {script.name} failed with exit code {completed.returncode}: "
            f"{completed.stderr.strip()}"
        )
    result, elapsed = parse_script_output(
        completed.stdout.splitlines(), f"rhai-run {script}"
    )
    return Timing(result, elapsed, wall_seconds, cpu_seconds)


def measure_empty_process(binary: Path, repeats: int) -> Measurements:
    """Time `rhai-run` on an empty script, which is its startup and exit."""
    measurements = Measurements()
    with tempfile.TemporaryDirectory(prefix="rhai-bench-") as folder:
        empty = Path(folder) / "empty.rhai"
        empty.write_text("")
        for _ in range(repeats):
            started_cpu = children_cpu_seconds()
            started = time.perf_counter()
            subprocess.run([str(binary), str(empty)], capture_output=True, check=True)
            wall_seconds = time.perf_counter() - started
            cpu_seconds = children_cpu_seconds() - started_cpu
            measurements.add(Timing("", 0.0, wall_seconds, cpu_seconds))
    return measurements


def measure_program(
    program: Program,
    binding: ModuleType,
    binary: Path,
    repeats: int,
    warmup: int,
) -> tuple[Measurements, Measurements]:
    """Run `program` on both sides, alternating which side goes first in each round."""
    source = (SCRIPTS / program.script).read_text()
    native_script = SCRIPTS / (program.native_script or program.script)
    engine = binding.Engine()
    engine.register_fn("py_noop", python_noop, 1)

    def binding_run() -> Timing:
        return run_in_binding(engine, source, f"binding {program.script}")

    def native_run() -> Timing:
        return run_native(binary, native_script)

    binding_side = Measurements()
    native_side = Measurements()
    sides: list[tuple[Callable[[], Timing], Measurements]] = [
        (binding_run, binding_side),
        (native_run, native_side),
    ]
    for round_index in range(warmup + repeats):
        order = sides if round_index % 2 == 0 else sides[::-1]
        for run, measurements in order:
            timing = run()
            if measurements.result not in (None, timing.result):
                raise RuntimeError(
                    f"{program.name} printed result {timing.result}, but "
                    f"{measurements.result} in an earlier run"
                )
            measurements.result = timing.result
            if round_index >= warmup:
                measurements.add(timing)

    if program.like_for_like and binding_side.result != native_side.result:
        raise RuntimeError(
            f"{program.name}: binding result {binding_side.result} "
            f"differs from native {native_side.result}"
        )
    return binding_side, native_side


def time_one_cancel(binding: ModuleType) -> float:
    """Return the seconds from `Engine.cancel()` until `eval("loop {}")` raises."""
    engine = binding.Engine()
    outcome: dict[str, object] = {}

    def run_forever() -> None:
        try:
            engine.eval("loop {}")
        except BaseException as error:  # checked by the main thread below
            outcome["raised_at"] = time.perf_counter()
            outcome["error"] = error

    # A daemon thread, so that a build whose cancel does not work cannot keep the
    # process alive after the error below.
    worker = threading.Thread(
        target=run_forever, name="rhai-cancel-latency", daemon=True
    )
    worker.start()
    # Let the script get well into its loop before cancelling it.
    time.sleep(0.2)
    cancelled_at = time.perf_counter()
    engine.cancel("benchmark")
    worker.join(timeout=10)
    if worker.is_alive():
        raise RuntimeError(
            "eval('loop {}') did not stop within 10 s of Engine.cancel()"
        )

    error = outcome.get("error")
    if not isinstance(error, binding.RhaiError) or error.kind != "ErrorTerminated":
        raise RuntimeError(
            f"eval('loop {{}}') ended without ErrorTerminated: {error!r}"
        )
    return outcome["raised_at"] - cancelled_at


def describe_machine(dependency: RhaiDependency, binding: ModuleType) -> list[str]:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    features = ", ".join(dependency.features) or "none"
    defaults = (
        "default features + "
        if dependency.default_features
        else "no default features + "
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"CPU: {cpu_model}, {os.cpu_count()} logical cores (nproc {len(os.sched_getaffinity(0))})",
        f"Python: {platform.python_version()} ({sys.executable})",
        f"rhai: {dependency.version}, {defaults}{features}",
        f"binding module: {binding.__file__}",
        f"load average (1, 5, 15 min) at start: {load}",
    ]


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), separator, *(line(row) for row in rows)])


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(
    results: dict[str, tuple[Measurements, Measurements]],
    empty_process: Measurements,
    cancel_latencies: list[float],
) -> None:
    print("\nPrograms:")
    for program in PROGRAMS:
        if program.name in results:
            print(f"  {program.name}: {program.description}")
    print("\nIn-engine time, from timestamp() inside each script (ms):\n")
    rows = []
    over_target_best = []
    over_target_median = []
    for program in PROGRAMS:
        if program.name not in results:
            continue
        binding_side, native_side = results[program.name]
        binding_median = statistics.median(binding_side.in_engine)
        native_median = statistics.median(native_side.in_engine)
        ratio_median = binding_median / native_median
        ratio_best = min(binding_side.in_engine) / min(native_side.in_engine)
        name = program.name if program.like_for_like else program.name + " *"
        rows.append(
            [
                name,
                milliseconds(min(binding_side.in_engine)),
                milliseconds(binding_median),
                milliseconds(min(native_side.in_engine)),
                milliseconds(native_median),
                f"{ratio_best:.2f}",
                f"{ratio_median:.2f}",
            ]
        )
        if program.like_for_like and ratio_best > TARGET_RATIO:
            over_target_best.append(f"{program.name} ({ratio_best:.2f}x)")
        if program.like_for_like and ratio_median > TARGET_RATIO:
            over_target_median.append(f"{program.name} ({ratio_median:.2f}x)")
    print(
        format_table(
            [
                "program",
                "binding best",
                "binding median",
                "native best",
                "native median",
                "ratio best",
                "ratio median",
            ],
            rows,
        )
    )
    if "call_python_fn" in results:
        print(
            "\n* The binding calls a registered Python function, "
            "while native calls a Rhai function."
        )

    report_call_costs(results)
    report_whole_calls(results, empty_process)

    if cancel_latencies:
        median_latency = milliseconds(statistics.median(cancel_latencies))
        max_latency = milliseconds(max(cancel_latencies))
        print(
            f"\nCancel latency, Engine.cancel() until eval('loop {{}}') raises "
            f"({len(cancel_latencies)} runs): median {median_latency} ms, "
            f"max {max_latency} ms"
        )

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average (1, 5, 15 min) at end: {load}")
    # The best run is the one least disturbed by other load, so both statistics count.
    print_verdict("best in-engine time", over_target_best)
    print_verdict("median in-engine time", over_target_median)


def print_verdict(measure: str, over_target: list[str]) -> None:
    if over_target:
        print(
            f"Over the {TARGET_RATIO:.2f}x target by {measure}: "
            f"{', '.join(over_target)}"
        )
    else:
        print(
            f"Every like-for-like program is within {TARGET_RATIO:.2f}x of native by "
            f"{measure}."
        )


def report_call_costs(results: dict[str, tuple[Measurements, Measurements]]) -> None:
    """Print the cost of one function call: the call loop less the baseline loop.

    It is computed from the best and the median in-engine times and from the median
    CPU time of the whole call, which differ when other load disturbs some runs.
    """
    needed = ("call_baseline", "call_rhai_fn", "call_python_fn")
    if not all(name in results for name in needed):
        return
    baseline_binding, baseline_native = results["call_baseline"]
    python_binding, _ = results["call_python_fn"]
    rhai_binding, rhai_native = results["call_rhai_fn"]
    calls = int(baseline_binding.result)

    def per_call(with_call: Measurements, without_call: Measurements) -> list[str]:
        differences = [
            min(with_call.in_engine) - min(without_call.in_engine),
            statistics.median(with_call.in_engine)
            - statistics.median(without_call.in_engine),
            statistics.median(with_call.whole_call_cpu)
            - statistics.median(without_call.whole_call_cpu),
        ]
        return [f"{seconds / calls * 1e6:.3f}" for seconds in differences]

    rows = [
        [
            "registered Python function, binding",
            *per_call(python_binding, baseline_binding),
        ],
        ["Rhai function, binding", *per_call(rhai_binding, baseline_binding)],
        ["Rhai function, native rhai-run", *per_call(rhai_native, baseline_native)],
    ]
    print(
        f"\nCost of one call in microseconds: (time with {calls:,} calls - time "
        f"without) / {calls:,}\n"
    )
    headers = ["function", "best in-engine", "median in-engine", "median CPU"]
    print(format_table(headers, rows))


def report_whole_calls(
    results: dict[str, tuple[Measurements, Measurements]], empty_process: Measurements
) -> None:
    """Print the medians of the whole eval() call and of the rhai-run process.

    CPU time leaves out the time that other processes on a loaded machine take.
    """
    startup_wall = statistics.median(empty_process.whole_call_wall)
    startup_cpu = statistics.median(empty_process.whole_call_cpu)
    print(
        "\nWhole call, median ms: binding Engine.eval() (parse, run, conversion) and the "
        f"rhai-run process less an empty script's ({milliseconds(startup_wall)} ms wall, "
        f"{milliseconds(startup_cpu)} ms CPU):\n"
    )
    rows = []
    for program in PROGRAMS:
        if program.name not in results:
            continue
        binding_side, native_side = results[program.name]
        binding_wall = statistics.median(binding_side.whole_call_wall)
        binding_cpu = statistics.median(binding_side.whole_call_cpu)
        native_wall = statistics.median(native_side.whole_call_wall) - startup_wall
        native_cpu = statistics.median(native_side.whole_call_cpu) - startup_cpu
        name = program.name if program.like_for_like else program.name + " *"
        rows.append(
            [
                name,
                milliseconds(binding_wall),
                milliseconds(native_wall),
                format_ratio(binding_wall, native_wall),
                milliseconds(binding_cpu),
                milliseconds(native_cpu),
                format_ratio(binding_cpu, native_cpu),
            ]
        )
    headers = [
        "program",
        "binding wall",
        "native wall",
        "ratio wall",
        "binding CPU",
        "native CPU",
        "ratio CPU",
    ]
    print(format_table(headers, rows))


def format_ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator > 0 else "n/a"


def import_binding(folder: Path | None) -> ModuleType:
    """Import `nodes._rhai`, or the `_rhai` extension module in `folder` (a modified build)."""
    if folder is None:
        import nodes._rhai as binding

        return binding
    sys.path.insert(0, str(folder))
    import _rhai as binding

    if Path(binding.__file__).resolve().parent != folder.resolve():
        raise SystemExit(f"imported _rhai from {binding.__file__}, not from {folder}")
    return binding


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed runs of each program on each side"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed runs of each program on each side first",
    )
    parser.add_argument(
        "--cancel-runs",
        type=int,
        default=10,
        help="runs of the cancel latency measurement (0 skips it)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[p.name for p in PROGRAMS],
        help="run only these programs (default: all)",
    )
    parser.add_argument(
        "--binding-dir",
        type=Path,
        help="import the binding as `_rhai` from this folder instead of `nodes._rhai`, "
        "to measure a modified build of the binding",
    )
    parser.add_argument(
        "--native-features",
        metavar="LIST",
        help="comma-separated rhai features for the native build, in place of those "
        "in rhai_binding/Cargo.toml (for a binding module built before a feature change)",
    )
    parser.add_argument(
        "--native-binary",
        type=Path,
        metavar="PATH",
        help="run this rhai-run instead of the one built in benchmarks/.native/ "
        "(its features are not checked)",
    )
    arguments = parser.parse_args()

    if arguments.warmup < 0:
        parser.error("--warmup must be at least 0")
    if arguments.repeats < 1:
        parser.error("--repeats must be at least 1")
    if arguments.cancel_runs < 0:
        parser.error("--cancel-runs must be at least 0")
    if arguments.native_binary is not None and not arguments.native_binary.is_file():
        parser.error(f"--native-binary {arguments.native_binary} is not a file")
    return arguments


def main() -> None:
    arguments = parse_arguments()
    binding = import_binding(arguments.binding_dir)
    dependency = read_rhai_dependency()
    if arguments.native_features is not None:
        features = tuple(sorted(f for f in arguments.native_features.split(",") if f))
        dependency = replace(dependency, features=features)
    check_same_features(binding, dependency)
    if arguments.native_binary is not None:
        binary = arguments.native_binary
    else:
        binary = ensure_native_binary(dependency)

    print("\n".join(describe_machine(dependency, binding)))
    print(f"native: {binary}")
    print(
        f"repeats: {arguments.repeats} timed after {arguments.warmup} warm-up per side"
    )

    empty_process = measure_empty_process(binary, arguments.repeats)
    results = {}
    for program in PROGRAMS:
        if arguments.only and program.name not in arguments.only:
            continue
        print(f"running {program.name}", file=sys.stderr)
        results[program.name] = measure_program(
            program, binding, binary, arguments.repeats, arguments.warmup
        )
    if arguments.cancel_runs:
        print("running cancel latency", file=sys.stderr)
    cancel_latencies = [time_one_cancel(binding) for _ in range(arguments.cancel_runs)]
    report(results, empty_process, cancel_latencies)


if __name__ == "__main__":
    main()
