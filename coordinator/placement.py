"""Job placement: a node serving the job's runner, preferably its context's home node."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Protocol

from distributed import Client

from herolib.models import Job
from nodes.plugin import node_name_of

logger = logging.getLogger(__name__)


class HomeStore(Protocol):
    def home(self, context: str) -> str | None: ...

    def save_home(self, context: str, node: str) -> None: ...


class Placement:
    """Give each context a home node, by node name, and keep it across restarts.

    A context's HeroDB data lives on its home node's disk, so the home is remembered
    by the node's name (stable across restarts, unlike a worker's address) in the
    coordinator's store. It is a preference, not a requirement: jobs go with
    ``allow_other_workers=True``, so the loss of a node does not strand them, and a
    context whose home is gone gets a new one.
    """

    def __init__(self, client: Client, store: HomeStore) -> None:
        self.client = client
        self.store = store
        self._homes: dict[str, str] = {}

    async def serving(self, runner: str) -> dict[str, str]:
        """Return ``{node name: worker address}`` of live workers serving ``runner``."""
        identity = await self.client.scheduler.identity(n_workers=-1)
        workers = identity.get("workers", {})
        return {
            node_name_of(str(info.get("name", address))): address
            for address, info in sorted(workers.items())
            if info.get("resources", {}).get(runner, 0) > 0
        }

    async def place(self, job: Job) -> list[str]:
        """Return the preferred worker address for ``job``; raise if no node serves its runner."""
        candidates = await self.serving(job.runner)
        if not candidates:
            raise LookupError(
                f"no live node serves the {job.runner!r} runner; start a node with it "
                f"(hero node --runners {job.runner}) or pick another runner"
            )
        home = self._homes.get(job.context) or self.store.home(job.context)
        if home not in candidates:
            if home is not None:
                logger.warning(
                    "context %s: home node %s is not available", job.context, home
                )
            load = Counter(self._homes.values())
            home = min(candidates, key=lambda name: (load[name], name))
            self.store.save_home(job.context, home)
            logger.info("context %s has home node %s", job.context, home)
        self._homes[job.context] = home
        return [candidates[home]]
