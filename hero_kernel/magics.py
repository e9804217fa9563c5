"""Line magics the kernel handles itself, before a cell's language is chosen.

Also the argument parser that the kernel's magics share, which turns usage errors and
``--help`` into exceptions, so they end the cell and never the kernel.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from herolib.errors import HeroError, InvalidJobError
from herolib.models import LIMIT_NAMES, ScriptError, check_limits

LIMITS_HELP = (
    "%limits shows the engine limits given to each Rhai job of this notebook.\n"
    "%limits NAME=COUNT ... sets them; 0 keeps the node's default; %limits --reset clears them.\n"
    f"Names: {', '.join(LIMIT_NAMES)}."
)


def parse_limits(arguments: str, current: dict[str, int]) -> dict[str, int]:
    """Return the job limits after applying ``%limits`` ``arguments`` to ``current``."""
    words = shlex.split(arguments)
    if words == ["--reset"]:
        return {}
    updated = dict(current)
    for word in words:
        name, sep, text = word.partition("=")
        if not sep:
            raise InvalidJobError(
                f"%limits: expected NAME=COUNT, got {word!r}\n{LIMITS_HELP}"
            )
        try:
            updated[name] = int(text.replace("_", ""))
        except ValueError:
            raise InvalidJobError(
                f"%limits: {name} must be a whole number, got {text!r}\n{LIMITS_HELP}"
            ) from None
    check_limits(updated, "%limits")
    return updated


def format_limits(limits: dict[str, int]) -> str:
    if not limits:
        return "no job limits set: every job uses its node's defaults"
    return "\n".join(
        f"{name} = {limits[name]}" for name in LIMIT_NAMES if name in limits
    )


class UsageError(HeroError):
    """A magic got invalid arguments; the message names them and shows the usage."""


class HelpRequested(Exception):
    """``--help`` was given; ``text`` is the help to show in the cell."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class CellError(HeroError):
    """A magic failed with ``error``, whose line numbers count in ``source``.

    ``first_line`` is the cell line where ``source`` starts, as in :class:`Cell`.
    """

    def __init__(self, error: ScriptError, source: str = "", first_line: int = 1):
        super().__init__(str(error))
        self.error = error
        self.source = source
        self.first_line = first_line


class MagicParser(argparse.ArgumentParser):
    """An argument parser that raises :class:`UsageError` or :class:`HelpRequested`.

    ``argparse`` prints and calls ``sys.exit`` instead, which would end the kernel.
    Subparsers made with ``add_subparsers`` are of this class too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_words(self, arguments: str) -> argparse.Namespace:
        """Split ``arguments`` as a shell would and parse them."""
        try:
            words = shlex.split(arguments)
        except ValueError as exc:
            self.error(f"cannot split the arguments: {exc}")
        return self.parse_args(words)

    def print_help(self, file: Any = None) -> NoReturn:
        raise HelpRequested(self.format_help())

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().rstrip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or f"{self.prog}: exited with status {status}")
