"""A view whose browser side requests fresh data while it is on screen.

The node and job views have no event stream of their own. Instead, each view shown
in a browser sends a ``refresh`` message every :data:`REFRESH_INTERVAL` seconds
while its page is visible, and the widget responds by fetching new data and setting
its synced ``data``. A notebook that no browser shows, or one run by nbconvert, sends
no requests. A view stops requesting once ``final`` is set, as for a job that ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anywidget
import traitlets

from hero_widgets.assets import STATIC, WIDGET_VIEW, stylesheet, view_reference
from hero_widgets.palette import palette_dict

logger = logging.getLogger(__name__)

#: Seconds between two refresh requests of a view; the JavaScript reads it from the model.
REFRESH_INTERVAL = 1.0

Fetch = Callable[[], Awaitable[dict[str, Any]]]


class PolledWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """A view of ``data``, refreshed by ``fetch`` when a browser view requests it.

    ``kind`` selects the view that the shared JavaScript draws. Subclasses give the
    text form of ``data`` (:meth:`summary`) and when the data stops changing
    (:meth:`is_final`).
    """

    _esm = STATIC / "records.js"
    _css = stylesheet("records.css")

    kind = traitlets.Unicode().tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    palette = traitlets.Dict().tag(sync=True)
    interval = traitlets.Float(REFRESH_INTERVAL).tag(sync=True)
    final = traitlets.Bool(False).tag(sync=True)
    #: Why the last refresh failed; empty when it worked.
    problem = traitlets.Unicode("").tag(sync=True)

    def __init__(self, kind: str, data: dict[str, Any], fetch: Fetch) -> None:
        super().__init__(
            kind=kind, data=data, palette=palette_dict(), final=self.is_final(data)
        )
        self._fetch = fetch
        self._refreshing: asyncio.Future[None] | None = None
        self.on_msg(self._on_message)

    def is_final(self, data: dict[str, Any]) -> bool:
        return False

    def summary(self) -> str:
        raise NotImplementedError

    async def refresh(self) -> None:
        """Fetch the data again and send it to the browser."""
        try:
            data = await self._fetch()
        except Exception as exc:
            logger.warning("refreshing the %s view failed: %s", self.kind, exc)
            self.problem = f"could not refresh: {exc}"
            return
        with self.hold_sync():
            self.data = data
            self.problem = ""
            self.final = self.is_final(data)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "refresh":
            logger.warning("the %s view got an unknown message: %r", self.kind, content)
            return
        if self.final or (self._refreshing is not None and not self._refreshing.done()):
            return  # The data is final, or a refresh is running already.
        self._refreshing = asyncio.ensure_future(self.refresh())

    def mimebundle(self) -> dict[str, Any]:
        """Return the text form and the live view."""
        return {
            "text/plain": self.summary(),
            WIDGET_VIEW: view_reference(self.model_id),
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.mimebundle()
