"""%%job cells, %flow, flow playbooks and %connect through a real hero kernel."""

from __future__ import annotations

import asyncio
import re
import socket

import psutil
import pytest

from coordinator.client import CoordinatorClient
from herolib.flow_script import read_flows

FLOW_ID = re.compile(r"nb-[0-9a-f]{16}\.flow-[0-9a-f]{16}")


@pytest.fixture
def run(kernel, execute):
    """Run a cell on the shared kernel, with no job left in its flow afterwards."""
    yield lambda code: execute(kernel[1], code)
    reply, _ = execute(kernel[1], "%flow remove --all")
    assert reply["status"] == "ok"


def text_of(outputs, name="stdout"):
    return "".join(
        msg["content"]["text"]
        for msg in outputs
        if msg["msg_type"] == "stream" and msg["content"]["name"] == name
    )


def summary_of(outputs):
    """Return the text form of a flow view's last display: the flow's summary."""
    texts = [
        msg["content"]["data"].get("text/plain", "")
        for msg in outputs
        if msg["msg_type"] == "display_data"
    ]
    return next(text for text in reversed(texts) if text)


def result_of(outputs):
    [result] = [
        msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"
    ]
    return result


def flow_id_in(text):
    found = FLOW_ID.search(text)
    assert found is not None, text
    return found.group(0)


def test_job_cell_defines_without_running(run):
    reply, outputs = run('%%job mark\nprint("mark ran");\n1')
    assert reply["status"] == "ok"
    assert text_of(outputs) == (
        "job mark defined (osis runner); the notebook's flow has 1 job\n"
    )
    assert [msg for msg in outputs if msg["msg_type"] == "execute_result"] == []

    reply, outputs = run("%%job mark --after base --retries 2\n2")
    assert reply["status"] == "ok"
    assert text_of(outputs).startswith("job mark replaced (osis runner; after base)")
    run("%%job base\n!!core.echo text:hi")
    _, shown = run("%flow show")
    assert text_of(shown) == (
        "the notebook's flow: 2 jobs\n"
        "  base  python\n"
        "  mark  osis    after base; retries 2\n"
    )


def test_job_cell_renamed_replaces_its_job(run, kernel, execute_in_cell):
    client = kernel[1]
    first, _ = execute_in_cell(client, "%%job draft\n1", "cell-rename")
    assert first["status"] == "ok"
    reply, outputs = execute_in_cell(client, "%%job final\n1", "cell-rename")
    assert reply["status"] == "ok"
    assert "in place of job draft" in text_of(outputs)
    _, shown = run("%flow show")
    assert "draft" not in text_of(shown)
    assert "final" in text_of(shown)


@pytest.mark.parametrize(
    ("code", "ename", "expected"),
    [("%%job a --retries -1\n1", "UsageError", "--retries: expected a whole number >= 0"),
     ("%%job a --timeout 0\n1", "UsageError", "positive number of seconds"),
     ("%%job a --runner perl\n1", "UsageError", "invalid choice: 'perl'"),
     ("%%job a --colour red\n1", "UsageError", "unrecognized arguments: --colour"),
     ("%%job\n1", "UsageError", "required: NAME"),
     ("%%job 'two words'\n1", "InvalidFlowError", "invalid job name 'two words'"),
     ("%%job a --after a\n1", "InvalidFlowError", "job a depends on itself"),
     ("%%job a\n", "InvalidFlowError", "job a has no script"),
     ("%%job a\n%%python\n1", "InvalidFlowError", "%%python cells cannot be jobs"),
     ("%%job a\nlet x = 1;\nlet = 2;", "ErrorParsing", "job a: Syntax error"),
     ("%%job a 'unclosed\n1", "UsageError", "cannot split the arguments")],
)  # fmt: skip
def test_job_cell_rejects_bad_definition(run, code, ename, expected):
    reply, outputs = run(code)
    assert reply["status"] == "error"
    assert reply["ename"] == ename
    assert expected in reply["evalue"]
    _, shown = run("%flow show")
    assert "has no jobs yet" in text_of(shown)


