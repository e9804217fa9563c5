"""The flow view in a real JupyterLab, driven in headless Chromium by Playwright.

JupyterLab runs on loopback with its settings, workspaces and runtime files in the
test's own folder. The test opens ``notebooks/flow-view.ipynb`` with its outputs
cleared, runs every cell through the hero kernel and checks the live view.
Chromium is Debian's (``/usr/bin/chromium``), because no browser can be downloaded
here. The screenshot goes to ``test-output/browser/``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from hero_widgets.palette import ORDER, STYLES

CHROMIUM = Path("/usr/bin/chromium")
REPOSITORY = Path(__file__).resolve().parents[2]
NOTEBOOK = REPOSITORY / "notebooks" / "flow-view.ipynb"
SCREENSHOTS = REPOSITORY / "test-output" / "browser"
#: Chromium flags for a machine without a network: no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
START_TIMEOUT = 60.0

#: Set by .ci/run, so that a missing browser fails the run instead of skipping.
REQUIRED = os.environ.get("HERO_REQUIRE_BROWSER") == "1"

if not CHROMIUM.exists():
    if REQUIRED:
        raise RuntimeError(
            f"{CHROMIUM} is missing; install Debian's chromium package (apt-get "
            "install chromium), as .ci/run does"
        )
    pytest.skip(
        f"{CHROMIUM} is missing; apt-get install chromium to run the browser test",
        allow_module_level=True,
    )
from playwright import sync_api as playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hex_to_rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def cleared_notebook() -> nbformat.NotebookNode:
    """Return ``notebooks/flow-view.ipynb`` without its outputs."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


#: A flow of 1,000 jobs fed to a view from Python as fast as a running flow could
#: go. The first cell shows the view; the second sends 2,000 events in about five
#: seconds and prints how many patch messages the widget sent.
SHOW_CELL = """%%python
import asyncio
import time

from hero_widgets import FlowWidget
from herolib.flows import Flow, FlowJob

jobs = [FlowJob("root", "1")]
jobs += [FlowJob(f"leaf_{index:03}", "1", depends="root") for index in range(999)]
flow = Flow(id="demo.flow-1", name="wide", context="demo", jobs=tuple(jobs))
widget = FlowWidget(flow)
sent = []
send = widget.send
widget.send = lambda content, buffers=None: (sent.append(1), send(content, buffers))
widget.show()
"""
STREAM_CELL = """%%python
def event(name, state):
    return {"type": "state", "job": f"{flow.id}:{name}", "flow": flow.id,
            "name": name, "state": state, "time": time.time(), "node": "node-0",
            "try": 1}


widget.on_event({"type": "flow", "state": "running", "time": time.time(), "run": 1})
start = time.monotonic()
for job in jobs:
    widget.on_event(event(job.name, "running"))
    await asyncio.sleep(0.002)
    widget.on_event(event(job.name, "finished"))
    await asyncio.sleep(0.002)
widget.on_event({"type": "flow", "state": "finished", "time": time.time(), "run": 1})
widget.flush()
widget.snapshot()
print(f"sent {len(sent)} patches in {time.monotonic() - start:.2f} s")
"""


def stream_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "hero", "display_name": "Hero (Rhai)", "language": "rhai",
    }  # fmt: skip
    notebook.cells = [
        nbformat.v4.new_code_cell(SHOW_CELL),
        nbformat.v4.new_code_cell(STREAM_CELL),
    ]
    return notebook


#: The notebooks a test can open, by name; a test picks one by parametrizing ``lab``.
NOTEBOOKS = {"flow-view": cleared_notebook, "stream": stream_notebook}


