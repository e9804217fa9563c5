"""The output of one cell: stream lines and its result, sent as replies to its request.

Events of a flow arrive on a task that an earlier cell started, so every message
names the cell's request as its parent explicitly instead of taking it from the
task's context, which would name that earlier cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hero_kernel.streams import StreamBuffer

if TYPE_CHECKING:
    from hero_kernel.kernel import HeroKernel


class CellOutput:
    """Send stream text and an ``execute_result`` for cell number ``count``.

    Nothing is sent when ``silent`` is set. Lines are batched (see
    :class:`StreamBuffer`), so call :meth:`flush` before the cell's reply.
    """

    def __init__(
        self, kernel: HeroKernel, parent: dict[str, Any], count: int, silent: bool
    ) -> None:
        self._kernel = kernel
        self._parent = parent
        self.count = count
        self.silent = silent
        self._streams = StreamBuffer(self._send_stream)

    def write(self, name: str, line: str) -> None:
        """Send ``line`` to the stream ``name`` (stdout or stderr), adding a newline."""
        if not self.silent:
            self._streams.write(name, line)

    def print(self, text: str) -> None:
        """Send ``text`` to stdout, one line per line of it."""
        for line in text.split("\n"):
            self.write("stdout", line)

    def result(self, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        """Send the cell's ``execute_result`` with the mime bundle ``data``."""
        self.flush()
        if self.silent:
            return
        content = {"execution_count": self.count, "data": data, "metadata": metadata}
        self._kernel.session.send(
            self._kernel.iopub_socket,
            "execute_result",
            content,
            self._parent,
            ident=self._kernel._topic("execute_result"),
        )

    def display(
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        *,
        display_id: str | None = None,
        update: bool = False,
    ) -> None:
        """Send ``display_data``, or with ``update`` replace the display ``display_id``.

        Stream lines written before are sent first, so the cell keeps their order.
        """
        self.flush()
        if self.silent:
            return
        content: dict[str, Any] = {"data": data, "metadata": metadata or {}}
        if display_id is not None:
            content["transient"] = {"display_id": display_id}
        kind = "update_display_data" if update else "display_data"
        self._kernel.session.send(
            self._kernel.iopub_socket,
            kind,
            content,
            self._parent,
            ident=self._kernel._topic(kind),
        )

    def flush(self) -> None:
        self._streams.flush()

    def _send_stream(self, name: str, text: str) -> None:
        self._kernel.session.send(
            self._kernel.iopub_socket,
            "stream",
            {"name": name, "text": text},
            self._parent,
            ident=self._kernel._topic("stream"),
        )
