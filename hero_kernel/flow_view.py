"""The progress of a running flow in its cell, behind the small :class:`FlowView` interface.

:class:`GraphFlowView` shows the live DAG (:class:`hero_widgets.FlowWidget`) and, once
the flow ended, a text summary and a static SVG beside it. :class:`TextFlowView`
prints one line per job state change, the jobs' output lines prefixed with the job's
name, and a summary at the end.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from hero_kernel.output import CellOutput
from hero_widgets import FlowWidget
from hero_widgets.assets import WIDGET_VIEW
from herolib import protocol
from herolib.flow_reports import format_summary
from herolib.flows import Flow
from herolib.states import JobState

#: ``write(stream_name, line)`` sends one line, without its newline, to the cell.
Write = Callable[[str, str], None]


class FlowView(Protocol):
    """Shows one run of a flow while it runs, fed by the kernel."""

    def start(self, flow: Flow, names: Sequence[str], run: int) -> None:
        """Show that run number ``run`` of ``flow`` starts the jobs ``names``."""

    def on_event(self, event: dict[str, Any]) -> None:
        """Show a ``state``, ``output`` or ``flow`` event of the flow."""

    def finish(self, record: dict[str, Any]) -> None:
        """Show the flow's final record, with every job's."""


class GraphFlowView:
    """Show a flow's live DAG in the cell, then its final state as text and SVG.

    The live view goes out first with an empty text form. When the flow ends, that
    display is emptied and one display follows with the live view, the summary and
    the SVG. So a tool that keeps only a cell's first messages (nbval) and one that
    applies updates (JupyterLab, nbclient) both store the final state.
    """

    def __init__(self, output: CellOutput) -> None:
        self._output = output
        self.widget: FlowWidget | None = None
        self._display_id = ""
        self._context = contextvars.copy_context()

    def start(self, flow: Flow, names: Sequence[str], run: int) -> None:
        # The kernel keeps each cell's parent message in a context variable, and
        # events arrive on a task of an earlier cell. Updates run in this cell's
        # context, so the widget's messages name this cell as their parent.
        self._context = contextvars.copy_context()
        self.widget = FlowWidget(flow, names, run)
        self._display_id = f"hero-flow-{self.widget.model_id}"
        self._output.display(
            {"text/plain": "", WIDGET_VIEW: self.widget.view_reference()},
            display_id=self._display_id,
        )

    def on_event(self, event: dict[str, Any]) -> None:
        if self.widget is not None:
            # A copy, because a context that is entered already cannot be entered.
            self._context.copy().run(self.widget.on_event, event)

    def finish(self, record: dict[str, Any]) -> None:
        if self.widget is None:
            return
        self.widget.finish(record)
        self._output.display(
            {"text/plain": ""}, display_id=self._display_id, update=True
        )
        self._output.display(self.widget.mimebundle())


class TextFlowView:
    """Print a flow's progress as text lines through ``write``.

    A node can report that a job runs before the coordinator reports that the job's
    dependencies finished, so the events of a job are held back until each of its
    dependencies has shown a final state. The lines then follow the flow's order.
    """

    def __init__(self, write: Write) -> None:
        self._write = write
        self._depends: dict[str, tuple[str, ...]] = {}
        self._final: set[str] = set()
        self._held: list[tuple[str, dict[str, Any]]] = []

    def start(self, flow: Flow, names: Sequence[str], run: int) -> None:
        self._depends = {job.name: job.depends for job in flow.jobs}
        self._final = {job.name for job in flow.jobs if job.name not in names}
        count = f"{len(names)} job{'s' if len(names) != 1 else ''}"
        if run > 1:
            line = f"flow {flow.name} ({flow.id}), run {run}: {count} again"
            self._write("stdout", f"{line}: {', '.join(names)}")
        else:
            self._write("stdout", f"flow {flow.name} ({flow.id}): {count}")

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") not in (protocol.STATE, protocol.OUTPUT):
            return
        name = event.get("name") or str(event.get("job", "")).rpartition(":")[2]
        if name not in self._depends:
            return
        if self._held or not self._ready(name):
            self._held.append((name, event))
            self._release()
            return
        self._show(name, event)

    def finish(self, record: dict[str, Any]) -> None:
        for name, event in self._held:
            self._show(name, event)
        self._held.clear()
        self._write("stdout", format_summary(record))

    def _ready(self, name: str) -> bool:
        return all(dependency in self._final for dependency in self._depends[name])

    def _release(self) -> None:
        """Show held events, in arrival order, whose job's dependencies ended."""
        progress = True
        while progress:
            progress = False
            for index, (name, event) in enumerate(self._held):
                if self._ready(name):
                    del self._held[index]
                    self._show(name, event)
                    progress = True
                    break

    def _show(self, name: str, event: dict[str, Any]) -> None:
        if event["type"] == protocol.OUTPUT:
            stream = "stderr" if event.get("stream") == "debug" else "stdout"
            self._write(stream, f"[{name}] {event.get('text', '')}")
            return
        state = str(event.get("state", ""))
        if state in {final.value for final in JobState if final.is_final}:
            self._final.add(name)
        self._write("stdout", state_line(name, event))


def state_line(name: str, event: dict[str, Any]) -> str:
    """Return the line for a job's state event, such as ``load: running on node-1``."""
    state = str(event.get("state", ""))
    node = event.get("node")
    attempt = int(event.get("try") or 0)
    error = str(event.get("error") or "")
    if state == JobState.READY.value and error:
        delay = event.get("retry_in")
        wait = f" in {delay:g} s" if isinstance(delay, (int, float)) else ""
        return f"{name}: try {attempt} failed ({error}); retrying{wait}"
    if state == JobState.SKIPPED.value:
        reason = error.removeprefix("ErrorSkipped: ")
        return (
            f"{name}: {reason}" if reason.startswith("skipped") else f"{name}: skipped"
        )
    line = f"{name}: {state}"
    if node:
        line += f" on {node}"
    if state == JobState.RUNNING.value and attempt > 1:
        line += f", try {attempt}"
    if error:
        line += f": {error}"
    return line
