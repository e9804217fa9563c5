"""Batching of a job's output lines into few Jupyter ``stream`` messages.

Each iopub message counts against ZeroMQ's high-water mark (1000 by default in
ipykernel and jupyter_client), and messages past it are dropped silently. One message
per printed line loses output when a script prints fast, so lines are gathered and
sent at most every :data:`FLUSH_INTERVAL` seconds or per :data:`MAX_BATCH` characters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: Seconds between two stream messages while output arrives.
FLUSH_INTERVAL = 0.05
#: Characters gathered at most before a message goes out at once.
MAX_BATCH = 256 * 1024

Send = Callable[[str, str], None]


class StreamBuffer:
    """Gather lines per stream name and pass them to ``send(name, text)`` in batches.

    Lines keep their order across streams: a change of stream sends what came before.
    """

    def __init__(self, send: Send) -> None:
        self._send = send
        self._name = ""
        self._parts: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None

    def write(self, name: str, line: str) -> None:
        if self._parts and name != self._name:
            self.flush()
        self._name = name
        self._parts.append(line + "\n")
        self._size += len(line) + 1
        if self._size >= MAX_BATCH:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                FLUSH_INTERVAL, self.flush
            )

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._parts:
            text, self._parts, self._size = "".join(self._parts), [], 0
            self._send(self._name, text)
