"""The ``%nodes`` view: each Hero node with its runners, jobs, HeroDB and liveness."""

from __future__ import annotations

from typing import Any

from hero_widgets.polled import Fetch, PolledWidget
from herolib.node_reports import format_nodes


class NodesWidget(PolledWidget):
    """A table of the cluster's nodes that refreshes while a browser shows it.

    ``fetch`` returns ``{"nodes": [...]}`` with the descriptions of
    :meth:`coordinator.client.CoordinatorClient.list_nodes`.
    """

    def __init__(self, nodes: list[dict[str, Any]], fetch: Fetch) -> None:
        super().__init__("nodes", {"nodes": nodes}, fetch)

    def summary(self) -> str:
        return format_nodes(self.data.get("nodes") or [])