@pytest.fixture
def lab(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Start JupyterLab on loopback over one notebook of :data:`NOTEBOOKS`; yield its URL."""
    name = getattr(request, "param", "flow-view")
    filename = f"{name}.ipynb"
    root = tmp_path / "lab"
    root.mkdir()
    nbformat.write(NOTEBOOKS[name](), root / filename)

    settings = tmp_path / "settings" / "@jupyterlab"
    for extension, plugin, values in (
        # No question about fetching news from the network.
        ("apputils-extension", "notification", {"fetchNews": "false"}),
        # No kernel dialog: the notebook's own kernel starts.
        ("notebook-extension", "tracker", {"autoStartDefaultKernel": True}),
    ):
        (settings / extension).mkdir(parents=True)
        (settings / extension / f"{plugin}.jupyterlab-settings").write_text(
            json.dumps(values)
        )
    environment = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.extension_manager=readonly", "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start on port {port}; its log: "
                        f"{(tmp_path / 'jupyterlab.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/lab/tree/{filename}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(30)
        log.close()


@pytest.fixture
def page(lab: str, request: pytest.FixtureRequest) -> Iterator[object]:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(lab)
        try:
            yield page
        finally:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"))
            browser.close()
        assert errors == [], f"the page raised: {errors}"


def run_command(page, command: str) -> None:
    """Start a JupyterLab command, such as ``notebook:run-all-cells``.

    The command's promise is not awaited: for a run command it ends with the run.
    """
    page.evaluate(
        "(command) => { window.jupyterapp.commands.execute(command); }", command
    )


def wait_until_ready(page) -> None:
    """Wait until the notebook is open and its kernel replied to kernel_info."""
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext"
    )
    page.evaluate(
        """async () => {
            const panel = window.jupyterapp.shell.currentWidget;
            await panel.context.ready;
            await panel.sessionContext.ready;
            await panel.sessionContext.session.kernel.info;
        }"""
    )


def test_flow_view_in_jupyterlab(page):
    wait_until_ready(page)
    run_command(page, "notebook:run-all-cells")
    page.locator(".hero-flow").first.wait_for(timeout=120_000)
    # The flow's cell ends with its error, after it replaced its first display with
    # the final one; Run All stops there.
    page.locator(".jp-OutputArea-output", has_text="FlowError").wait_for(
        timeout=120_000
    )
    view = page.locator(".hero-flow").last
    assert page.locator(".hero-flow").count() == 1
    assert view.get_attribute("data-flow-state") == "error"

    # Live updates reached the view as patches, not only as the final snapshot.
    assert int(view.get_attribute("data-patches") or 0) > 0

    # Each card has its state's colour; the counts match the cards.
    cards = view.locator(".hero-card")
    assert cards.count() == 12
    states = {
        cards.nth(index).get_attribute("data-job"): cards.nth(index).get_attribute(
            "data-state"
        )
        for index in range(cards.count())
    }
    assert states["validate"] == "error"
    assert states["report"] == "skipped"
    assert sorted(set(states.values())) == ["error", "finished", "skipped"]
    for name, state in states.items():
        stripe = view.locator(f".hero-card[data-job='{name}'] .hero-card__stripe")
        fill = stripe.evaluate("element => getComputedStyle(element).fill")
        assert fill == hex_to_rgb(STYLES[state].colour), name
    counts = {
        chip.get_attribute("data-state"): int(
            chip.locator(".hero-flow__count-value").inner_text()
        )
        for chip in view.locator(".hero-flow__count").all()
    }
    assert counts == {"finished": 10, "error": 1, "skipped": 1}
    legend = view.locator(".hero-flow__legend-item").all()
    assert [item.get_attribute("data-state") for item in legend] == list(ORDER)

    # A click on the failing job opens its error in the side panel.
    view.locator(".hero-card[data-job='validate']").click()
    panel = view.locator(".hero-flow__panel")
    panel.wait_for()
    assert panel.get_attribute("data-job") == "validate"
    assert (
        "values out of range: [49]" in panel.locator(".hero-panel__error").inner_text()
    )
    assert panel.locator("dd[data-field='state']").inner_text() == "error"
    assert panel.locator("dd[data-field='node']").inner_text().startswith("node-")

    # Zooming changes the canvas transform without moving the cards in the layout.
    viewport = view.locator(".hero-flow__svg > g")
    before = viewport.get_attribute("transform")
    card_before = view.locator(".hero-card[data-job='fetch']").get_attribute(
        "transform"
    )
    view.locator("button[aria-label='Zoom in']").click()
    assert viewport.get_attribute("transform") != before
    assert view.locator(".hero-card[data-job='fetch']").get_attribute("transform") == (
        card_before
    )
    view.scroll_into_view_if_needed()

    # The cells after the flow's, which Run All skipped: %flow status, %job, %nodes.
    page.locator(".jp-CodeCell", has_text="%flow status").locator(
        ".jp-InputPrompt"
    ).click()
    run_command(page, "notebook:run-all-below")
    job = page.locator(".hero-job")
    job.wait_for(timeout=120_000)
    assert job.get_attribute("data-state") == "error"
    assert "values out of range: [49]" in job.locator(".hero-job__error").inner_text()
    assert job.locator("dd[data-field='node']").inner_text().startswith("node-")
    nodes = page.locator(".hero-nodes")
    nodes.wait_for(timeout=120_000)
    rows = nodes.locator("tbody tr").all()
    assert len(rows) == 2
    assert [row.get_attribute("data-alive") for row in rows] == ["true", "true"]
    done = [int(row.locator("td[data-field='done']").inner_text()) for row in rows]
    # Every job but the skipped one ran on a node.
    assert sum(done) >= 11


@pytest.mark.parametrize("lab", ["stream"], indirect=True)
def test_thousand_job_stream_in_jupyterlab(page):
    wait_until_ready(page)
    run_command(page, "notebook:run-cell-and-select-next")
    view = page.locator(".hero-flow")
    view.wait_for(timeout=120_000)
    run_command(page, "notebook:run-cell-and-select-next")

    # The 999 jobs of the second column start collapsed in one group card.
    group = view.locator(".hero-group")
    assert group.count() == 1
    assert view.locator(".hero-card[data-job='leaf_500']").is_hidden()

    # While the events stream in, zoom and expand work.
    page.wait_for_selector(".hero-flow[data-flow-state='running']", timeout=60_000)
    viewport = view.locator(".hero-flow__svg > g")
    before = viewport.get_attribute("transform")
    view.locator("button[aria-label='Zoom out']").click()
    assert viewport.get_attribute("transform") != before
    group.click()
    assert group.is_hidden()
    leaf = view.locator(".hero-card[data-job='leaf_500']")
    assert leaf.get_attribute("style") in (None, "")
    # The panel of a job opened before it ends follows it to its end.
    # The card is far below the canvas's visible part, so the click is dispatched.
    view.locator(".hero-card[data-job='leaf_998']").dispatch_event("click")
    panel = view.locator(".hero-flow__panel")
    panel.wait_for()
    opened_as = panel.locator("dd[data-field='state']").inner_text()

    printed = page.locator(".jp-OutputArea-output", has_text="patches in")
    printed.wait_for(timeout=120_000)
    words = printed.inner_text().split()
    sent, seconds = int(words[1]), float(words[4])
    page.wait_for_selector(".hero-flow[data-flow-state='finished']", timeout=60_000)

    # Every patch the kernel sent reached the view, and the counts add up.
    received = int(view.get_attribute("data-patches"))
    assert received == sent
    count = view.locator(
        ".hero-flow__count[data-state='finished'] .hero-flow__count-value"
    )
    assert count.inner_text() == "1000"
    assert leaf.get_attribute("data-state") == "finished"
    assert panel.get_attribute("data-job") == "leaf_998"
    print(f"the panel of leaf_998 opened as {opened_as}")
    assert panel.locator("dd[data-field='state']").inner_text() == "finished"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "stream-rate.txt").write_text(
        f"{received} patches for 2000 events in {seconds:.2f} s: "
        f"{received / seconds:.1f} updates a second reached the browser\n"
    )
