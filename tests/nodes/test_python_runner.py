"""The python runner: HeroScript playbooks with the node's actors, outside Dask."""

from herolib.models import Job, new_id
from herolib.states import JobState
from nodes.execution import Execution
from nodes.runners.osis import OsisRunner
from nodes.runners.python import PythonRunner


def run(runner, script, runner_type="python", context="ctx", **fields):
    job = Job(
        id=new_id("j-"),
        flow="f",
        context=context,
        script=script,
        runner=runner_type,
        **fields,
    )
    return runner.run(job, Execution(job, runner.node, lambda event: None))


def make_runners(herodb):
    osis = OsisRunner("n1", herodb)
    return osis, PythonRunner("n1", herodb, osis)


def test_db_actions_share_data_with_rhai(herodb):
    osis, python = make_runners(herodb)
    outcome = run(python, "!!db.set key:city value:ghent\n!!db.get key:city\n!!db.list")
    assert outcome.state is JobState.FINISHED
    assert [item["result"] for item in outcome.value] == ["city", "ghent", ["city"]]
    assert run(osis, 'db_get("city")', runner_type="osis").value == "ghent"


def test_job_run_uses_notebook_session(herodb):
    osis, python = make_runners(herodb)
    first = run(osis, "let base = 40;", runner_type="osis")
    outcome = run(python, "!!job.run script:'base + 2'", session=first.session)
    assert outcome.state is JobState.FINISHED
    assert outcome.value[0]["result"] == 42
    assert outcome.session["version"] == first.session["version"] + 1


def test_rhai_error_inside_job_run_keeps_kind(herodb):
    _, python = make_runners(herodb)
    outcome = run(python, "!!job.run script:'missing_thing + 1'")
    assert outcome.state is JobState.ERROR
    assert outcome.error.kind == "ErrorVariableNotFound"
    assert "!!job.run (line 1)" in outcome.error.message


def test_unhandled_action_lists_leftovers(herodb):
    _, python = make_runners(herodb)
    outcome = run(python, "!!core.echo text:hi\n!!nobody.listens to:me")
    assert outcome.state is JobState.ERROR
    assert outcome.error.kind == "UnhandledActions"
    assert "!!nobody.listens to:me" in outcome.error.message
    assert outcome.output == ["hi"]


def test_parse_error_has_line(herodb):
    _, python = make_runners(herodb)
    outcome = run(python, "!!core.echo text:hi\n!!a.b.c x:1")
    assert outcome.state is JobState.ERROR
    assert outcome.error.kind == "HeroScriptError"
    assert outcome.error.line == 2
