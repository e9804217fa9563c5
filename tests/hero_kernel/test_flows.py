"""The notebook's flow definition, the text flow view and flow reports, without a kernel."""

from __future__ import annotations

import pytest

from hero_kernel.flow_view import TextFlowView
from hero_kernel.flows import NotebookFlow, confirmation, parse_job_cell
from hero_kernel.magics import CellError, HelpRequested, UsageError
from herolib.flow_reports import format_counts, format_summary, job_line
from herolib.flows import Flow, FlowJob, InvalidFlowError


@pytest.mark.parametrize(
    ("code", "runner", "script"),
    [("%%job a\n1 + 1", "osis", "1 + 1"),
     ("%%job a\n!!core.echo text:hi", "python", "!!core.echo text:hi"),
     ("%%job a\n%%heroscript\n!core.echo text:hi", "python", "!core.echo text:hi"),
     ("%%job a\n%%rhai\n!!flag", "osis", "!!flag"),
     ("%%job a --runner python\n!!core.echo text:hi", "python", "!!core.echo text:hi")],
)  # fmt: skip
def test_job_runner_follows_cell_language(code, runner, script):
    step = parse_job_cell(code)
    assert step.runner == runner
    assert step.script == script


def test_job_options_become_step_fields():
    step = parse_job_cell(
        "%%job load --after a,b --after c --timeout 2.5 --retries 3 --node node-1\nx"
    )
    assert step == FlowJob(
        name="load",
        script="x",
        depends=("a", "b", "c"),
        timeout=2.5,
        retries=3,
        node="node-1",
    )


def test_job_help_and_usage_errors_raise():
    with pytest.raises(HelpRequested, match="usage: %%job"):
        parse_job_cell("%%job --help\n1")
    with pytest.raises(UsageError, match="--timeout: expected a number of seconds"):
        parse_job_cell("%%job a --timeout soon\n1")


def test_job_script_errors_count_cell_lines():
    with pytest.raises(CellError) as raised:
        parse_job_cell("%%job a\n%%rhai\nlet = 1;")
    assert raised.value.first_line == 3
    assert raised.value.error.line == 1
    with pytest.raises(CellError) as heroscript:
        parse_job_cell("%%job a\n!!core.echo text:hi\n!!play.include path:no/such.hero")
    assert heroscript.value.error.kind == "HeroScriptError"
    assert heroscript.value.error.line == 2
    assert heroscript.value.first_line == 2


def test_notebook_flow_replaces_in_place():
    flow = NotebookFlow()
    flow.define(FlowJob("a", "1"))
    flow.define(FlowJob("b", "2"))
    definition = flow.define(FlowJob("a", "3", depends=("b",)))
    assert definition.replaced
    assert list(flow.steps) == ["a", "b"]
    assert flow.steps["a"].script == "3"
    assert confirmation(definition, flow) == (
        "job a replaced (osis runner; after b); the notebook's flow has 2 jobs"
    )
    assert flow.describe().splitlines() == [
        "the notebook's flow: 2 jobs",
        "  b  osis",
        "  a  osis    after b",
    ]


def test_renamed_cell_drops_only_its_own_job():
    flow = NotebookFlow()
    flow.define(FlowJob("old", "1"), "cell-1")
    renamed = flow.define(FlowJob("new", "1"), "cell-1")
    assert renamed.dropped == "old"
    assert list(flow.steps) == ["new"]
    flow.define(FlowJob("shared", "1"), "cell-2")
    flow.define(FlowJob("shared", "2"), "cell-3")
    moved = flow.define(FlowJob("other", "1"), "cell-2")
    assert moved.dropped is None
    assert list(flow.steps) == ["new", "shared", "other"]


