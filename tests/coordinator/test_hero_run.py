"""``hero run FILE`` end to end, with the embedded coordinator it starts."""

import asyncio
import os
import signal
import subprocess
import sys
import threading

import pytest

from coordinator.client import CoordinatorClient
from herolib.states import FlowState


def hero_run(path, home, *extra):
    environment = {**os.environ, "HERO_HOME": str(home)}
    environment.pop("HERO_COORDINATOR", None)
    return subprocess.run(
        [sys.executable, "-P", "-m", "coordinator", "run", str(path), *extra],
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
    )


def test_hero_run_prints_output_and_results(tmp_path):
    (tmp_path / "parts.hero").write_text("!!core.echo text:'from the included file'\n")
    playbook = tmp_path / "main.md"
    playbook.write_text(
        "# Deploy notes\n\n"
        "!!session.env_set key:TEAM value:blue\n\n"
        "!!play.include path:parts.hero\n\n"
        "!!db.set key:team value:'{TEAM}'\n\n"
        "!!job.run script:'db_get(`team`).to_upper()'\n"
    )
    finished = hero_run(playbook, tmp_path / "home")
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0] == "from the included file"
    assert "!!db.set" in lines[2]
    assert lines[2].endswith("-> 'team'")
    assert lines[3].endswith("-> 'BLUE'")
    assert "[finished]" in finished.stderr


def test_hero_run_fails_on_unhandled_action(tmp_path):
    playbook = tmp_path / "bad.hero"
    playbook.write_text("!!core.echo text:ok\n!!mystery.action size:3\n")
    finished = hero_run(playbook, tmp_path / "home")
    assert finished.returncode == 1
    assert "!!mystery.action size:3" in finished.stderr


def test_hero_run_reports_parse_error(tmp_path):
    playbook = tmp_path / "broken.hero"
    playbook.write_text("!!a.b.c x:1\n")
    finished = hero_run(playbook, tmp_path / "home")
    assert finished.returncode == 2
    assert "line 1" in finished.stderr


# -- flows ---------------------------------------------------------------------------

FAILING_FLOW = """\
!!flow.define name:deploy

!!flow.job name:build
    script:'
        print("building");
        throw "compiler broke";
        '

!!flow.job name:ship depends:build script:'input.build'

!!flow.job name:notes script:'`written`'

!!flow.run name:deploy

!!flow.define name:later

!!flow.job name:never script:'1'

!!flow.run name:later
"""

GOOD_FLOW = """\
!!flow.define name:numbers

!!flow.job name:base
    script:'
        print("hello from base");
        40 + 2
        '

!!flow.job name:double depends:base
    script:'
        print(`doubling ${input.base}`);
        #{ value: input.base * 2, label: "ü" }
        '

!!flow.run name:numbers
"""


def test_hero_run_flow_failing_job_skips_dependent(tmp_path, coordinator_process):
    playbook = tmp_path / "deploy.hero"
    playbook.write_text(FAILING_FLOW)
    finished = hero_run(
        playbook,
        tmp_path / "home",
        "--coordinator",
        coordinator_process.address,
        "--context",
        "run-failing",
    )
    assert finished.returncode == 1

    # Events as they arrive.
    lines = finished.stdout.splitlines()
    assert "build | building" in lines
    assert any(
        line.startswith("[build] error on node-") and "compiler broke" in line
        for line in lines
    )
    assert any(
        line.startswith("[ship] skipped") and "build did not finish" in line
        for line in lines
    )

    # The summary when the flow ends.
    assert "flow deploy: error (1 error, 1 finished, 1 skipped)" in lines
    assert any(
        line.startswith("build: error: ErrorRuntime") and "compiler broke" in line
        for line in lines
    )
    assert "ship: skipped: ErrorSkipped: skipped because build did not finish" in lines
    assert 'notes: finished -> "written"' in lines

    # The second flow does not start.
    assert "flow deploy ended error" in finished.stderr
    assert "flows not started: later" in finished.stderr
    assert not any(line.startswith("flow later") for line in lines)


def test_hero_run_good_flow_prints_results(tmp_path, coordinator_process):
    playbook = tmp_path / "numbers.hero"
    playbook.write_text(GOOD_FLOW)
    finished = hero_run(
        playbook,
        tmp_path / "home",
        "--coordinator",
        coordinator_process.address,
        "--context",
        "run-good",
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0].startswith("flow numbers: submitted 2 jobs as run-good.flow-")
    assert "base | hello from base" in lines
    assert "double | doubling 42" in lines
    assert any(line.startswith("[base] finished on node-") for line in lines)
    assert any(line.startswith("[double] finished on node-") for line in lines)
    assert "flow numbers: finished (2 finished)" in lines
    assert lines[-2:] == [
        "base: finished -> 42",
        'double: finished -> {"label": "ü", "value": 84}',
    ]
    assert finished.stderr == ""