def test_job_syntax_error_points_into_cell(run):
    reply, _ = run("%%job a\nlet x = 1;\nlet = 2;")
    assert "(line 3, column 5)" in reply["evalue"]
    assert reply["traceback"][1] == "   3 | let = 2;"


@pytest.mark.parametrize(
    ("code", "usage"),
    [("%%job --help", "usage: %%job"), ("%flow --help", "usage: %flow"),
     ("%flow", "usage: %flow"), ("%flow run --help", "usage: %flow run"),
     ("%flow show --help", "usage: %flow show"),
     ("%flow list --help", "usage: %flow list"),
     ("%flow status --help", "usage: %flow status"),
     ("%flow cancel --help", "usage: %flow cancel"),
     ("%flow retry --help", "usage: %flow retry"),
     ("%flow export --help", "usage: %flow export"),
     ("%flow remove --help", "usage: %flow remove"),
     ("%connect --help", "usage: %connect")],
)  # fmt: skip
def test_magic_help(run, code, usage):
    reply, outputs = run(code)
    assert reply["status"] == "ok"
    text = text_of(outputs)
    assert text.startswith(usage)
    assert "options:" in text


def test_flow_command_errors_stay_in_cell(run, kernel):
    for code, expected in [
        ("%flow launch", "invalid choice: 'launch'"),
        ("%flow list --limit 0", "--limit must be 1 or more"),
        ("%flow remove", "names of the jobs to remove or --all"),
        ("%flow remove ghost", "has no job(s) ghost, so nothing was removed"),
    ]:
        reply, _ = run(code)
        assert reply["status"] == "error", code
        assert expected in reply["evalue"], code
    reply, _ = run("%flow run")
    assert reply["ename"] == "InvalidFlowError"
    assert "has no jobs" in reply["evalue"]
    assert kernel[0].is_alive()


def test_failed_job_skips_dependent_only(run):
    run('%%job source\nprint("making 21");\n21')
    run("%%job double --after source\ninput.source * 2")
    run('%%job broken\nthrow "no disk"')
    run("%%job after_broken --after broken\n1")
    reply, outputs = run("%flow run checks --text")
    assert reply["status"] == "error"
    assert reply["ename"] == "FlowError"
    assert "ended in state error; 2 finished, 1 error, 1 skipped" in reply["evalue"]
    text = text_of(outputs)
    flow_id = flow_id_in(text)
    assert text.startswith(f"flow checks ({flow_id}): 4 jobs\n")
    assert "[source] making 21\n" in text
    assert "broken: error on node-" in text
    assert "after_broken: skipped because broken did not finish\n" in text
    summary = text[text.index(f"flow checks ({flow_id}): error") :].splitlines()
    assert summary[0].endswith("; 2 finished, 1 error, 1 skipped")
    lines = {line.split()[0]: line for line in summary[1:]}
    assert lines["source"].split()[1] == "finished"
    assert lines["source"].endswith(": 21")
    assert lines["double"].endswith(": 42")
    assert "Runtime error: no disk" in lines["broken"]
    assert lines["after_broken"].split()[1:] == [
        "skipped", "because", "broken", "did", "not", "finish",
    ]  # fmt: skip
    result = result_of(outputs)
    assert result["data"]["application/json"] == {"source": 21, "double": 42}
    assert result["metadata"]["hero"] == {"flow": flow_id, "state": "error"}


