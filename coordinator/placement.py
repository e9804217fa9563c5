"""Where a job runs: a node serving its runner, preferably its context's home node."""

from __future__ import annotations

import logging
from collections import Counter

from distributed import Client

from herolib.models import Job

logger = logging.getLogger(__name__)


class Placement:
    """Give each context a home node and keep it there while that node lives.

    The home is a preference, not a requirement: jobs go with
    ``allow_other_workers=True``, so the loss of a node does not strand them.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self._homes: dict[str, str] = {}

    async def serving(self, runner: str) -> list[str]:
        """Return the addresses of live workers that advertise the ``runner`` resource."""
        identity = await self.client.scheduler.identity(n_workers=-1)
        workers = identity.get("workers", {})
        return sorted(
            address
            for address, info in workers.items()
            if info.get("resources", {}).get(runner, 0) > 0
        )

    async def place(self, job: Job) -> list[str]:
        """Return the preferred worker addresses for ``job``; raise if no node serves its runner."""
        candidates = await self.serving(job.runner)
        if not candidates:
            raise LookupError(
                f"no live node serves the {job.runner!r} runner; start a node with it "
                f"(hero node --runners {job.runner}) or pick another runner"
            )
        home = self._homes.get(job.context)
        if home not in candidates:
            load = Counter(self._homes.values())
            home = min(candidates, key=lambda address: (load[address], address))
            self._homes[job.context] = home
            logger.info("context %s has home node %s", job.context, home)
        return [home]
