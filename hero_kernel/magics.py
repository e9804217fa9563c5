"""Line magics the kernel handles itself, before a cell's language is chosen."""

from __future__ import annotations

import shlex

from herolib.errors import InvalidJobError
from herolib.models import LIMIT_NAMES, check_limits

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