def test_graph_view_shows_live_dag_then_final_state(run, kernel, execute_in_cell):
    run('%%job source\nprint("making 21");\n21')
    run("%%job double --after source\ninput.source * 2")
    run('%%job broken\nthrow "no disk"')
    reply, outputs = execute_in_cell(kernel[1], "%flow run graphs", "cell-graph")
    assert reply["status"] == "error"
    kinds = [msg["msg_type"] for msg in outputs]

    [opened] = [
        msg["content"] for msg in outputs
        if msg["msg_type"] == "comm_open"
        and msg["content"]["data"]["state"].get("_model_name") == "AnyModel"
    ]  # fmt: skip
    state = opened["data"]["state"]
    assert [card["name"] for card in state["graph"]["cards"]] == [
        "source", "double", "broken",
    ]  # fmt: skip
    assert {entry["state"] for entry in state["jobs"].values()} == {"pending"}

    first = outputs[kinds.index("display_data")]["content"]
    assert first["data"]["text/plain"] == ""
    view = first["data"]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == opened["comm_id"]
    display_id = first["transient"]["display_id"]

    patches = [
        msg["content"]["data"]["content"] for msg in outputs
        if msg["msg_type"] == "comm_msg"
        and msg["content"]["comm_id"] == opened["comm_id"]
        and msg["content"]["data"]["method"] == "custom"
    ]  # fmt: skip
    assert patches, "no live update reached the view"
    assert [patch["version"] for patch in patches] == sorted(
        patch["version"] for patch in patches
    )
    seen = {name for patch in patches for name in patch["jobs"]}
    assert seen == {"source", "double", "broken"}

    [emptied] = [
        msg["content"] for msg in outputs if msg["msg_type"] == "update_display_data"
    ]
    assert emptied["transient"]["display_id"] == display_id
    assert emptied["data"] == {"text/plain": ""}
    final = [msg["content"] for msg in outputs if msg["msg_type"] == "display_data"][-1]
    assert final["data"]["application/vnd.jupyter.widget-view+json"] == view
    summary = final["data"]["text/plain"].splitlines()
    assert summary[0].endswith("; 2 finished, 1 error")
    assert summary[1].split()[:2] == ["source", "finished"]
    svg = final["data"]["image/svg+xml"]
    assert svg.startswith("<svg ")
    assert ">broken</text>" in svg
    assert kinds.index("update_display_data") < len(kinds) - 1 - kinds[::-1].index(
        "display_data"
    )


def test_flow_show_draws_recorded_flow(run):
    run("%%job one\n1")
    run("%%job two --after one\n2")
    _, outputs = run("%flow run shown")
    flow_id = flow_id_in(summary_of(outputs))
    reply, shown = run(f"%flow show {flow_id}")
    assert reply["status"] == "ok"
    [display] = [msg["content"] for msg in shown if msg["msg_type"] == "display_data"]
    data = display["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert (
        data["text/plain"]
        .splitlines()[0]
        .startswith(f"flow shown ({flow_id}): finished")
    )
    assert ">two</text>" in data["image/svg+xml"]


def test_limits_reach_flow_jobs(run):
    run("%limits max_operations=1000")
    try:
        run("%%job spin\nlet n = 0; while n < 100_000 { n += 1 } n")
        reply, outputs = run("%flow run")
    finally:
        run("%limits --reset")
    assert reply["status"] == "error"
    [line] = [line for line in summary_of(outputs).splitlines() if "spin" in line]
    assert line.split()[1] == "error"
    assert "ErrorTooManyOperations: Too many operations" in line


def test_results_pass_through_input(run):
    run("%%job size\n#{width: 3, height: 4}")
    run("%%job area --after size\ninput.size.width * input.size.height")
    run("%%job report --after size,area\n!!job.run script:'`${input.area} m2`'")
    reply, outputs = run("%flow run --text")
    assert reply["status"] == "ok"
    results = result_of(outputs)["data"]["application/json"]
    assert results["size"] == {"width": 3, "height": 4}
    assert results["area"] == 12
    assert [action["result"] for action in results["report"]] == ["12 m2"]
    text = text_of(outputs)
    # A job's lines come after the final states of the jobs it runs after.
    assert text.index("size: finished") < text.index("area:")
    assert text.index("area: finished") < text.index("report:")


