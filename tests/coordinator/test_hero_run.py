"""``hero run FILE`` end to end, with the embedded coordinator it starts."""

import os
import subprocess
import sys


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