def test_notebook_flow_build_and_describe_problems():
    flow = NotebookFlow()
    with pytest.raises(InvalidFlowError, match="has no jobs"):
        flow.build("nb-1.flow-1", "demo", "nb-1")
    flow.define(FlowJob("a", "1", depends=("b",)))
    flow.define(FlowJob("b", "1", depends=("a",)))
    assert (
        flow.describe()
        .splitlines()[-1]
        .startswith("it cannot run: the dependencies form a cycle")
    )
    with pytest.raises(InvalidFlowError, match="cycle"):
        flow.build("nb-1.flow-1", "demo", "nb-1")
    flow.remove("a")
    with pytest.raises(InvalidFlowError, match="has no job 'a'"):
        flow.remove("a")


def _state(name, state, **fields):
    return {"type": "state", "job": f"f:{name}", "name": name, "state": state, **fields}


def _output(name, text):
    return {"type": "output", "job": f"f:{name}", "seq": 0, "text": text}


def test_view_shows_jobs_after_their_dependencies():
    lines = []
    view = TextFlowView(lambda stream, line: lines.append(line))
    flow = Flow(
        "f", "demo", "nb", (FlowJob("a", "1"), FlowJob("b", "2", depends=("a",)))
    )
    view.start(flow, ["a", "b"], 1)
    view.on_event(_state("a", "running", node="n1", **{"try": 1}))
    view.on_event(_state("b", "running", node="n2", **{"try": 1}))
    view.on_event(_output("b", "from b"))
    view.on_event(_output("a", "from a"))
    view.on_event(_state("a", "finished", node="n1"))
    view.on_event({"type": "flow", "state": "running"})
    assert lines == [
        "flow demo (f): 2 jobs",
        "a: running on n1",
        "[a] from a",
        "a: finished on n1",
        "b: running on n2",
        "[b] from b",
    ]


def test_view_of_retry_counts_kept_jobs_as_done():
    lines = []
    view = TextFlowView(lambda stream, line: lines.append(line))
    flow = Flow(
        "f", "demo", "nb", (FlowJob("a", "1"), FlowJob("b", "2", depends=("a",)))
    )
    view.start(flow, ["b"], 2)
    view.on_event(_state("b", "running", node="n1", **{"try": 2}))
    view.on_event(
        _state(
            "b", "ready", node="n1", error="ErrorRuntime: x", retry_in=1.0, **{"try": 2}
        )
    )
    assert lines == [
        "flow demo (f), run 2: 1 job again: b",
        "b: running on n1, try 2",
        "b: try 2 failed (ErrorRuntime: x); retrying in 1 s",
    ]


def test_summary_lists_jobs_in_dependency_order():
    record = {
        "state": "error",
        "run": 1,
        "started": 100.0,
        "finished": 101.5,
        "counts": {"skipped": 1, "finished": 1},
        "definition": {
            "id": "f",
            "name": "demo",
            "context": "nb",
            "jobs": [
                {"name": "late", "script": "1", "depends": ["early"]},
                {"name": "early", "script": "2"},
            ],
        },
        "jobs": {
            "early": {"state": "finished", "node": "n1", "tries": 1, "started": 100.0,
                      "finished": 100.25, "outcome": {"value": {"k": [1, 2]}}},
            "late": {"state": "skipped", "tries": 0, "outcome": {
                "error": {"kind": "ErrorSkipped",
                          "message": "skipped because early did not finish"}}},
        },
    }  # fmt: skip
    assert format_summary(record).splitlines() == [
        "flow demo (f): error after 1.50 s; 1 finished, 1 skipped",
        '  early  finished  on n1, 1 try, 0.25 s: {"k": [1, 2]}',
        "  late   skipped   because early did not finish",
    ]


def test_long_results_are_shortened():
    record = {"state": "finished", "tries": 1, "outcome": {"value": "x" * 200}}
    line = job_line("a", record, (1, 8))
    assert line.endswith("...")
    assert len(line) < 120


def test_counts_follow_lifecycle_order():
    assert format_counts({"skipped": 2, "running": 1, "finished": 0}) == (
        "1 running, 2 skipped"
    )
    assert format_counts({}) == "no jobs"