def test_retry_reruns_failed_and_skipped(run):
    # Flow jobs start from the notebook's session, so a variable set by a later cell
    # makes the retried job pass.
    run('%%job steady\nprint("steady ran");\n1')
    run('%%job flaky\nif !is_def_var("retry_ready") { throw "not yet" }\n2')
    run("%%job needs_flaky --after flaky\ninput.flaky + 1")
    first, first_outputs = run("%flow run")
    assert first["ename"] == "FlowError"
    flow_id = flow_id_in(summary_of(first_outputs))

    run("let retry_ready = true;")
    reply, outputs = run(f"%flow retry {flow_id} --text")
    assert reply["status"] == "ok", reply
    text = text_of(outputs)
    assert text.startswith(f"flow notebook ({flow_id}), run 2: 2 jobs again: ")
    assert "flaky: finished" in text
    assert "needs_flaky: finished" in text
    assert "steady: " not in text
    assert "steady ran" not in text
    assert result_of(outputs)["data"]["application/json"] == {
        "steady": 1,
        "flaky": 2,
        "needs_flaky": 3,
    }

    again, _ = run("%flow retry")
    assert again["ename"] == "FlowError"
    assert "nothing to retry" in again["evalue"]
    _, status = run(f"%flow status {flow_id}")
    assert text_of(status).startswith(f"flow notebook ({flow_id}), run 2: finished")


def test_interrupt_cancels_flow(run, kernel):
    manager, client = kernel
    run('%%job endless\nprint("spinning");\nloop {}')
    run("%%job after_endless --after endless\n1")
    run("%%job quick\n7")
    msg_id = client.execute("%flow run --text")
    seen = ""
    while "[endless] spinning" not in seen:
        message = client.get_iopub_msg(timeout=60)
        if (
            message["parent_header"].get("msg_id") == msg_id
            and message["msg_type"] == "stream"
        ):
            seen += message["content"]["text"]
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=60)["content"]
    assert reply["status"] == "error"
    assert reply["ename"] == "FlowCancelled"
    flow_id = flow_id_in(seen)
    _, status = run(f"%flow status {flow_id}")
    lines = text_of(status).splitlines()
    assert lines[0].startswith(f"flow notebook ({flow_id}): cancelled")
    states = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert states == {
        "endless": "cancelled",
        "after_endless": "skipped",
        "quick": "finished",
    }
    after, _ = run("2 + 2")
    assert after["status"] == "ok"


def test_show_list_status_and_cancel(run):
    run("%%job last --after middle\n3")
    run("%%job middle --after first --timeout 30\n2")
    run("%%job first --node node-0\n1")
    _, shown = run("%flow show")
    assert text_of(shown).splitlines()[1:] == [
        "  first   osis    node node-0",
        "  middle  osis    after first; timeout 30 s",
        "  last    osis    after middle",
    ]
    reply, outputs = run("%flow run ordered")
    assert reply["status"] == "ok"
    flow_id = flow_id_in(summary_of(outputs))
    assert " first   finished  on node-0, 1 try, " in summary_of(outputs)

    _, record = run(f"%flow show {flow_id} --scripts")
    record_lines = text_of(record).splitlines()
    assert record_lines[0].startswith(f"flow ordered ({flow_id}) in context nb-")
    assert record_lines[0].endswith(": finished, run 1")
    assert "  middle  osis    after first; timeout 30 s" in record_lines
    assert "      2" in record_lines

    _, listing = run("%flow list --limit 5")
    rows = text_of(listing).splitlines()
    assert rows[0].split() == ["created", "id", "name", "state", "counts"]
    [row] = [row for row in rows if flow_id in row]
    assert row.split()[3:] == ["ordered", "finished", "3", "jobs:", "3", "finished"]

    _, status = run(f"%flow status {flow_id}")
    assert "; 3 finished" in text_of(status).splitlines()[0]
    _, cancelled = run(f"%flow cancel {flow_id}")
    assert text_of(cancelled) == f"flow {flow_id} is not running; it is finished\n"
    missing, _ = run("%flow status nb-0.flow-missing")
    assert missing["ename"] == "CoordinatorError"
    assert "no flow with id 'nb-0.flow-missing'" in missing["evalue"]


