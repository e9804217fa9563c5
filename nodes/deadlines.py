"""One watcher thread that calls a callback for each job whose deadline passed.

Starting a ``threading.Timer`` per job costs a thread start, about half a millisecond
here, which is as much as running a short script.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Deadlines:
    """Call ``callback()`` once ``seconds`` have passed, unless cancelled before.

    :meth:`add` returns a token for :meth:`discard`. The watcher thread starts on
    first use and stops with :meth:`close`.
    """

    def __init__(self, name: str = "hero-deadlines") -> None:
        self._name = name
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()
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
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, callback))
            self._live.add(token)
            self._condition.notify()
        return token

    def discard(self, token: int) -> None:
        with self._condition:
            self._live.discard(token)

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
                _, token, callback = heapq.heappop(self._heap)
                due = token in self._live
                self._live.discard(token)
            if due:
                try:
                    callback()
                except Exception:
                    logger.exception("deadline callback %r failed", callback)
