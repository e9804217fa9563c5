"""Jobs whose client went away: the state that finds them, free of I/O.

A client that submits a job with a ``heartbeat`` promises to send some request at
least that often while it waits (the asyncio client reads the job's status). When it
stays silent for :data:`MISSED_BEATS` heartbeats, and at least :data:`MIN_SILENCE`
seconds, its jobs count as orphans and the coordinator cancels them, so a killed
kernel does not leave a script spinning on a shared node until its timeout.
"""

from __future__ import annotations

import dataclasses

MISSED_BEATS = 3
MIN_SILENCE = 15.0


@dataclasses.dataclass
class _Watched:
    client: bytes
    heartbeat: float


class ClientWatch:
    """Track when each client was last heard from, and which jobs it watches."""

    def __init__(self) -> None:
        self._last_seen: dict[bytes, float] = {}
        self._jobs: dict[str, _Watched] = {}

    def seen(self, client: bytes, time: float) -> None:
        self._last_seen[client] = time

    def watch(self, job_id: str, client: bytes, heartbeat: float, time: float) -> None:
        self._jobs[job_id] = _Watched(client, heartbeat)
        self.seen(client, time)

    def forget(self, job_id: str) -> None:
        watched = self._jobs.pop(job_id, None)
        if watched is not None and not any(
            other.client == watched.client for other in self._jobs.values()
        ):
            self._last_seen.pop(watched.client, None)

    def orphans(self, time: float) -> list[str]:
        """Return the jobs whose client has been silent too long at ``time``."""
        found = []
        for job_id, watched in self._jobs.items():
            silence = time - self._last_seen.get(watched.client, time)
            if silence > max(MISSED_BEATS * watched.heartbeat, MIN_SILENCE):
                found.append(job_id)
        return found