@pytest.mark.parametrize(
    ("cells", "ename", "expected"),
    [(["%%job a --after ghost\n1"], "InvalidFlowError",
      "job a depends on unknown job(s) ghost"),
     (["%%job a --after b\n1", "%%job b --after a\n2"], "InvalidFlowError",
      "the dependencies form a cycle"),
     (["%%job a --node nowhere\n1"], "CoordinatorError",
      "must run on node 'nowhere'"),
     (["%%job a --runner v\n1"], "CoordinatorError",
      "no live node serves the runner(s) v")],
)  # fmt: skip
def test_invalid_flow_is_cell_error(run, cells, ename, expected):
    for cell in cells:
        reply, _ = run(cell)
        assert reply["status"] == "ok"
    reply, _ = run("%flow run")
    assert reply["status"] == "error"
    assert reply["ename"] == ename
    assert expected in reply["evalue"]


def test_export_writes_heroscript_that_reads_back(run, tmp_path):
    run("%%job fetch --timeout 12.5\nlet items = [1, 2, 3];\nitems.len()")
    run("%%job count --after fetch --retries 1 --node node-1\ninput.fetch + 1")
    run("%%job note --after count\n!!core.echo text:done")
    target = tmp_path / "pipeline.hero"
    reply, outputs = run(f"%flow export {target} --name pipeline")
    assert reply["status"] == "ok"
    assert text_of(outputs) == f"wrote flow pipeline (3 jobs) to {target}\n"
    script = read_flows(target.read_text(), "nb-test")
    [flow] = script.runs
    assert flow.name == "pipeline"
    jobs = {job.name: job for job in flow.jobs}
    assert list(jobs) == ["fetch", "count", "note"]
    assert jobs["fetch"].script == "let items = [1, 2, 3];\nitems.len()"
    assert jobs["fetch"].timeout == 12.5
    assert jobs["count"].depends == ("fetch",)
    assert jobs["count"].retries == 1
    assert jobs["count"].node == "node-1"
    assert jobs["note"].runner == "python"

    again, _ = run(f"%flow export {target}")
    assert again["ename"] == "UsageError"
    assert "pass --force" in again["evalue"]
    forced, _ = run(f"%flow export {target} --force")
    assert forced["status"] == "ok"


def test_heroscript_cell_runs_its_flows(run):
    reply, outputs = run(
        "!!flow.define name:sums\n"
        "!!flow.job name:base script:'40'\n"
        "!!flow.job name:total depends:base script:'input.base + 2'\n"
        "!!flow.run name:sums"
    )
    assert reply["status"] == "ok", reply
    text = summary_of(outputs)
    assert FLOW_ID.search(text)
    assert "  total  finished  on node-" in text
    assert result_of(outputs)["data"]["application/json"] == {"base": 40, "total": 42}

    defined, outputs = run("!!flow.define name:later\n!!flow.job name:x script:'1'")
    assert defined["status"] == "ok"
    assert "add !!flow.run name:NAME" in text_of(outputs)

    mixed, _ = run(
        "%%heroscript\n!!flow.define name:m\n!!flow.job name:x script:'1'\n"
        "!!db.set key:k value:v"
    )
    assert mixed["ename"] == "HeroScriptError"
    assert "mixes !!flow actions with !!db.set" in mixed["evalue"]
    assert mixed["evalue"].endswith("(line 4)")
    bad, _ = run("!!flow.define name:b\n!!flow.job name:x script:'1' colour:red")
    assert bad["ename"] == "FlowScriptError"
    assert "unknown parameter 'colour'" in bad["evalue"]
    assert "(line 2)" in bad["evalue"]


