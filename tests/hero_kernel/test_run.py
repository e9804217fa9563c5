"""The headless notebook runner behind the quickstart command."""

import os
import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook


def run_notebook(path, home, *extra):
    environment = {**os.environ, "HERO_HOME": str(home)}
    return subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "hero_kernel.run",
            str(path),
            "--kernel",
            "hero",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=240,
    )


def test_prints_each_cell_and_stops_at_failure(tmp_path):
    notebook = new_notebook(
        cells=[
            new_code_cell('print("hi from rhai"); 2 * 21'),
            new_code_cell("undefined_name + 1"),
            new_code_cell("3"),
        ]
    )
    path = tmp_path / "failing.ipynb"
    nbformat.write(notebook, path)
    finished = run_notebook(path, tmp_path / "home")
    assert finished.returncode == 1
    assert "hi from rhai" in finished.stdout
    assert "Out: 42" in finished.stdout
    assert finished.stdout.count("ErrorVariableNotFound") == 1
    assert "stopped at a cell that failed" in finished.stderr


def test_missing_notebook_is_clear_error(tmp_path):
    finished = run_notebook(tmp_path / "nope.ipynb", tmp_path / "home")
    assert finished.returncode == 2
    assert "no notebook at" in finished.stderr