def test_hero_run_flow_reads_file_script(tmp_path, coordinator_process):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "count.rhai").write_text(
        'let words = ["a", "b", "c"];\nprint(`counting ${words.len()}`);\nwords.len()\n'
    )
    playbook = tmp_path / "count.hero"
    playbook.write_text(
        "!!flow.define name:count\n\n"
        "!!flow.job name:count file:jobs/count.rhai\n\n"
        "!!flow.run name:count\n"
    )
    finished = hero_run(
        playbook,
        tmp_path / "home",
        "--coordinator",
        coordinator_process.address,
        "--context",
        "run-file",
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert "count | counting 3" in lines
    assert lines[-1] == "count: finished -> 3"


def test_hero_run_other_actions_run_before_flows(tmp_path):
    # The embedded coordinator of hero run has one node, so the flow job reads the
    # HeroDB data that the playbook job stored. The playbook job's line numbers count
    # in the text of the actions it gets, so db.set is its line 1.
    playbook = tmp_path / "mixed.hero"
    playbook.write_text(
        "!!flow.define name:read\n\n"
        "!!flow.job name:read script:'db_get(`city`)'\n\n"
        "!!flow.run name:read\n\n"
        "!!db.set key:city value:ghent\n"
    )
    finished = hero_run(playbook, tmp_path / "home", "--context", "run-mixed")
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0] == "!!db.set (line 1) -> 'city'"
    assert lines[-1] == 'read: finished -> "ghent"'


def test_hero_run_failed_actions_stop_flows(tmp_path):
    playbook = tmp_path / "mixed.hero"
    playbook.write_text(
        "!!flow.define name:never\n\n"
        "!!flow.job name:never script:'1'\n\n"
        "!!flow.run name:never\n\n"
        "!!mystery.action size:3\n"
    )
    finished = hero_run(playbook, tmp_path / "home")
    assert finished.returncode == 1
    assert "!!mystery.action size:3" in finished.stderr
    assert "no flow started" in finished.stderr
    assert "flow never" not in finished.stdout


def test_hero_run_invalid_flow_runs_nothing(tmp_path):
    playbook = tmp_path / "bad.hero"
    playbook.write_text(
        "!!flow.define name:a\n\n!!flow.job name:x script:'1' retries:often\n\n"
        "!!flow.run name:a\n"
    )
    finished = hero_run(playbook, tmp_path / "home")
    assert finished.returncode == 2
    assert f"{playbook}, line 3:" in finished.stderr
    assert "retries must be a whole number" in finished.stderr
    assert "'often'" in finished.stderr
    assert finished.stdout == ""


def test_hero_run_flow_without_run_rejected(tmp_path):
    playbook = tmp_path / "defined.hero"
    playbook.write_text("!!flow.define name:a\n\n!!flow.job name:x script:'1'\n")
    finished = hero_run(playbook, tmp_path / "home")
    assert finished.returncode == 2
    assert "runs none" in finished.stderr
    assert "!!flow.run name:a" in finished.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_hero_run_interrupt_cancels_flow(tmp_path, coordinator_process, signum):
    playbook = tmp_path / "forever.hero"
    playbook.write_text(
        "!!flow.define name:forever\n\n"
        "!!flow.job name:spin\n"
        "    script:'\n"
        "        print(`spinning`);\n"
        "        loop { }\n"
        "        '\n\n"
        "!!flow.run name:forever\n"
    )
    environment = {**os.environ, "HERO_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [sys.executable, "-P", "-m", "coordinator", "run", str(playbook),
         "--coordinator", coordinator_process.address,
         "--context", f"run-interrupt-{signum}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )  # fmt: skip
    # Kill hero run if it never shows the job running, so the test fails, not hangs.
    guard = threading.Timer(120, process.kill)
    guard.start()
    flow_id = None
    try:
        for line in process.stdout:
            if line.startswith("flow forever: submitted"):
                flow_id = line.split()[-1]
            if line.startswith(("[spin] running", "spin | spinning")):
                process.send_signal(signum)
                break
        stdout, stderr = process.communicate(timeout=60)
    finally:
        guard.cancel()
    assert process.returncode == 130, stderr
    assert "hero run: interrupted" in stderr
    assert flow_id is not None

    async def final_record():
        client = CoordinatorClient(coordinator_process.address)
        try:
            await client.connect()
            while True:
                record = await client.flow_status(flow_id)
                if FlowState(record["state"]).is_final:
                    return record
                await asyncio.sleep(0.2)
        finally:
            await client.close()

    record = asyncio.run(asyncio.wait_for(final_record(), 60))
    assert record["state"] == "cancelled"
    assert record["jobs"]["spin"]["state"] == "cancelled"
