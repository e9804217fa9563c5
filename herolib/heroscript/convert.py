"""Conversions from parameter text to numbers, booleans, lists and sizes, as herolib does them.

Each function raises ``ValueError`` with a short reason, and :class:`~.params.Params`
turns that into a :class:`~.errors.ParamError` that names the key and the line.
"""

from __future__ import annotations

import re

from .names import name_fix, name_fix_no_underscore
from .text import trim_space

_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1

# V's ``strconv.atoi``: an optional sign and ASCII digits, nothing else.
_INTEGER = re.compile(r"[+-]?[0-9]+")
# V's ``strconv.atof64`` accepts decimal notation with an optional exponent.
_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

_TRUE_WORDS = frozenset({"", "1", "true", "y", "yes"})
_FALSE_WORDS = frozenset({"", "0", "false", "n", "no"})

_DIGITS = "0123456789"
_SIZE_UNITS = {"KB": 1024, "MB": 1024**2, "GB": 1024**3}


def to_int(text: str) -> int:
    """Parse a signed 32-bit decimal integer, rejecting anything else (``3.5``, ``ten``)."""
    if not _INTEGER.fullmatch(text):
        raise ValueError("is not a valid signed 32-bit integer")
    number = int(text)
    if not _INT32_MIN <= number <= _INT32_MAX:
        raise ValueError("is not a valid signed 32-bit integer")
    return number


def to_float(text: str) -> float:
    """Parse a decimal float such as ``0.25``, ``-3`` or ``1e3``."""
    if not _FLOAT.fullmatch(text):
        raise ValueError("is not a valid 64-bit float")
    return float(text)


def to_float_with_percent(text: str) -> float:
    """Parse a float, dividing a value with ``%`` by 100, so ``50%`` gives 0.5."""
    if "%" in text:
        return to_float(text.replace("%", "")) / 100
    return to_float(text)


def to_percentage(text: str) -> float:
    """Parse a percentage between 0 and 100 as a fraction: ``19`` and ``19%`` give 0.19."""
    number = to_float(text.replace("%", ""))
    if number < 0 or number > 100:
        raise ValueError(f"percentage {number} is not between 0 and 100")
    return number / 100


def is_true_by_default(text: str) -> bool:
    """Return herolib's ``get_default_true``: true for empty, 1, true, y and yes."""
    return name_fix_no_underscore(text) in _TRUE_WORDS


def is_false_by_default(text: str) -> bool:
    """Return herolib's ``get_default_false``: false for empty, 0, false, n and no."""
    return name_fix_no_underscore(text) not in _FALSE_WORDS


def to_list(text: str) -> list[str]:
    """Split a list value at commas.

    ``[ ]`` around the value, quotes and spaces around items and empty items are dropped.
    """
    items = []
    for item in text.strip("[] ").split(","):
        item = item.strip("\"' ")
        if item:
            items.append(item)
    return items


def to_name_list(text: str) -> list[str]:
    """Return :func:`to_list` with each item cleaned by :func:`~.names.name_fix`."""
    return [name_fix(item) for item in to_list(text)]


def _number_items(text: str) -> list[str]:
    # herolib splits number lists without stripping brackets or quotes.
    return [trim_space(item) for item in text.split(",")]


def to_int_list(text: str) -> list[int]:
    """Parse a comma-separated list of integers, rejecting ``[1,2]`` as herolib does."""
    result = []
    for item in _number_items(text):
        try:
            result.append(to_int(item))
        except ValueError:
            raise ValueError(
                f"list item {item!r} is not a valid signed 32-bit integer"
            ) from None
    return result


def to_float_list(text: str) -> list[float]:
    """Parse a comma-separated list of floats."""
    result = []
    for item in _number_items(text):
        try:
            result.append(to_float(item))
        except ValueError:
            raise ValueError(
                f"list item {item!r} is not a valid 64-bit float"
            ) from None
    return result


def to_storage_bytes(text: str) -> int:
    """Parse a size such as ``10``, ``10KB``, ``5 MB`` or ``2gb`` into bytes (1 KB = 1024 bytes).

    A value whose last two characters are not digits must end in KB, MB or GB, in any
    letter case.
    """
    # NOTE: herolib's own source for this getter was not available. The unit rule and
    # the 1024 factors follow its documentation and tests ("10KB" -> 10240, "10" -> 10),
    # and allowing a space before the unit is a guess.
    number = text
    factor = 1
    if len(text) > 2 and text[-2] not in _DIGITS and text[-1] not in _DIGITS:
        unit = text[-2:].upper()
        if unit not in _SIZE_UNITS:
            raise ValueError("is not a size: it should end in KB, MB or GB")
        factor = _SIZE_UNITS[unit]
        number = text[:-2].strip(" ")
    if not number or any(char not in _DIGITS for char in number):
        raise ValueError("does not start with a valid unsigned integer")
    return int(number) * factor
