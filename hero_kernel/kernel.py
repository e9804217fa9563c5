"""The Hero kernel: an IPython kernel whose cells are Rhai jobs unless marked otherwise.

Rhai cells go to the coordinator as jobs, and their output streams back from the node
that runs them. ``%%python`` cells run in this process's IPython, which keeps widgets,
``display()`` and comms working both ways.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ipykernel.ipkernel import IPythonKernel

from hero_kernel import __version__
from hero_kernel.cells import (
    HEROSCRIPT,
    MODULE,
    PYTHON,
    RHAI,
    Cell,
    expand_heroscript,
    split_cell,
)
from hero_kernel.connection import CONNECT_PARSER, CoordinatorConnection
from hero_kernel.flow_magics import FlowMagics
from hero_kernel.introspection import Namespace, node_functions
from hero_kernel.magics import (
    LIMITS_HELP,
    CellError,
    HelpRequested,
    format_limits,
    parse_limits,
)
from hero_kernel.output import CellOutput
from hero_kernel.record_magics import RecordMagics
from hero_kernel.render import error_content, result_data
from hero_kernel.streams import StreamBuffer
from herolib import protocol
from herolib.errors import HeroError
from herolib.flow_script import has_flow_actions
from herolib.heroscript import HeroScriptError, Playbook
from herolib.models import Job, JobOutcome, ScriptError, new_id
from herolib.states import JobState
from nodes.rhai import parse_status

#: Environment variable that names the kernel's context (its HeroDB database and Rhai session).
CONTEXT_ENV = "HERO_CONTEXT"
#: Set by Jupyter Server to the notebook's path.
SESSION_NAME_ENV = "JPY_SESSION_NAME"
#: Environment variable with the default job timeout of a cell, in seconds.
TIMEOUT_ENV = "HERO_JOB_TIMEOUT"
INTERRUPT_REASON = "interrupted from the kernel (Kernel > Interrupt)"
#: Magics that the kernel carries out itself, by their first word.
KERNEL_MAGICS = frozenset({"%%job", "%flow", "%connect", "%nodes", "%job"})

T = TypeVar("T")


class HeroKernel(IPythonKernel):
    """Jupyter kernel for Rhai cells run as Hero jobs, with IPython underneath."""

    implementation = "hero"
    implementation_version = __version__
    language_info = {
        "name": "rhai",
        "version": "1",
        "mimetype": "text/x-rhai",
        "file_extension": ".rhai",
        "codemirror_mode": "rust",
        "pygments_lexer": "rust",
    }
    banner = (
        "Hero Notebook: Rhai cells run as jobs on Hero nodes; "
        "start a cell with %%python for Python."
    )
    help_links = [{"text": "Rhai book", "url": "https://rhai.rs/book/"}]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = session_context()
        # A bad setting must not kill the kernel at start, where no user would see why, so
        # it is reported on every Rhai or HeroScript cell instead.
        self.setup_error: str | None = None
        try:
            self.job_timeout = _timeout_from_env()
        except ValueError as exc:
            self.job_timeout, self.setup_error = None, str(exc)
        self.connection = CoordinatorConnection(topics=(f"{self.context}.",))
        self.flows = FlowMagics(self)
        self.records = RecordMagics(self)
        self._cells = 0
        self._pending_interrupt = False
        self._namespace: Namespace | None = None
        self._last_summary: dict[str, Any] | None = None
        self.job_limits: dict[str, int] = {}
        self.modules: dict[str, str] = {}

    async def do_execute(
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool = False,
        *,
        cell_meta: dict[str, Any] | None = None,
        cell_id: str | None = None,
    ) -> dict[str, Any]:
        if code.lstrip().startswith("%limits"):
            return self._limits_magic(code.strip()[len("%limits") :], silent)
        words = code.split(maxsplit=1)
        if words and words[0] in KERNEL_MAGICS:
            return await self._kernel_magic(code, silent, store_history, cell_id)
        cell = split_cell(code)
        if cell.language == PYTHON:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if self._take_pending_interrupt():
                count = self.shell.execution_count
                error = ScriptError(
                    "KeyboardInterrupt", "interrupted before the cell started"
                )
                return self._send_error(error, cell, count, silent)
            return await super().do_execute(
                cell.code,
                silent,
                store_history,
                user_expressions,
                allow_stdin,
                cell_meta=cell_meta,
                cell_id=cell_id,
            )

        count = self.shell.execution_count
        if store_history:
            # NOTE: history "tail" and "search" requests see these cells; "range"
            # requests for the current session do not.
            self.shell.history_manager.store_inputs(count, code)
            self.shell.execution_count += 1
        if cell.language == MODULE:
            if not cell.name.isidentifier():
                error = ScriptError(
                    "UsageError", f"%%module needs a NAME, got {cell.name!r}"
                )
                return self._send_error(error, cell, count, silent)
            # A module is checked on a node at once; later cells can then import it.
            previous = self.modules.get(cell.name)
            self.modules[cell.name] = cell.code
        if cell.language == HEROSCRIPT:
            try:
                playbook = Playbook(cell.code)
                if has_flow_actions(playbook):
                    return await self._run_magic(
                        lambda output: self.flows.run_playbook(playbook, cell, output),
                        cell,
                        count,
                        silent,
                    )
                cell = expand_heroscript(cell)
            except HeroScriptError as exc:
                error = ScriptError("HeroScriptError", exc.message, exc.line)
                return self._send_error(error, cell, count, silent)
        if not cell.code.strip():
            return {
                "status": "ok",
                "execution_count": count,
                "payload": [],
                "user_expressions": {},
            }

        if self.setup_error is not None:
            error = ScriptError("ConfigurationError", self.setup_error)
            return self._send_error(error, cell, count, silent)
        try:
            outcome = await self._run_job(cell, silent, self.get_parent("shell"))
        except asyncio.CancelledError:
            # Only an interrupt before submission cancels this task; see _InterruptGuard.
            error = ScriptError(
                "KeyboardInterrupt",
                "interrupted before the job reached the coordinator",
            )
            return self._send_error(error, cell, count, silent)
        except HeroError as exc:
            return self._send_error(
                ScriptError(type(exc).__name__, str(exc)), cell, count, silent
            )
        except Exception as exc:
            self.log.exception("Rhai cell %d failed in the kernel", count)
            return self._send_error(
                ScriptError(type(exc).__name__, str(exc)), cell, count, silent
            )

        if outcome.namespace is not None:
            self._last_summary = outcome.namespace
            if self._namespace is not None:
                self._namespace.update(outcome.namespace)
        if cell.language == MODULE:
            if outcome.state is not JobState.FINISHED:
                if previous is None:
                    self.modules.pop(cell.name)
                else:
                    self.modules[cell.name] = previous
            elif not silent:
                text = f'module {cell.name!r} is ready: import "{cell.name}" as {cell.name};\n'
                self.send_response(
                    self.iopub_socket, "stream", {"name": "stdout", "text": text}
                )
        if outcome.state is not JobState.FINISHED:
            error = outcome.error or ScriptError(
                "ErrorJob", f"job ended in state {outcome.state.value}"
            )
            return self._send_error(error, cell, count, silent)
        data = result_data(outcome)
        if data is not None and not silent:
            self.send_response(
                self.iopub_socket,
                "execute_result",
                {"execution_count": count, "data": data, "metadata": {}},
            )
        return {
            "status": "ok",
            "execution_count": count,
            "payload": [],
            "user_expressions": {},
        }

    def pre_handler_hook(self) -> None:
        # ipykernel raises KeyboardInterrupt here, which kills the kernel when it lands
        # between messages or before a Rhai cell's guard; note the interrupt instead.
        self.saved_sigint_handler = signal.signal(signal.SIGINT, self._note_interrupt)

    def post_handler_hook(self) -> None:
        self._pending_interrupt = False
        signal.signal(signal.SIGINT, self.saved_sigint_handler)

    def _note_interrupt(self, signum: int, frame: Any) -> None:
        self._pending_interrupt = True

    def _take_pending_interrupt(self) -> bool:
        pending, self._pending_interrupt = self._pending_interrupt, False
        return pending

    def _limits_magic(self, arguments: str, silent: bool) -> dict[str, Any]:
        count = self.shell.execution_count
        self.shell.execution_count += 1
        if arguments.strip() in ("-h", "--help"):
            text = LIMITS_HELP
        else:
            try:
                self.job_limits = parse_limits(arguments, self.job_limits)
            except HeroError as exc:
                cell = Cell(RHAI, arguments)
                return self._send_error(
                    ScriptError("UsageError", str(exc)), cell, count, silent
                )
            text = format_limits(self.job_limits)
        if not silent:
            self.send_response(
                self.iopub_socket, "stream", {"name": "stdout", "text": text + "\n"}
            )
        return {
            "status": "ok",
            "execution_count": count,
            "payload": [],
            "user_expressions": {},
        }

    async def _kernel_magic(
        self, code: str, silent: bool, store_history: bool, cell_id: str | None
    ) -> dict[str, Any]:
        """Carry out a ``%%job`` cell, or a ``%flow``, ``%nodes``, ``%job`` or ``%connect`` line."""
        count = self.shell.execution_count
        if store_history:
            self.shell.history_manager.store_inputs(count, code)
            self.shell.execution_count += 1
        magic = code.split(maxsplit=1)[0]
        arguments = code.strip()[len(magic) :]
        cell = Cell(RHAI, code)

        async def carry_out(output: CellOutput) -> None:
            if magic == "%%job":
                self.flows.define_job(code, cell_id, output)
            elif magic == "%flow":
                await self.guarded(
                    lambda _: self.flows.command(arguments, output), "request"
                )
            elif magic == "%nodes":
                await self.guarded(
                    lambda _: self.records.nodes(arguments, output), "request"
                )
            elif magic == "%job":
                await self.guarded(
                    lambda _: self.records.job(arguments, output), "request"
                )
            else:
                await self._connect_magic(arguments, output)

        return await self._run_magic(carry_out, cell, count, silent)

    async def _run_magic(
        self,
        carry_out: Callable[[CellOutput], Awaitable[None]],
        cell: Cell,
        count: int,
        silent: bool,
    ) -> dict[str, Any]:
        """Run a magic's ``carry_out(output)`` and turn what it raises into a cell error."""
        output = CellOutput(self, self.get_parent("shell"), count, silent)
        try:
            await carry_out(output)
        except HelpRequested as help_text:
            output.print(help_text.text.rstrip())
        except CellError as exc:
            output.flush()
            failed = Cell(cell.language, exc.source, exc.first_line)
            return self._send_error(exc.error, failed, count, silent)
        except HeroError as exc:
            output.flush()
            error = ScriptError(type(exc).__name__, str(exc))
            return self._send_error(error, Cell(cell.language, ""), count, silent)
        except Exception as exc:
            output.flush()
            self.log.exception("magic of cell %d failed in the kernel", count)
            error = ScriptError(type(exc).__name__, str(exc))
            return self._send_error(error, Cell(cell.language, ""), count, silent)
        output.flush()
        return {
            "status": "ok",
            "execution_count": count,
            "payload": [],
            "user_expressions": {},
        }

    async def _connect_magic(self, arguments: str, output: CellOutput) -> None:
        args = CONNECT_PARSER.parse_words(arguments)
        connection = self.connection

        async def switch(guard: _InterruptGuard) -> str:
            if args.embedded:
                await connection.use_embedded()
            elif args.address is not None:
                await connection.connect(args.address)
            return await connection.describe()

        output.print(await self.guarded(switch, "request"))

    async def guarded(
        self, work: Callable[[_InterruptGuard], Awaitable[T]], what: str
    ) -> T:
        """Run ``work(guard)`` so that Kernel > Interrupt cancels what it started.

        ``work`` passes the guard a cancel function once its job or flow is submitted.
        An interrupt before then ends ``work`` with :class:`Interrupted`, whose message
        names ``what`` was to be submitted.
        """
        with _InterruptGuard(self, what) as guard:
            try:
                return await work(guard)
            except asyncio.CancelledError:
                if not guard.interrupted_early:
                    raise
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
        raise Interrupted(
            f"interrupted before the {what} reached the coordinator; run the cell again"
        )

    async def _run_job(
        self, cell: Cell, silent: bool, parent: dict[str, Any]
    ) -> JobOutcome:
        return await self.guarded(
            lambda guard: self._submit_and_wait(cell, silent, parent, guard), "job"
        )

    async def _submit_and_wait(
        self, cell: Cell, silent: bool, parent: dict[str, Any], guard: _InterruptGuard
    ) -> JobOutcome:
        client = await self.connection.client()
        self._cells += 1
        flow = f"{self.context}.{self._cells}"
        job = Job(
            id=new_id(f"{flow}."),
            flow=flow,
            context=self.context,
            script="" if cell.language == MODULE else cell.code,
            runner="python" if cell.language == HEROSCRIPT else "osis",
            timeout=self.job_timeout,
            name=f"cell {self._cells}",
            limits=dict(self.job_limits) or None,
            modules=dict(self.modules) or None,
        )

        def send(name: str, text: str) -> None:
            # Events arrive on a task started by an earlier cell, so the parent is given
            # explicitly: the task's own context would name that earlier cell.
            content = {"name": name, "text": text}
            self.session.send(
                self.iopub_socket,
                "stream",
                content,
                parent,
                ident=self._topic("stream"),
            )

        streams = StreamBuffer(send)

        def on_event(event: dict[str, Any]) -> None:
            if event["type"] == protocol.OUTPUT and not silent:
                name = "stderr" if event.get("stream") == "debug" else "stdout"
                streams.write(name, event["text"])

        try:
            outcome = await client.submit(job, on_event)
            guard.watch(f"job {job.id}", lambda reason: client.cancel(job.id, reason))
            return await client.wait(job.id, outcome)
        finally:
            streams.flush()

    def _send_error(
        self, error: ScriptError, cell: Cell, count: int, silent: bool
    ) -> dict[str, Any]:
        content = error_content(error, cell.code, cell.first_line)
        if not silent:
            self.send_response(self.iopub_socket, "error", content)
        return {"status": "error", "execution_count": count, **content}

    async def do_is_complete(self, code: str) -> dict[str, Any]:
        cell = split_cell(code)
        if cell.language == PYTHON:
            return (
                super().do_is_complete(cell.code)
                if cell.code.strip()
                else {"status": "incomplete", "indent": ""}
            )
        if cell.language != RHAI:
            return {"status": "unknown"}
        status = parse_status(cell.code)
        return (
            {"status": status, "indent": ""}
            if status == "incomplete"
            else {"status": status}
        )

    async def do_complete(self, code: str, cursor_pos: int) -> dict[str, Any]:
        cell = split_cell(code)
        if cell.language == PYTHON:
            offset = len(code) - len(cell.code)
            if cursor_pos < offset:
                return {"status": "ok", "matches": [], "cursor_start": cursor_pos,
                        "cursor_end": cursor_pos, "metadata": {}}  # fmt: skip
            reply = await _maybe_await(
                super().do_complete(cell.code, cursor_pos - offset)
            )
            reply["cursor_start"] += offset
            reply["cursor_end"] += offset
            return reply
        return self.namespace.complete(code, cursor_pos)

    async def do_inspect(
        self, code: str, cursor_pos: int, detail_level: int = 0, omit_sections: Any = ()
    ) -> dict[str, Any]:
        cell = split_cell(code)
        if cell.language == PYTHON:
            offset = len(code) - len(cell.code)
            if cursor_pos < offset:
                return {"status": "ok", "found": False, "data": {}, "metadata": {}}
            return await _maybe_await(
                super().do_inspect(
                    cell.code, cursor_pos - offset, detail_level, omit_sections
                )
            )
        return self.namespace.inspect(code, cursor_pos)

    @property
    def namespace(self) -> Namespace:
        """Names for completion and inspection, built on first use."""
        if self._namespace is None:
            self._namespace = Namespace(node_functions())
            self._namespace.update(self._last_summary)
        return self._namespace

    def do_shutdown(self, restart: bool) -> dict[str, Any]:
        self.connection.stop()
        return super().do_shutdown(restart)


