"""The live flow view: an anywidget whose JavaScript draws the flow's DAG in SVG.

The layout is computed here once (:mod:`hero_widgets.layout`), so the browser only
draws. Events change a :class:`~hero_widgets.flow_state.FlowViewState`, and the
widget sends the changed jobs to the browser as one ``patch`` message at most every
:data:`FLUSH_INTERVAL` seconds. Every :data:`SNAPSHOT_INTERVAL` seconds, and when
the flow ends, it also sets its synced traits to the whole state, so a view opened
later, or a notebook saved with its widget state, shows everything.

From Python (in a ``%%python`` cell or any IPython kernel)::

    widget = FlowWidget(flow)
    widget.show()
    record = await client.run_flow(flow, widget.on_event)
    widget.finish(record)
"""

from __future__ import annotations

import asyncio
import copy
import logging
import secrets
import time
from collections.abc import Iterable
from typing import Any

import anywidget
import traitlets

from hero_widgets.assets import STATIC, WIDGET_VIEW, stylesheet, view_reference
from hero_widgets.flow_state import FlowViewState
from hero_widgets.layout import layout_flow
from hero_widgets.palette import palette_dict
from hero_widgets.svg import render_svg
from herolib.flow_reports import format_counts, format_summary
from herolib.flows import Flow

logger = logging.getLogger(__name__)

#: Seconds between two patch messages; 25 a second at most.
FLUSH_INTERVAL = 0.04
#: Seconds between two snapshots of the whole state in the synced traits.
SNAPSHOT_INTERVAL = 2.0


class FlowWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """The live view of one run of ``flow``, in which the jobs ``names`` run.

    Feed it with :meth:`on_event` (the ``on_event`` handler of
    :meth:`coordinator.client.CoordinatorClient.submit_flow`) and end it with
    :meth:`finish`. Jobs not in ``names`` show as finished from an earlier run.
    """

    _esm = STATIC / "flow.js"
    _css = stylesheet("flow.css")

    graph = traitlets.Dict().tag(sync=True)
    palette = traitlets.Dict().tag(sync=True)
    header = traitlets.Dict().tag(sync=True)
    jobs = traitlets.Dict().tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)
    #: Names this widget's state in the browser, where each view looks it up.
    key = traitlets.Unicode().tag(sync=True)

    def __init__(
        self, flow: Flow, names: Iterable[str] | None = None, run: int = 1
    ) -> None:
        self.view_state = FlowViewState(flow, names, run)
        self.flow_layout = layout_flow(flow.jobs)
        self.record: dict[str, Any] | None = None
        self.patches = 0
        self._flush_handle: asyncio.Handle | None = None
        self._snapshot_at = time.monotonic()
        self._display: Any = None
        super().__init__(
            graph=self.flow_layout.to_dict(),
            palette=palette_dict(),
            header=self.view_state.snapshot_header(),
            jobs=copy.deepcopy(self.view_state.jobs),
            version=0,
            key=secrets.token_hex(8),
        )
        self.view_state.take_changes()

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FlowWidget:
        """Return the view of a recorded flow, in the state its record gives."""
        flow = Flow.from_dict(record["definition"])
        widget = cls(flow, run=int(record.get("run", 1)))
        widget.view_state.apply_record(record)
        if widget.view_state.finished:
            widget.record = record
        widget.snapshot()
        return widget

    def on_event(self, event: dict[str, Any]) -> None:
        """Apply a coordinator event of the flow; the browser gets it within 40 ms."""
        self.view_state.apply_event(event)
        if self._flush_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()  # no event loop here to batch on
            return
        self._flush_handle = loop.call_later(FLUSH_INTERVAL, self.flush)

    def finish(self, record: dict[str, Any]) -> None:
        """Show the flow's final record, and update a display made by :meth:`show`."""
        self.record = record
        self.view_state.apply_record(record)
        self.flush()
        self.snapshot()
        if self._display is not None:
            self._display.update(self.mimebundle(), raw=True)

    def flush(self) -> None:
        """Send the jobs changed since the last flush as one patch message."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        header, jobs = self.view_state.take_changes()
        if header is None and not jobs:
            return
        if self.comm is None:
            return  # the widget was closed
        self.patches += 1
        self.send(
            {
                "type": "patch",
                "version": self.version + self.patches,
                "header": header,
                "jobs": jobs,
            }
        )
        if time.monotonic() - self._snapshot_at >= SNAPSHOT_INTERVAL:
            self.snapshot()

    def snapshot(self) -> None:
        """Set the synced traits to the whole state, for views opened later."""
        self._snapshot_at = time.monotonic()
        with self.hold_sync():
            self.header = self.view_state.snapshot_header()
            self.jobs = copy.deepcopy(self.view_state.jobs)
            self.version = self.version + self.patches + 1
        self.patches = 0

    def summary(self) -> str:
        """Return the flow's text summary: the record's when it ended, else one line."""
        if self.record is not None:
            return format_summary(self.record)
        header = self.view_state.header
        return (
            f"flow {header['name']} ({header['id']}): {header['state']}; "
            f"{format_counts(self.view_state.counts)}"
        )

    def svg(self) -> str:
        """Return the static SVG of the current state."""
        return render_svg(self.flow_layout, self.view_state)

    def mimebundle(self, *, live: bool = True) -> dict[str, Any]:
        """Return the display data: the text summary, the SVG and the live view."""
        data: dict[str, Any] = {
            "text/plain": self.summary(),
            "image/svg+xml": self.svg(),
        }
        if live:
            data[WIDGET_VIEW] = self.view_reference()
        return data

    def view_reference(self) -> dict[str, Any]:
        return view_reference(self.model_id)

    def show(self) -> None:
        """Display the widget in the current cell; :meth:`finish` updates the display."""
        from IPython.display import display

        self._display = display(self.mimebundle(), raw=True, display_id=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.mimebundle()
