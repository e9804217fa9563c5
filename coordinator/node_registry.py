"""The Hero nodes a coordinator has seen, with the ones that went away marked gone."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class NodeRegistry:
    """Every node description seen, and whether its node still responds.

    The coordinator runs ``describe_node`` on every Dask worker and passes the
    replies to :meth:`update`. A node that replied before and is missing now is
    kept, with ``alive`` false, its last counts and no running jobs, so ``%nodes``
    can show that it went away.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, dict[str, Any]] = {}

    def update(self, live: list[dict[str, Any]], time: float) -> None:
        """Take the descriptions of the nodes that replied at ``time``."""
        replied = set()
        for info in live:
            name = str(info["name"])
            replied.add(name)
            if name in self._nodes and not self._nodes[name]["alive"]:
                logger.info("node %s is back", name)
            self._nodes[name] = {**info, "alive": True, "seen": time}
        for name, info in self._nodes.items():
            if name not in replied and info["alive"]:
                logger.warning(
                    "node %s did not respond to describe_node; it is shown as gone",
                    name,
                )
                info.update(alive=False, running=[])

    def all(self) -> list[dict[str, Any]]:
        """Return every node seen, alive or gone, ordered by name."""
        return [dict(self._nodes[name]) for name in sorted(self._nodes)]