class Interrupted(HeroError):
    """Kernel > Interrupt arrived before the cell's job was submitted."""


class _InterruptGuard:
    """While a cell waits for the coordinator, turn SIGINT into a cancel request.

    The kernel's default handler would raise KeyboardInterrupt inside the event loop.
    Here the signal cancels the job or flow once it is submitted. Before that, while
    the kernel still waits for the coordinator, it cancels the waiting task instead.
    """

    def __init__(self, kernel: HeroKernel, what: str = "job") -> None:
        self.kernel = kernel
        self.what = what
        self.target = ""
        self.interrupted_early = False
        self._cancel: Callable[[str], Awaitable[Any]] | None = None
        self._task = asyncio.current_task()
        self._saved: Any = None
        self._requests: list[asyncio.Task[Any]] = []

    def __enter__(self) -> _InterruptGuard:
        if self.kernel._take_pending_interrupt():
            self.interrupted_early = True
            raise Interrupted(
                f"interrupted before the {self.what} reached the coordinator; "
                "run the cell again"
            )
        if threading.current_thread() is threading.main_thread():
            loop = asyncio.get_running_loop()
            self._saved = signal.signal(
                signal.SIGINT, lambda *_: loop.call_soon_threadsafe(self._interrupt)
            )
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._saved is not None:
            signal.signal(signal.SIGINT, self._saved)

    def watch(self, target: str, cancel: Callable[[str], Awaitable[Any]]) -> None:
        """Call ``cancel(reason)`` on later interrupts; ``target`` names it in logs."""
        self.target, self._cancel = target, cancel

    def _interrupt(self) -> None:
        if self._cancel is None:
            self.kernel.log.info("interrupt before the %s was submitted", self.what)
            self.interrupted_early = True
            if self._task is not None:
                self._task.cancel()
            return
        self.kernel.log.info("interrupt: cancelling %s", self.target)
        self._requests.append(asyncio.ensure_future(self._send_cancel(self._cancel)))

    async def _send_cancel(self, cancel: Callable[[str], Awaitable[Any]]) -> None:
        try:
            await cancel(INTERRUPT_REASON)
        except HeroError:
            self.kernel.log.exception("could not cancel %s", self.target)


async def _maybe_await(value: Any) -> Any:
    return (
        await value
        if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future)
        else value
    )


def session_context() -> str:
    """Return the kernel's context name.

    ``HERO_CONTEXT`` wins. Otherwise the name is derived from the notebook's path, so a
    notebook finds its HeroDB data again after a kernel restart. Without a path it is a
    new random name.
    """
    configured = os.environ.get(CONTEXT_ENV)
    if configured:
        return configured
    notebook = os.environ.get(SESSION_NAME_ENV)
    if notebook:
        return "nb-" + hashlib.sha256(notebook.encode()).hexdigest()[:16]
    return new_id("nb-")


def _timeout_from_env() -> float | None:
    text = os.environ.get(TIMEOUT_ENV)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"{TIMEOUT_ENV} must be a number of seconds, got {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"{TIMEOUT_ENV} must be a positive number of seconds, got {text!r}"
        )
    return value