def test_connect_to_started_coordinator(
    own_kernel, tmp_path, execute, start_coordinator
):
    coordinator = start_coordinator()
    with own_kernel(tmp_path / "home") as (manager, client):
        shown, outputs = execute(client, "%connect")
        assert "the kernel's embedded coordinator" in text_of(outputs)
        kernel_process = psutil.Process(manager.provisioner.pid)
        [embedded] = [
            child
            for child in kernel_process.children()
            if "coordinator" in " ".join(child.cmdline())
        ]

        reply, outputs = execute(client, f"%connect {coordinator.address}")
        assert reply["status"] == "ok", reply
        assert text_of(outputs).startswith(
            f"{coordinator.address}: the coordinator that %connect chose; nodes: "
        )
        assert not embedded.is_running() or embedded.status() == psutil.STATUS_ZOMBIE

        execute(client, "%%job answer\n6 * 7")
        ran, outputs = execute(client, "%flow run --text")
        assert ran["status"] == "ok"
        flow_id = flow_id_in(text_of(outputs))

        async def record():
            coordinator_client = CoordinatorClient(coordinator.address)
            await coordinator_client.connect()
            try:
                return await coordinator_client.flow_status(flow_id)
            finally:
                await coordinator_client.close()

        found = asyncio.run(record())
        assert found["state"] == "finished"
        assert found["jobs"]["answer"]["outcome"]["value"] == 42

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            silent_address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
        unreachable, _ = execute(client, f"%connect {silent_address}", timeout=30)
        assert unreachable["ename"] == "CoordinatorUnreachable"
        assert silent_address in unreachable["evalue"]
        invalid, _ = execute(client, "%connect localhost:1")
        assert invalid["ename"] == "CoordinatorError"
        assert "invalid coordinator address 'localhost:1'" in invalid["evalue"]
        cell, outputs = execute(client, "%connect")
        assert text_of(outputs).startswith(f"{coordinator.address}: ")
        still, _ = execute(client, "1 + 1")
        assert still["status"] == "ok"

        back, outputs = execute(client, "%connect --embedded")
        assert back["status"] == "ok", back
        assert "the kernel's embedded coordinator" in text_of(outputs)
        assert coordinator.address not in text_of(outputs)


def test_kernel_stays_responsive_during_ten_thousand_job_flow(kernel):
    _, client = kernel
    lines = ["!!flow.define name:big", "!!flow.job name:root script:1"]
    lines += [
        f"!!flow.job name:j{index} depends:root script:'input.root + {index}'"
        for index in range(9_999)
    ]
    lines.append("!!flow.run name:big")
    msg_id = client.execute("\n".join(lines))

    patches_before_reply = 0
    control_replies = 0
    results = None
    deadline = 600
    reply = None
    while reply is None:
        if control_replies == 0 and patches_before_reply > 0:
            # The control channel replies while the flow runs.
            client.control_channel.send(client.session.msg("kernel_info_request"))
            assert (
                client.control_channel.get_msg(timeout=60)["content"]["status"] == "ok"
            )
            control_replies += 1
        while True:
            try:
                message = client.get_iopub_msg(timeout=1)
            except Exception:
                break
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            is_patch = message["msg_type"] == "comm_msg" and (
                message["content"]["data"].get("method") == "custom"
            )
            patches_before_reply += is_patch
            if message["msg_type"] == "execute_result":
                results = message["content"]["data"]["application/json"]
        try:
            reply = client.get_shell_msg(timeout=1)
        except Exception:
            deadline -= 2
            assert deadline > 0, "the flow did not end in time"
    assert reply["content"]["status"] == "ok", reply["content"]
    assert control_replies == 1
    # The live view got updates while the flow ran, not only its end.
    assert patches_before_reply > 1
    while results is None:
        message = client.get_iopub_msg(timeout=60)
        if message["msg_type"] == "execute_result":
            results = message["content"]["data"]["application/json"]
    assert len(results) == 10_000
    assert results["j9998"] == 9_999


def test_remove_with_unknown_name_removes_nothing(run):
    run("%%job keep_one\n1")
    run("%%job keep_two\n2")
    reply, _ = run("%flow remove keep_one no_such_job")
    assert reply["status"] == "error"
    assert "no job(s) no_such_job, so nothing was removed" in reply["evalue"]
    _, outputs = run("%flow show")
    definition = text_of(outputs)
    assert "keep_one" in definition
    assert "keep_two" in definition


def test_dotted_name_is_read_with_brackets(run):
    _, outputs = run('%%job load.v1\n"v"')
    assert 'its dependents read its result as input["load.v1"]' in text_of(outputs)
    run('%%job use --after load.v1\ninput["load.v1"] + "!"')
    reply, outputs = run("%flow run --text")
    assert reply["status"] == "ok"
    assert result_of(outputs)["data"]["application/json"]["use"] == "v!"
