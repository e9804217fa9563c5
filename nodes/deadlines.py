"""One watcher thread that calls a callback for each job whose deadline passed.

Starting a ``threading.Timer`` per job costs a thread start, about half a millisecond
here, which is as much as running a short script. Waking the watcher for each new
deadline costs a thread switch per job, so deadlines can be rounded up to a grid.
Jobs whose deadlines fall in the same grid step then wake the watcher once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Deadlines:
    """Call ``callback()`` once ``seconds`` have passed, unless cancelled before.

    :meth:`add` returns a token for :meth:`discard`. The watcher thread starts on
    first use and stops with :meth:`close`. With a ``resolution`` in seconds, each
    deadline is rounded up to a multiple of it, so a callback runs up to that much
    late.
    """

    def __init__(self, name: str = "hero-deadlines", resolution: float = 0.0) -> None:
        if not resolution >= 0:
            raise ValueError(
                f"resolution must be a number of seconds >= 0, got {resolution!r}"
            )
        self._name = name
        self._resolution = resolution
        self._heap: list[tuple[float, int]] = []
        self._live: dict[int, Callable[[], None]] = {}
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, seconds: float, callback: Callable[[], None]) -> int:
        token = next(self._counter)
        with self._condition:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._watch, name=self._name, daemon=True
                )
                self._thread.start()
            due = time.monotonic() + seconds
            if self._resolution:
                due = math.ceil(due / self._resolution) * self._resolution
            earliest = not self._heap or due < self._heap[0][0]
            heapq.heappush(self._heap, (due, token))
            self._live[token] = callback
            if earliest:
                # The watcher sleeps until the earliest deadline. It is woken only
                # when that changes, so that most jobs cost no thread switch.
                self._condition.notify()
        return token

    def discard(self, token: int) -> None:
        with self._condition:
            self._live.pop(token, None)
            if len(self._heap) > 2 * len(self._live) + 64:
                # Drop the entries of discarded deadlines, which would otherwise stay
                # until they are due: an hour for the default job timeout.
                self._heap = [entry for entry in self._heap if entry[1] in self._live]
                heapq.heapify(self._heap)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._heap.clear()
            self._live.clear()
            self._condition.notify()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        while True:
            with self._condition:
                while not self._closed and (
                    not self._heap or self._heap[0][0] > time.monotonic()
                ):
                    if self._heap and self._heap[0][1] not in self._live:
                        heapq.heappop(self._heap)
                        continue
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._condition.wait(wait)
                if self._closed:
                    return
                _, token = heapq.heappop(self._heap)
                callback = self._live.pop(token, None)
            if callback is not None:
                try:
                    callback()
                except Exception:
                    logger.exception("deadline callback %r failed", callback)
