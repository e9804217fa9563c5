"""%nodes and %job through a real hero kernel and its embedded coordinator."""

from __future__ import annotations

import re

import pytest

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FLOW_ID = re.compile(r"nb-[0-9a-f]{16}\.flow-[0-9a-f]{16}")


@pytest.fixture(scope="module")
def failed_flow(kernel, execute):
    """Run a flow with a failing job ``check`` on the shared kernel; return its id."""
    client = kernel[1]
    for code in (
        '%%job load\nprint("loading");\n[1, 2, 3]',
        "%%job check --after load\nthrow `bad input ${input.load.len()}`",
    ):
        reply, _ = execute(client, code)
        assert reply["status"] == "ok"
    reply, outputs = execute(client, "%flow run --text")
    assert reply["status"] == "error"
    execute(client, "%flow remove --all")
    text = "".join(msg["content"].get("text", "") for msg in outputs)
    return FLOW_ID.search(text).group(0)


def displays(outputs):
    return [msg["content"] for msg in outputs if msg["msg_type"] == "display_data"]


def widget_state(outputs, model_id):
    [opened] = [
        msg["content"] for msg in outputs
        if msg["msg_type"] == "comm_open" and msg["content"]["comm_id"] == model_id
    ]  # fmt: skip
    return opened["data"]["state"]


def stdout(outputs):
    return "".join(
        msg["content"]["text"]
        for msg in outputs
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout"
    )


def test_nodes_text_lists_live_nodes(kernel, execute):
    reply, outputs = execute(kernel[1], "%nodes --text")
    assert reply["status"] == "ok"
    header, *rows = stdout(outputs).splitlines()
    assert header.split()[:3] == ["node", "alive", "runners"]
    assert sorted(row.split()[0] for row in rows) == ["node-0", "node-1"]
    assert all(row.split()[1] == "yes" for row in rows)


def test_nodes_view_refreshes_when_the_browser_asks(kernel, execute_in_cell):
    client = kernel[1]
    reply, outputs = execute_in_cell(client, "%nodes", "cell-nodes")
    assert reply["status"] == "ok"
    [display] = displays(outputs)
    model_id = display["data"][WIDGET_VIEW]["model_id"]
    assert display["data"]["text/plain"].splitlines()[0].split()[0] == "node"
    state = widget_state(outputs, model_id)
    assert state["kind"] == "nodes"
    assert state["final"] is False
    assert sorted(node["name"] for node in state["data"]["nodes"]) == [
        "node-0",
        "node-1",
    ]
    before = {node["name"]: node["jobs_done"] for node in state["data"]["nodes"]}

    # A job changes what the nodes report; then a refresh request from the view.
    execute_in_cell(client, "1 + 1", "cell-work")
    message = client.session.msg(
        "comm_msg",
        {"comm_id": model_id, "data": {"method": "custom",
                                       "content": {"type": "refresh"}}},
    )  # fmt: skip
    client.shell_channel.send(message)
    while True:
        incoming = client.get_iopub_msg(timeout=60)
        content = incoming["content"]
        if (
            incoming["msg_type"] == "comm_msg"
            and content["comm_id"] == model_id
            and content["data"]["method"] == "update"
            and "data" in content["data"]["state"]
        ):
            break
    after = {
        node["name"]: node["jobs_done"]
        for node in content["data"]["state"]["data"]["nodes"]
    }
    assert sum(after.values()) > sum(before.values())


def test_job_by_name_shows_error_and_output(kernel, execute_in_cell, failed_flow):
    reply, outputs = execute_in_cell(kernel[1], "%job check", "cell-job")
    assert reply["status"] == "ok"
    [display] = displays(outputs)
    text = display["data"]["text/plain"].splitlines()
    assert text[0] == f"job {failed_flow}:check: error"
    [error] = [line for line in text if line.startswith("error: ")]
    assert error.startswith("error: ErrorRuntime: ")
    assert "bad input 3 (line 1" in error
    state = widget_state(outputs, display["data"][WIDGET_VIEW]["model_id"])
    assert state["kind"] == "job"
    assert state["final"] is True
    assert state["data"]["runner"] == "osis"
    assert state["data"]["node"] in ("node-0", "node-1")
    assert state["data"]["error"] == error.removeprefix("error: ")


def test_job_by_id_as_text(kernel, execute, failed_flow):
    reply, outputs = execute(kernel[1], f"%job --text {failed_flow}:load")
    assert reply["status"] == "ok"
    lines = stdout(outputs).splitlines()
    assert lines[0] == f"job {failed_flow}:load: finished"
    assert "result: [1, 2, 3]" in lines
    assert lines[-2:] == ["output:", "  loading"]


def test_flow_id_points_to_flow_show(kernel, execute, failed_flow):
    reply, _ = execute(kernel[1], f"%job {failed_flow}")
    assert reply["status"] == "error"
    assert f"is a flow id, not a job id; %flow show {failed_flow}" in reply["evalue"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("%job nothing-here", "is neither a job id nor a job of the last flow"),
        ("%job nb-0000000000000000.flow-0:x", "no job with id"),
        ("%job", "the following arguments are required: ID"),
        ("%nodes --live", "unrecognized arguments: --live"),
    ],
)
def test_bad_input_is_a_cell_error(kernel, execute, failed_flow, code, expected):
    reply, _ = execute(kernel[1], code)
    assert reply["status"] == "error"
    assert expected in reply["evalue"]


@pytest.mark.parametrize("magic", ["%nodes", "%job"])
def test_help(kernel, execute, magic):
    reply, outputs = execute(kernel[1], f"{magic} --help")
    assert reply["status"] == "ok"
    assert stdout(outputs).startswith(f"usage: {magic}")
