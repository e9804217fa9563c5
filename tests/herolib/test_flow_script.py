"""Flows as HeroScript: reading ``!!flow.*`` actions into flows and writing flows back."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herolib.flow_script import (
    FlowScriptError,
    flow_id_prefix,
    flow_to_heroscript,
    has_flow_actions,
    read_flows,
)
from herolib.flows import Flow, FlowJob, InvalidFlowError
from herolib.heroscript import HeroScriptError, Playbook
from herolib.heroscript.text import trim_space
from herolib.models import RUNNER_TYPES, new_id

# database=None keeps hypothesis from writing an example folder into the work tree.
PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

DEPLOY = """\
# Deploy

!!flow.define name:deploy

!!flow.job name:build
    script:'
        let parts = [1, 2, 3];
        print("built");
        parts.len()
        '

!!flow.job name:check depends:build retries:2 timeout:2.5
    runner:python node:node-1
    script:'!!core.echo text:checked'

!!flow.run name:deploy
"""


def read_error(text, base_dir=None) -> FlowScriptError:
    with pytest.raises(FlowScriptError) as caught:
        read_flows(text, "ctx", base_dir)
    return caught.value


# -- reading ---------------------------------------------------------------------


def test_read_flows_builds_defined_flow():
    script = read_flows(DEPLOY, "ctx")
    flow = script.flows["deploy"]
    assert flow.name == "deploy"
    assert flow.context == "ctx"
    assert flow.id.startswith("ctx.flow-")
    assert flow.jobs == (
        FlowJob(
            name="build",
            script='let parts = [1, 2, 3];\nprint("built");\nparts.len()',
        ),
        FlowJob(
            name="check",
            script="!!core.echo text:checked",
            runner="python",
            depends=("build",),
            timeout=2.5,
            retries=2,
            node="node-1",
        ),
    )
    assert script.runs == (flow,)


def test_read_flows_id_prefix_names_context():
    assert flow_id_prefix("notes") == "notes.flow-"
    first = read_flows(DEPLOY, "notes").runs[0]
    second = read_flows(DEPLOY, "notes").runs[0]
    assert first.id.startswith("notes.flow-")
    assert first.id != second.id


def test_job_attaches_to_latest_define():
    script = read_flows(
        "!!flow.define name:a\n"
        "!!flow.job name:one script:1\n"
        "!!flow.define name:b\n"
        "!!flow.job name:two script:2\n"
        "!!flow.job name:three script:3\n",
        "ctx",
    )
    assert [job.name for job in script.flows["a"].jobs] == ["one"]
    assert [job.name for job in script.flows["b"].jobs] == ["two", "three"]
    assert script.runs == ()


def test_job_flow_param_names_its_flow():
    script = read_flows(
        "!!flow.define name:a\n"
        "!!flow.define name:b\n"
        "!!flow.job name:one script:1 flow:a\n"
        "!!flow.job name:two script:2\n",
        "ctx",
    )
    assert [job.name for job in script.flows["a"].jobs] == ["one"]
    assert [job.name for job in script.flows["b"].jobs] == ["two"]


def test_runs_keep_order_of_run_actions():
    script = read_flows(
        "!!flow.define name:a\n!!flow.job name:x script:1\n"
        "!!flow.define name:b\n!!flow.job name:y script:2\n"
        "!!flow.run name:b\n!!flow.run name:a\n",
        "ctx",
    )
    assert [flow.name for flow in script.runs] == ["b", "a"]
    assert list(script.flows) == ["a", "b"]


def test_flow_run_twice_gets_two_ids():
    script = read_flows(
        "!!flow.define name:a\n!!flow.job name:x script:1\n"
        "!!flow.run name:a\n!!flow.run name:a\n",
        "ctx",
    )
    first, second = script.runs
    assert first.id != second.id
    assert second.id.startswith("ctx.flow-")
    assert first.jobs == second.jobs
    assert script.flows["a"] is first


def test_job_depends_reads_list_forms():
    script = read_flows(
        "!!flow.define name:a\n"
        "!!flow.job name:x script:1\n"
        "!!flow.job name:y script:2\n"
        "!!flow.job name:z script:3 depends:'x, y'\n"
        "!!flow.job name:w script:4 depends:[x,y]\n"
        "!!flow.job name:v script:5 depends:''\n",
        "ctx",
    )
    flow = script.flows["a"]
    assert flow.step("z").depends == ("x", "y")
    assert flow.step("w").depends == ("x", "y")
    assert flow.step("v").depends == ()


def test_parameter_keys_ignore_case():
    script = read_flows("!!flow.define Name:a\n!!flow.job NAME:x Script:1\n", "ctx")
    assert script.flows["a"].step("x").script == "1"


def test_read_flows_accepts_playbook_and_marks_done():
    playbook = Playbook(DEPLOY + "\n!!core.echo text:after\n")
    read_flows(playbook, "ctx")
    assert [action.key for action in playbook.pending()] == ["core.echo"]
    assert playbook.to_heroscript() == "!!core.echo text:after\n"


def test_read_flows_error_marks_nothing_done():
    playbook = Playbook("!!flow.define name:a\n!!flow.job name:x script:1 retries:x\n")
    with pytest.raises(FlowScriptError):
        read_flows(playbook, "ctx")
    assert [action.done for action in playbook.actions] == [False, False]


def test_read_flows_rejects_empty_context():
    with pytest.raises(InvalidFlowError, match="context"):
        read_flows(DEPLOY, "")


def test_read_flows_leaves_other_actions():
    script = read_flows("!!core.echo text:hi\n!!db.set key:a value:1\n", "ctx")
    assert script.flows == {}
    assert script.runs == ()


# -- reading errors ----------------------------------------------------------------


def test_job_before_any_define_rejected():
    error = read_error("!!core.echo text:hi\n!!flow.job name:x script:1\n")
    assert error.line == 2
    assert "line 2" in str(error)
    assert "!!flow.define" in str(error)


def test_job_flow_param_unknown_flow_rejected():
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x script:1 flow:missing\n"
    )
    assert error.line == 2
    assert error.text == "missing"
    assert "defined flows: a" in str(error)


def test_run_of_unknown_flow_rejected():
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x script:1\n!!flow.run name:b\n"
    )
    assert error.line == 3
    assert error.text == "b"
    assert "defined flows: a" in str(error)
    assert "!!flow.define name:b" in str(error)


def test_run_before_define_rejected():
    error = read_error(
        "!!flow.run name:a\n!!flow.define name:a\n!!flow.job name:x script:1\n"
    )
    assert error.line == 1
    assert error.text == "a"


def test_job_after_run_of_its_flow_rejected():
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x script:1\n"
        "!!flow.run name:a\n!!flow.job name:y script:2\n"
    )
    assert error.line == 4
    assert error.text == "y"
    assert "line 3" in error.message


def test_duplicate_define_rejected():
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x script:1\n!!flow.define name:a\n"
    )
    assert error.line == 3
    assert "line 1" in error.message


def test_duplicate_job_name_rejected():
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x script:1\n!!flow.job name:x script:2\n"
    )
    assert error.line == 3
    assert error.text == "x"
    assert "line 2" in error.message


@pytest.mark.parametrize(
    ("text", "line", "value"),
    [
        ("!!flow.define name:a colour:red\n", 1, "colour:red"),
        ("!!flow.define name:a\n!!flow.job name:x script:1 retry:2\n", 2, "retry:2"),
        (
            "!!flow.define name:a\n!!flow.job name:x script:1\n!!flow.run name:a now:1\n",
            3,
            "now:1",
        ),
    ],
)
def test_unknown_param_rejected(text, line, value):
    error = read_error(text)
    assert error.line == line
    assert error.text == value
    assert "unknown parameter" in error.message


def test_positional_argument_rejected():
    error = read_error("!!flow.define deploy\n")
    assert error.line == 1
    assert error.text == "deploy"
    assert "name:deploy" in error.message


def test_unknown_flow_action_rejected():
    error = read_error("!!flow.start name:a\n")
    assert error.line == 1
    assert error.text == "!!flow.start"


@pytest.mark.parametrize(
    "text",
    [
        "!!flow.define\n",
        "!!flow.define name:''\n",
        "!!flow.define name:a\n!!flow.job script:1\n",
        "!!flow.define name:a\n!!flow.job name:x script:1\n!!flow.run\n",
    ],
)
def test_missing_name_rejected(text):
    error = read_error(text)
    assert error.line == text.count("\n")
    assert "name:" in error.message


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("timeout", "ten"),
        ("timeout", "0"),
        ("timeout", "-1"),
        ("timeout", "1e999"),
        ("timeout", "10s"),
        ("retries", "x"),
        ("retries", "-1"),
        ("retries", "1.5"),
    ],
)
def test_bad_number_rejected(param, value):
    error = read_error(
        f"!!flow.define name:a\n!!flow.job name:x script:1 {param}:{value}\n"
    )
    assert error.line == 2
    assert error.text == value
    assert param in error.message
    assert "such as" in error.message


def test_numbers_read():
    flow = read_flows(
        "!!flow.define name:a\n!!flow.job name:x script:1 timeout:1e3 retries:007\n",
        "ctx",
    ).flows["a"]
    assert flow.step("x").timeout == 1000.0
    assert flow.step("x").retries == 7


def test_unknown_runner_rejected():
    error = read_error("!!flow.define name:a\n!!flow.job name:x script:1 runner:perl\n")
    assert error.line == 2
    assert error.text == "perl"
    assert "osis" in error.message


def test_empty_node_rejected():
    error = read_error("!!flow.define name:a\n!!flow.job name:x script:1 node:''\n")
    assert error.line == 2
    assert "node:" in error.message


def test_invalid_job_name_rejected():
    error = read_error("!!flow.define name:a\n!!flow.job name:_x script:1\n")
    assert error.line == 2
    assert error.text == "_x"
    assert "invalid job name" in error.message


def test_both_script_and_file_rejected(tmp_path):
    (tmp_path / "x.rhai").write_text("1")
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x script:1 file:x.rhai\n", tmp_path
    )
    assert error.line == 2
    assert "keep one" in error.message


def test_job_without_script_rejected():
    error = read_error("!!flow.define name:a\n!!flow.job name:x\n")
    assert error.line == 2
    assert "script:" in error.message


def test_file_script_read_from_base_dir(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "build.rhai").write_text(
        "let x = 'é';\n\nx\n", encoding="utf-8"
    )
    flow = read_flows(
        "!!flow.define name:a\n!!flow.job name:x file:jobs/build.rhai\n",
        "ctx",
        tmp_path,
    ).flows["a"]
    assert flow.step("x").script == "let x = 'é';\n\nx\n"


def test_missing_file_rejected(tmp_path):
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x file:gone.rhai\n", tmp_path
    )
    assert error.line == 2
    assert error.text == "gone.rhai"
    assert "not found" in error.message


def test_file_folder_rejected(tmp_path):
    (tmp_path / "jobs").mkdir()
    error = read_error("!!flow.define name:a\n!!flow.job name:x file:jobs\n", tmp_path)
    assert "not found" in error.message


@pytest.mark.parametrize("path", ["../outside.rhai", "jobs/../../outside.rhai"])
def test_file_outside_base_dir_rejected(tmp_path, path):
    base = tmp_path / "base"
    (base / "jobs").mkdir(parents=True)
    (tmp_path / "outside.rhai").write_text("1")
    error = read_error(f"!!flow.define name:a\n!!flow.job name:x file:{path}\n", base)
    assert error.line == 2
    assert error.text == path
    assert "outside" in error.message


def test_file_absolute_path_outside_rejected(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    outside = tmp_path / "outside.rhai"
    outside.write_text("1")
    error = read_error(
        f"!!flow.define name:a\n!!flow.job name:x file:{outside}\n", base
    )
    assert "outside" in error.message


def test_file_symlink_outside_rejected(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (tmp_path / "outside.rhai").write_text("1")
    os.symlink(tmp_path / "outside.rhai", base / "link.rhai")
    error = read_error("!!flow.define name:a\n!!flow.job name:x file:link.rhai\n", base)
    assert "outside" in error.message


def test_file_without_base_dir_rejected():
    error = read_error("!!flow.define name:a\n!!flow.job name:x file:x.rhai\n")
    assert error.line == 2
    assert "script:" in error.message


def test_file_not_utf8_rejected(tmp_path):
    (tmp_path / "x.rhai").write_bytes(b"\xff\xfe")
    error = read_error(
        "!!flow.define name:a\n!!flow.job name:x file:x.rhai\n", tmp_path
    )
    assert "UTF-8" in error.message


def test_unknown_dependency_rejected_at_job_line():
    error = read_error(
        "!!flow.define name:a\n"
        "!!flow.job name:x script:1\n"
        "!!flow.job name:y script:2 depends:x,z\n"
    )
    assert error.line == 3
    assert error.text == "z"
    assert "its jobs are x, y" in error.message


def test_cycle_rejected_with_lines():
    error = read_error(
        "!!flow.define name:a\n"
        "!!flow.job name:x script:1 depends:z\n"
        "!!flow.job name:y script:2 depends:x\n"
        "!!flow.job name:z script:3 depends:y\n"
    )
    assert error.line in (2, 3, 4)
    assert "cycle" in error.message
    assert "lines" in error.message
    assert error.text.count("->") == 3


def test_self_dependency_rejected():
    error = read_error("!!flow.define name:a\n!!flow.job name:x script:1 depends:x\n")
    assert error.line == 2
    assert "depends on itself" in error.message


def test_flow_without_jobs_rejected():
    error = read_error(
        "!!flow.define name:a\n!!flow.define name:b\n!!flow.job name:x script:1\n"
    )
    assert error.line == 1
    assert error.text == "a"
    assert "no jobs" in error.message


def test_errors_are_flow_and_heroscript_errors():
    error = read_error("!!flow.run name:a\n")
    assert isinstance(error, InvalidFlowError)
    assert isinstance(error, HeroScriptError)
    assert str(error).startswith("line 1: ")
    assert str(error).endswith(": 'a'")


def test_error_names_source_file(tmp_path):
    (tmp_path / "flows.hero").write_text(
        "!!flow.define name:a\n!!flow.job name:x script:1 retries:many\n"
    )
    playbook = Playbook(path=tmp_path / "flows.hero")
    with pytest.raises(FlowScriptError) as caught:
        read_flows(playbook, "ctx", tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'flows.hero'}, line 2: ")


# -- has_flow_actions --------------------------------------------------------------


def test_has_flow_actions_on_text():
    assert has_flow_actions(DEPLOY)
    assert has_flow_actions("text\n\n!!flow.run name:a\n")
    assert not has_flow_actions("!!core.echo text:flow.run\n")
    assert not has_flow_actions("")


def test_has_flow_actions_on_playbook_with_include(tmp_path):
    (tmp_path / "flows.hero").write_text(DEPLOY)
    (tmp_path / "main.hero").write_text("!!play.include path:flows.hero\n")
    assert has_flow_actions(Playbook(path=tmp_path / "main.hero"))
    assert not has_flow_actions((tmp_path / "main.hero").read_text())


def test_has_flow_actions_raises_on_invalid_text():
    with pytest.raises(HeroScriptError):
        has_flow_actions("!!a.b.c x:1\n")


# -- writing -----------------------------------------------------------------------


def flow_of(*jobs, name="deploy"):
    return Flow(id=new_id("t."), name=name, context="ctx", jobs=jobs)


def test_flow_to_heroscript_writes_define_jobs_run():
    flow = flow_of(
        FlowJob("build", "40 + 2"),
        FlowJob("check", 'print("ok");\ninput.build', depends=("build",), retries=1),
    )
    assert flow_to_heroscript(flow) == (
        "!!flow.define name:deploy\n"
        "\n"
        "!!flow.job name:build script:'40 + 2'\n"
        "\n"
        "!!flow.job name:check depends:build retries:1\n"
        "    script:'\n"
        '        print("ok");\n'
        "        input.build\n"
        "    '\n"
        "\n"
        "!!flow.run name:deploy\n"
    )


def test_flow_to_heroscript_omits_defaults():
    text = flow_to_heroscript(flow_of(FlowJob("build", "1")))
    for key in ("runner", "depends", "timeout", "retries", "node"):
        assert f"{key}:" not in text


def test_flow_to_heroscript_writes_every_field():
    job = FlowJob(
        "check",
        "!!core.echo text:'it is done'",
        runner="python",
        depends=("a", "b"),
        timeout=90,
        retries=3,
        node="node 2",
    )
    flow = flow_of(FlowJob("a", "1"), FlowJob("b", "2"), job)
    back = read_flows(flow_to_heroscript(flow), "ctx").flows["deploy"]
    assert back.jobs == flow.jobs
    assert "timeout:90" in flow_to_heroscript(flow)


def test_flow_to_heroscript_trims_script():
    flow = flow_of(FlowJob("build", "\n  let x = 1;\n  x\n\n"))
    back = read_flows(flow_to_heroscript(flow), "ctx").flows["deploy"]
    assert back.step("build").script == "let x = 1;\n  x"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("let a = \"x\";\nlet b = 'y';", "both ' and \""),
        ("if x {\n\tprint(1);\n}", "tab"),
        ("let a = 1;\r\na", "carriage return"),
        ('let a = "x";\n\na', "blank line"),
        ('let a = "x";\n!a', "starting with !"),
        ('print(1);\n"', "only quotes"),
        ("print(`a\\\\nb`)", "\\\\n"),
    ],
)
def test_flow_to_heroscript_rejects_unwritable_script(script, reason):
    flow = flow_of(FlowJob("build", script))
    with pytest.raises(FlowScriptError) as caught:
        flow_to_heroscript(flow)
    assert "job build: script" in caught.value.message
    assert reason in caught.value.message


def test_flow_to_heroscript_rejects_padded_names():
    with pytest.raises(FlowScriptError, match="whitespace") as caught:
        flow_to_heroscript(flow_of(FlowJob("build", "1"), name=" deploy"))
    assert "flow  deploy: name" in caught.value.message
    with pytest.raises(FlowScriptError, match="job build: node"):
        flow_to_heroscript(flow_of(FlowJob("build", "1", node="node-1 ")))


def test_flow_to_heroscript_rejects_unreadable_timeout():
    flow = flow_of(FlowJob("build", "1", timeout=10**400))
    with pytest.raises(FlowScriptError, match="job build: timeout"):
        flow_to_heroscript(flow)


@pytest.mark.parametrize("timeout", [float("inf"), float("nan")])
def test_flow_job_rejects_timeout_that_is_not_finite(timeout):
    with pytest.raises(InvalidFlowError, match="timeout must be a positive number"):
        FlowJob("build", "1", timeout=timeout)


# -- round trip -------------------------------------------------------------------

JOB_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,10}", fullmatch=True)
LETTERS = "abcxyzABC019éüßж中文🙂"
WRITABLE_CHARS = LETTERS + " _+-*/=<>()[]{};:,.`$#@%&|~?!"
# Pieces of HeroScript syntax, so that generated scripts hit its special cases often.
SYNTAX_PIECES = [
    *"'\"\n\t\r !/:,\\abc中",
    "\n!",
    "//",
    "<BR>",
    "\\\\n",
    "\\'",
    "key:'",
    "\n  '",
]
ANY_SCRIPTS = st.text(max_size=60) | st.lists(
    st.sampled_from(SYNTAX_PIECES), max_size=30
).map("".join)
LABELS = st.text(alphabet=LETTERS + " -", min_size=1, max_size=12).map(trim_space)


@st.composite
def writable_scripts(draw):
    """Scripts with a HeroScript form: one kind of quote, lines not starting with ``!``."""
    quote = draw(st.sampled_from(["'", '"']))
    # The quote is listed several times so that most lines contain one.
    rest = st.lists(st.sampled_from([*WRITABLE_CHARS, *[quote] * 8]), max_size=30)
    line = st.builds(
        lambda first, chars: first + "".join(chars),
        st.sampled_from(LETTERS),
        rest,
    )
    # A block drops blank lines and a one-line value cannot hold ", so only scripts
    # without " may have blank lines.
    lines = line | st.just("") if quote == "'" else line
    return trim_space("\n".join(draw(st.lists(lines, min_size=1, max_size=6))))


@st.composite
def flows(draw, scripts):
    count = draw(st.integers(1, 6))
    names = draw(st.lists(JOB_NAMES, min_size=count, max_size=count, unique=True))
    jobs = []
    for index, name in enumerate(names):
        depends = []
        if index:
            depends = draw(st.lists(st.sampled_from(names[:index]), unique=True))
        jobs.append(
            FlowJob(
                name=name,
                script=draw(scripts),
                runner=draw(st.sampled_from(RUNNER_TYPES)),
                depends=tuple(depends),
                timeout=draw(
                    st.none()
                    | st.integers(1, 10**6)
                    | st.floats(1e-3, 1e6, allow_nan=False, allow_infinity=False)
                ),
                retries=draw(st.integers(0, 10**6)),
                node=draw(st.none() | LABELS.filter(bool)),
            )
        )
    order = draw(st.permutations(jobs))
    name = draw(LABELS.filter(bool))
    return Flow(id=new_id("t."), name=name, context="ctx", jobs=tuple(order))


@PROPERTY_SETTINGS
@given(flows(writable_scripts()))
def test_round_trip_gives_equal_flow(flow):
    script = read_flows(flow_to_heroscript(flow), "ctx")
    assert list(script.flows) == [flow.name]
    back = script.flows[flow.name]
    assert back.jobs == flow.jobs
    assert [run.name for run in script.runs] == [flow.name]


@PROPERTY_SETTINGS
@given(flows(ANY_SCRIPTS))
def test_any_script_round_trips_or_raises(flow):
    try:
        text = flow_to_heroscript(flow)
    except FlowScriptError as exc:
        assert "cannot be written as HeroScript" in exc.message
        return
    back = read_flows(text, "ctx").flows[flow.name]
    assert [job.script for job in back.jobs] == [
        trim_space(job.script) for job in flow.jobs
    ]
    assert [(job.name, job.depends) for job in back.jobs] == [
        (job.name, job.depends) for job in flow.jobs
    ]


def test_reader_names_unknown_dependencies_and_cycle_path():
    with pytest.raises(FlowScriptError) as unknown:
        read_flows(
            "!!flow.define name:r\n"
            "!!flow.job name:a script:1\n"
            "!!flow.job name:b depends:'a,ghost1,ghost2' script:2\n",
            "ctx",
        )
    assert "depends on job(s) ghost1, ghost2 that flow r does not have" in str(
        unknown.value
    )
    with pytest.raises(FlowScriptError) as cycle:
        read_flows(
            "!!flow.define name:r\n"
            "!!flow.job name:a depends:b script:1\n"
            "!!flow.job name:b depends:a script:2\n",
            "ctx",
        )
    assert "form a cycle: a -> b -> a" in str(cycle.value)
