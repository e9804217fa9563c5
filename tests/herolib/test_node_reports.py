"""Text of ``%nodes`` and ``%job``: the node table, byte sizes and one job's record."""

from __future__ import annotations

import pytest

from herolib.flow_reports import format_duration
from herolib.node_reports import (
    MAX_OUTPUT_LINES,
    MAX_RESULT,
    format_bytes,
    format_job,
    format_nodes,
)


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"),
     (5 * 1024**2, "5.0 MiB"), (3 * 1024**5, "3072.0 TiB")],
)  # fmt: skip
def test_format_bytes(count, text):
    assert format_bytes(count) == text


def test_nodes_table_has_a_row_per_node():
    text = format_nodes(
        [
            {"name": "node-1", "alive": True, "runners": ["osis", "python"],
             "running": ["a", "b"], "jobs_done": 12, "herodb_keys": 4,
             "herodb_bytes": 2048},
            {"name": "node-2", "alive": False, "runners": ["osis"], "running": [],
             "jobs_done": 1, "herodb_keys": 0, "herodb_bytes": 0},
        ]
    )  # fmt: skip
    header, first, second = text.splitlines()
    assert header.split() == ["node", "alive", "runners", "running", "done", "HeroDB"]
    assert first.split() == ["node-1", "yes", "osis,", "python", "2", "12", "4",
                             "keys,", "2.0", "KiB"]  # fmt: skip
    assert second.split()[:2] == ["node-2", "gone"]
    # Columns line up.
    assert first.index("12") == header.index("done")


def test_no_nodes_says_how_to_start_one():
    assert "hero node" in format_nodes([])


def test_job_shows_error_with_line_and_output():
    text = format_job(
        "f:validate",
        {
            "state": "error",
            "node": "node-1",
            "tries": 2,
            "job": {"runner": "osis"},
            "started": 100.0,
            "finished": 101.5,
            "outcome": {
                "error": {"kind": "ErrorRuntime", "message": "bad row", "line": 3},
                "output": ["checking", "done"],
            },
        },
    )
    lines = text.splitlines()
    assert lines[0] == "job f:validate: error"
    assert "  runner     osis" in lines
    assert "  tries      2" in lines
    assert "  took       1.50 s" in lines
    assert "error: ErrorRuntime: bad row (line 3)" in lines
    assert lines[-3:] == ["output:", "  checking", "  done"]
    assert not any(line.startswith("result") for line in lines)


def test_finished_job_shows_result_as_json():
    text = format_job(
        "j", {"state": "finished", "outcome": {"value": {"n": 1}, "output": []}}
    )
    assert text.splitlines()[-1] == 'result: {"n": 1}'


def test_pending_job_has_no_result():
    text = format_job("j", {"state": "pending", "tries": 0})
    assert text.splitlines() == ["job j: pending", "  tries      0"]


def test_long_result_and_output_are_clipped():
    text = format_job(
        "j",
        {
            "state": "finished",
            "outcome": {
                "value": list(range(5000)),
                "output": [f"line {index}" for index in range(MAX_OUTPUT_LINES + 3)],
            },
        },
    )
    lines = text.splitlines()
    [result] = [line for line in lines if line.startswith("result: ")]
    assert len(result) < MAX_RESULT + 100
    assert result.endswith("characters in all)")
    assert f"output (last {MAX_OUTPUT_LINES} of {MAX_OUTPUT_LINES + 3} lines):" in lines
    assert lines[-1] == f"  line {MAX_OUTPUT_LINES + 2}"
    assert "  line 2" not in lines


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0.00 s"), (1.254, "1.25 s"), (59.994, "59.99 s"), (65.4, "1 min 5 s"),
     (3599.9, "59 min 59 s"), (3600, "1 h 0 min"), (7325, "2 h 2 min")],
)  # fmt: skip
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
