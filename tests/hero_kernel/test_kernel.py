"""The hero kernel through jupyter_client, with its embedded coordinator and nodes."""

from __future__ import annotations

import socket
import time

import psutil
import pytest


@pytest.fixture
def run(kernel, execute):
    return lambda code: execute(kernel[1], code)


def test_print_streams_and_value_is_result(kernel, run):
    reply, outputs = run('print("hello"); print("world"); 6 * 7')
    assert reply["status"] == "ok"
    streams = [msg["content"]["text"] for msg in outputs if msg["msg_type"] == "stream"]
    assert "".join(streams) == "hello\nworld\n"
    results = [msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"]
    assert results[0]["data"] == {"text/plain": "42"}
    assert results[0]["execution_count"] == reply["execution_count"]


def test_map_result_carries_json(kernel, run):
    _, outputs = run('#{name: "ada", langs: ["rhai", "rust"]}')
    [result] = [
        msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"
    ]
    assert result["data"]["application/json"] == {
        "langs": ["rhai", "rust"],
        "name": "ada",
    }
    assert result["data"]["text/plain"].startswith("#{")


def test_state_persists_across_cells(kernel, run):
    run("let base = 100;\nfn bump(x) { x + 5 }")
    reply, outputs = run("bump(base)")
    assert reply["status"] == "ok"
    [result] = [
        msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"
    ]
    assert result["data"]["text/plain"] == "105"


def test_syntax_error_kind_and_position(kernel, run):
    reply, outputs = run("let a = 1;\nlet b = a +* 2;")
    assert reply["status"] == "error"
    assert reply["ename"] == "ErrorParsing"
    assert "line 2" in reply["evalue"]
    errors = [msg["content"] for msg in outputs if msg["msg_type"] == "error"]
    assert errors[0]["ename"] == "ErrorParsing"
    reply, _ = run("1 + 1")
    assert reply["status"] == "ok"


def test_runtime_error_names_kind(kernel, run):
    reply, _ = run("let d = 0;\n10 / d")
    assert reply["status"] == "error"
    assert reply["ename"] == "ErrorArithmetic"
    assert "line 2" in reply["evalue"]


def test_unit_result_shows_nothing(kernel, run):
    reply, outputs = run("let quiet = 1;")
    assert reply["status"] == "ok"
    assert [msg for msg in outputs if msg["msg_type"] == "execute_result"] == []


def test_python_cell_runs_in_ipython(kernel, run):
    reply, outputs = run("%%python\nimport sys\nsys.version_info.major + 0")
    assert reply["status"] == "ok"
    [result] = [
        msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"
    ]
    assert result["data"]["text/plain"] == "3"


def test_integer_overflow_is_arithmetic_error(kernel, run):
    reply, _ = run("9223372036854775807 + 1")
    assert reply["status"] == "error"
    assert reply["ename"] == "ErrorArithmetic"


def test_is_complete_uses_rhai_parser(kernel):
    client = kernel[1]
    for code, status in [
        ("let x = 1;", "complete"),
        ("fn f() {", "incomplete"),
        ("let = ;", "invalid"),
    ]:
        client.is_complete(code)
        reply = client.get_shell_msg(timeout=30)
        assert reply["content"]["status"] == status, code


def test_interrupt_stops_endless_loop(kernel, run):
    manager, client = kernel
    msg_id = client.execute('print("spinning"); loop {}')
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = client.get_iopub_msg(timeout=60)
        if (
            message["parent_header"].get("msg_id") == msg_id
            and message["msg_type"] == "stream"
        ):
            break
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "ErrorCancelled"
    assert "interrupted" in reply["content"]["evalue"]
    after, _ = run("2 + 2")
    assert after["status"] == "ok"


def test_shutdown_leaves_no_process(own_kernel, tmp_path, execute, redis_servers_under):
    home = str(tmp_path / "home")
    with own_kernel(home) as (manager, client):
        reply, _ = execute(client, 'db_set("k", 1); db_get("k")')
        assert reply["status"] == "ok"
        kernel_process = psutil.Process(manager.provisioner.pid)
        tree = [kernel_process, *kernel_process.children(recursive=True)]
        servers = redis_servers_under(home)
        assert len(tree) >= 4  # kernel, coordinator, two worker processes and more
        assert servers
    _, alive = psutil.wait_procs(tree + servers, timeout=60)
    assert [process.pid for process in alive] == []


def test_job_timeout_is_named(own_kernel, tmp_path, execute):
    with own_kernel(tmp_path, HERO_JOB_TIMEOUT="1") as (manager, client):
        reply, outputs = execute(client, "let n = 0;\nloop { n += 1; }")
        assert reply["status"] == "error"
        assert reply["ename"] == "ErrorTimeout"
        assert "timed out after 1 s" in reply["evalue"]
        errors = [msg["content"] for msg in outputs if msg["msg_type"] == "error"]
        assert errors[0]["ename"] == "ErrorTimeout"


def test_unreachable_coordinator_names_address(own_kernel, tmp_path, execute):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with own_kernel(tmp_path, HERO_COORDINATOR=address) as (manager, client):
        reply, _ = execute(client, "1 + 1", timeout=30)
        assert reply["status"] == "error"
        assert reply["ename"] == "CoordinatorUnreachable"
        assert address in reply["evalue"]
        python_reply, _ = execute(client, "%%python\n1 + 1", timeout=30)
        assert python_reply["status"] == "ok"

        # An interrupt while the kernel still waits for the coordinator ends the cell.
        msg_id = client.execute("2 + 2")
        while True:
            message = client.get_iopub_msg(timeout=30)
            if (
                message["parent_header"].get("msg_id") == msg_id
                and message["msg_type"] == "execute_input"
            ):
                break
        manager.interrupt_kernel()
        interrupted = client.get_shell_msg(timeout=30)["content"]
        assert interrupted["status"] == "error"
        assert interrupted["ename"] == "Interrupted"
        assert manager.is_alive()
        after, _ = execute(client, "%%python\n'still here'", timeout=30)
        assert after["status"] == "ok"


def test_completion_and_inspection_know_session(kernel, run):
    run(
        "let greeting_count = 3;\n/// Greets someone by name.\nfn greet(name) { `hi ${name}` }"
    )
    client = kernel[1]
    client.complete("greeting_c", 10)
    completion = client.get_shell_msg(timeout=30)["content"]
    assert completion["matches"] == ["greeting_count"]
    client.inspect("greet", 2)
    inspection = client.get_shell_msg(timeout=30)["content"]
    assert inspection["found"] is True
    assert "Greets someone by name." in inspection["data"]["text/plain"]


def test_limits_magic_applies_to_next_jobs(kernel, run):
    reply, outputs = run("%limits max_operations=500")
    assert reply["status"] == "ok"
    assert "max_operations = 500" in outputs[0]["content"]["text"]
    try:
        limited, _ = run("let n = 0;\nloop { n += 1; }")
        assert limited["status"] == "error"
        assert limited["ename"] == "ErrorTooManyOperations"
        assert "max_operations" in limited["evalue"]
    finally:
        run("%limits --reset")
    free, _ = run("let m = 0; for i in 0..10000 { m += i } m")
    assert free["status"] == "ok"


def test_heroscript_cells_run_as_playbooks(kernel, run):
    reply, outputs = run("!!db.set key:fruit value:kiwi\n!!core.echo text:'stored it'")
    assert reply["status"] == "ok"
    streams = [msg["content"]["text"] for msg in outputs if msg["msg_type"] == "stream"]
    assert streams == ["stored it\n"]
    [result] = [
        msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"
    ]
    assert [item["result"] for item in result["data"]["application/json"]] == [
        "fruit",
        "stored it",
    ]

    rhai_reply, rhai_outputs = run('db_get("fruit")')
    [value] = [
        msg["content"] for msg in rhai_outputs if msg["msg_type"] == "execute_result"
    ]
    assert value["data"]["text/plain"] == '"kiwi"'

    failed, _ = run("%%heroscript\n!!core.echo text:one\n!!nobody.home knock:twice")
    assert failed["status"] == "error"
    assert failed["ename"] == "UnhandledActions"
    assert "!!nobody.home knock:twice" in failed["evalue"]


def test_killed_coordinator_is_replaced_with_session(
    own_kernel, tmp_path, execute, redis_servers_under
):
    home = str(tmp_path / "home")
    with own_kernel(home) as (manager, client):
        reply, _ = execute(client, "let kept = 41;\nfn next(n) { n + 1 }")
        assert reply["status"] == "ok"
        kernel_process = psutil.Process(manager.provisioner.pid)
        [coordinator] = [
            child
            for child in kernel_process.children()
            if "coordinator" in " ".join(child.cmdline())
        ]
        coordinator.kill()
        deadline = time.monotonic() + 30
        while coordinator.is_running() and coordinator.status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the coordinator did not die"
            time.sleep(0.1)

        reply, outputs = execute(client, "next(kept)")
        assert reply["status"] == "ok", reply
        [result] = [
            msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"
        ]
        assert result["data"]["text/plain"] == "42"
    _, alive = psutil.wait_procs(redis_servers_under(home), timeout=60)
    assert [process.pid for process in alive] == []


def test_fast_print_loses_no_line(kernel, run):
    reply, outputs = run("for i in 0..30000 { print(`line ${i}`); }\n42")
    assert reply["status"] == "ok"
    text = "".join(
        msg["content"]["text"] for msg in outputs if msg["msg_type"] == "stream"
    )
    lines = text.splitlines()
    assert len(lines) == 30000
    assert lines[0] == "line 0"
    assert lines[-1] == "line 29999"
    assert len([msg for msg in outputs if msg["msg_type"] == "stream"]) < 1000


def test_completion_on_magic_line_replies(kernel):
    client = kernel[1]
    client.complete("%%python\nimport os", 2)
    reply = client.get_shell_msg(timeout=30)["content"]
    assert reply["status"] == "ok"
    assert reply["matches"] == []


@pytest.mark.parametrize("setting", ["abc", "0", "nan", "inf"])
def test_bad_timeout_setting_reported_in_cell(own_kernel, tmp_path, execute, setting):
    with own_kernel(tmp_path, HERO_JOB_TIMEOUT=setting) as (manager, client):
        reply, _ = execute(client, "1 + 1", timeout=30)
        assert reply["status"] == "error"
        assert reply["ename"] == "ConfigurationError"
        assert "HERO_JOB_TIMEOUT" in reply["evalue"]
        assert manager.is_alive()


def test_module_cell_can_be_imported(kernel, run):
    reply, outputs = run(
        "%%module shapes\nexport const SIDES = 4;\nfn area(w, h) { w * h }"
    )
    assert reply["status"] == "ok"
    assert 'import "shapes"' in outputs[0]["content"]["text"]
    reply, outputs = run('import "shapes" as s;\ns::area(s::SIDES, 3)')
    [result] = [
        msg["content"] for msg in outputs if msg["msg_type"] == "execute_result"
    ]
    assert result["data"]["text/plain"] == "12"

    broken, _ = run("%%module shapes\nfn area(w, h) { w * }")
    assert broken["status"] == "error"
    assert "in module 'shapes'" in broken["evalue"]
    still, _ = run('import "shapes" as s; s::area(2, 2)')
    assert still["status"] == "ok"
