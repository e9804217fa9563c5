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
import urllib.error
import urllib.request
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


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """Start JupyterLab on loopback over a copy of the notebook; yield its URL."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    root = tmp_path / "lab"
    root.mkdir()
    nbformat.write(notebook, root / NOTEBOOK.name)

    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No question about fetching news from the network.
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"})
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
        start_kernel_session(port, token)
        yield f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(30)
        log.close()


def start_kernel_session(port: int, token: str) -> None:
    """Start the notebook's hero kernel through the server's REST API.

    JupyterLab then opens the notebook with that kernel running. Without it, a page
    that loads before the server has listed its kernels asks which kernel to start.
    """
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/sessions",
        data=json.dumps(
            {"path": NOTEBOOK.name, "name": NOTEBOOK.name, "type": "notebook",
             "kernel": {"name": "hero"}}
        ).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        method="POST",
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(request, timeout=START_TIMEOUT) as response:
                json.load(response)
            return
        except urllib.error.URLError:
            # The server listens before its handlers are ready.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


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


def test_flow_view_in_jupyterlab(page):
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
    )
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
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
