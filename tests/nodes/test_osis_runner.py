"""The osis runner with a real HeroDB and Rhai engine, outside Dask."""

import pytest

from herolib.models import Job, new_id
from herolib.states import JobState
from nodes.execution import Execution
from nodes.herodb import HeroDB
from nodes.runners.osis import OsisRunner


def run(runner, script, context="ctx", **fields):
    job = Job(id=new_id("j-"), flow="f", context=context, script=script, **fields)
    events = []
    outcome = runner.run(job, Execution(job, runner.node, events.append))
    return outcome, events


def test_print_lines_become_events_and_output(herodb):
    runner = OsisRunner("n1", herodb)
    outcome, events = run(runner, 'print("a"); debug("b"); 5')
    assert outcome.state is JobState.FINISHED
    assert outcome.value == 5
    assert [event["text"] for event in events] == ["a", '"b" (line 1, column 13)']
    assert [event["stream"] for event in events] == ["stdout", "debug"]


def test_job_limit_overrides_runner_default(herodb):
    runner = OsisRunner("n1", herodb)
    outcome, _ = run(
        runner, "let n = 0; loop { n += 1; }", limits={"max_operations": 1000}
    )
    assert outcome.state is JobState.ERROR
    assert outcome.error.kind == "ErrorTooManyOperations"
    assert "max_operations" in outcome.error.message


def test_runner_limit_applies_to_every_job(herodb):
    runner = OsisRunner("n1", herodb, limits={"max_string_size": 10})
    outcome, _ = run(runner, 'let s = ""; for i in 0..50 { s += "x" } s')
    assert outcome.state is JobState.ERROR
    assert "max_string_size" in outcome.error.message


def test_unknown_limit_rejected(herodb):
    with pytest.raises(ValueError, match="max_speed"):
        OsisRunner("n1", herodb, limits={"max_speed": 3})


def test_session_moves_to_another_node(herodb, tmp_path):
    first = OsisRunner("n1", herodb)
    defined, _ = run(first, "const BASE = 40; fn add(x, y) { x + y } let total = 2;")
    assert defined.state is JobState.FINISHED

    other_db = HeroDB(tmp_path / "other")
    other_db.start()
    try:
        second = OsisRunner("n2", other_db)
        outcome, _ = run(second, "add(BASE, total)", session=defined.session)
        assert outcome.state is JobState.FINISHED
        assert outcome.value == 42
        assert outcome.session["version"] == defined.session["version"] + 1
    finally:
        other_db.stop()


def test_cached_session_skips_restore_of_same_version(herodb):
    runner = OsisRunner("n1", herodb)
    first, _ = run(runner, "let handle = timestamp(); let n = 1;")
    assert first.session["dropped"] == ["handle"]
    # The same version comes back: the node keeps its own session, timestamp included.
    outcome, _ = run(runner, "type_of(handle)", session=first.session)
    assert outcome.value == "timestamp"


def test_namespace_summary_comes_with_outcome(herodb):
    runner = OsisRunner("n1", herodb)
    outcome, _ = run(runner, "/// Says hi.\nfn hi() { 1 }\nlet word = `x`;")
    assert outcome.namespace["variables"][0]["name"] == "word"
    assert outcome.namespace["functions"][0]["name"] == "hi"


def test_engine_reaches_host_only_through_registered_functions(herodb):
    from nodes.rhai import Engine
    from nodes.runners.herodb_functions import register_herodb

    engine = Engine()
    register_herodb(engine, herodb.client("ctx"))
    registered = {
        info.name for info in engine.functions() if info.origin == "registered"
    }
    assert registered == {"db_set", "db_get", "db_delete", "db_exists", "db_keys"}
    runner = OsisRunner("n1", herodb)
    for script in (
        'import "/etc/hostname" as h;',
        'open("/etc/hostname")',
        'system("id")',
    ):
        outcome, _ = run(runner, script)
        assert outcome.state is JobState.ERROR, script
        assert outcome.error.kind in ("ErrorModuleNotFound", "ErrorFunctionNotFound"), (
            script
        )


def test_herodb_keeps_value_types(herodb):
    runner = OsisRunner("n1", herodb)
    script = (
        "db_set(\"k\", #{c: 'x', b: blob(2, 7), f: 0.0 / 0.0, n: [1, ()]});"
        'let v = db_get("k"); [type_of(v.c), type_of(v.b), v.f.is_nan(), v.n[1] == ()]'
    )
    outcome, _ = run(runner, script)
    assert outcome.state is JobState.FINISHED, outcome.error
    assert outcome.value == ["char", "blob", True, True]


def test_herodb_rejects_unstorable_value(herodb):
    runner = OsisRunner("n1", herodb)
    outcome, _ = run(runner, 'db_set("when", timestamp())')
    assert outcome.state is JobState.ERROR
    assert "db_set: a value of type Timestamp cannot be stored" in outcome.error.message


def test_job_modules_resolve_imports(herodb):
    runner = OsisRunner("n1", herodb)
    modules = {"units": "export const KM = 1000;\nfn to_m(km, per_km) { km * per_km }"}
    outcome, _ = run(runner, 'import "units" as u; u::to_m(3, u::KM)', modules=modules)
    assert outcome.value == 3000
    broken, _ = run(runner, "1", modules={"units": "fn to_m( {"})
    assert broken.state is JobState.ERROR
    assert "in module 'units'" in broken.error.message
