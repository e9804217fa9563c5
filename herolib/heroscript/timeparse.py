"""Dates, times and times of day in the forms herolib's ``ourtime`` and params accept.

Absolute dates, read as UTC:

- ``YYYY-MM-DD``, ``YYYY-MM-DD HH``, ``YYYY-MM-DD HH:mm``, ``YYYY-MM-DD HH:mm:ss``,
- ``DD-MM-YYYY`` with the same time forms (the year must have four digits),
- and ``/`` may stand for ``-`` in the date.

Relative times start with ``+`` or ``-`` and add up terms such as ``+1w +2d -4h``
to the current time. Units: ``s`` second, ``m`` minute, ``h`` hour, ``d`` day,
``w`` week, ``M`` month (30 days), ``Q`` quarter (90 days), ``Y`` year (365 days).

A time of day is ``16:21`` (24-hour) or ``10AM``, ``8:07PM`` (12-hour).
"""

from __future__ import annotations

import re
import time

from .text import trim_space

_RELATIVE_UNITS = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "M": 30 * 86400,
    "Q": 90 * 86400,
    "Y": 365 * 86400,
}
_ATOI = re.compile(r"[+-]?[0-9]+")
_LEADING_INT = re.compile(r"[+-]?[0-9]*")


def _leading_int(text: str) -> int:
    """Read an integer like V's ``string.int()``: the leading digits, 0 when there are none."""
    # NOTE: V also reads 0x/0b/0o prefixes and reads 3+ digit numbers with a leading
    # zero as octal. This reader does neither, which matters only for such inputs.
    match = _LEADING_INT.match(text)
    digits = match.group(0) if match else ""
    if digits in ("", "+", "-"):
        return 0
    return int(digits)


def _atoi(text: str, field: str, original: str) -> int:
    if not _ATOI.fullmatch(text):
        raise ValueError(f"invalid {field} {text!r} in date/time {original!r}")
    return int(text)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Count days from 1970-01-01, rolling a day past the month's end into the next month."""
    shifted_year = year - 1 if month <= 2 else year
    era = (shifted_year if shifted_year >= 0 else shifted_year - 399) // 400
    year_of_era = shifted_year - era * 400
    month_index = (month + 9) % 12
    day_of_year = (153 * month_index + 2) // 5
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468 + (day - 1)


def relative_seconds(text: str) -> int:
    """Sum the terms of a relative time such as ``+1w +2d -4h`` into seconds.

    Spaces are ignored anywhere, so ``' - 1 s '`` is -1.

    Raises
    ------
    ValueError
        When a term does not end in one of the units s, m, h, d, w, M, Q, Y.
    """
    compact = text.replace(" ", "")
    compact = compact.replace("+", "\x00+").replace("-", "\x00-")
    total = 0
    for term in compact.split("\x00"):
        if not term:
            continue
        unit = term[-1]
        if unit not in _RELATIVE_UNITS:
            raise ValueError(
                f"relative time term {term!r} does not end in s, m, h, d, w, M, Q or Y"
            )
        factor = _RELATIVE_UNITS[unit]
        if term.startswith("-"):
            factor = -factor
        # herolib drops the first character (the sign) and the unit, then reads the number.
        total += _leading_int(term[1:-1]) * factor
    return total


def absolute_unix(text: str) -> int:
    """Parse an absolute date and optional time, read as UTC, into unix seconds.

    Raises
    ------
    ValueError
        When the text is not one of the date forms in the module docstring.
    """
    trimmed = trim_space(text)
    parts = trimmed.split(" ")
    if len(parts) > 2:
        raise ValueError(f"date/time {text!r} has more than one space")
    date_part = parts[0].replace("/", "-")
    time_part = parts[1] if len(parts) == 2 else ""
    if "-" in time_part or "/" in time_part:
        raise ValueError(f"the time part of {text!r} contains - or /")
    date_fields = date_part.split("-")
    if len(date_fields) != 3:
        raise ValueError(f"date {text!r} is not YYYY-MM-DD or DD-MM-YYYY")
    if len(date_fields[2]) == 4:
        date_fields.reverse()
    elif len(date_fields[0]) != 4:
        raise ValueError(
            f"date {text!r} is not YYYY-MM-DD or DD-MM-YYYY (the year needs 4 digits)"
        )
    if trim_space(time_part) == "":
        time_part = "00:00:00"
    time_fields = time_part.split(":")
    if len(time_fields) > 3:
        raise ValueError(f"time {time_part!r} has more than three fields")
    time_fields += ["00"] * (3 - len(time_fields))
    year = _atoi(date_fields[0], "year", text)
    month = _atoi(date_fields[1], "month", text)
    day = _atoi(date_fields[2], "day", text)
    hour = _atoi(time_fields[0], "hour", text)
    minute = _atoi(time_fields[1], "minute", text)
    second = _atoi(time_fields[2], "second", text)
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} in {text!r} is not between 1 and 12")
    # NOTE: like V's time.parse as far as known, only 1..31 is checked, so 2023-02-30
    # rolls over to 2023-03-02 instead of being rejected.
    if not 1 <= day <= 31:
        raise ValueError(f"day {day} in {text!r} is not between 1 and 31")
    if not 0 <= hour <= 23:
        raise ValueError(f"hour {hour} in {text!r} is not between 0 and 23")
    if not 0 <= minute <= 59 or not 0 <= second <= 59:
        raise ValueError(f"minutes and seconds in {text!r} must be between 0 and 59")
    return (
        _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    )


def parse_time(text: str, now: float | None = None) -> int:
    """Parse an absolute or relative time into unix seconds.

    Parameters
    ----------
    text
        A date as in the module docstring, a relative time starting with ``+`` or ``-``,
        or empty text for the current time.
    now
        The current unix time for relative times, ``time.time()`` when omitted.

    Returns
    -------
    int
        Unix seconds.

    Raises
    ------
    ValueError
        When the text is neither form.
    """
    current = int(time.time() if now is None else now)
    trimmed = trim_space(text)
    if trimmed == "":
        return current
    if trimmed.startswith(("+", "-")):
        return current + relative_seconds(trimmed)
    return absolute_unix(trimmed)


def parse_time_of_day(text: str) -> int:
    """Parse ``16:21``, ``10AM`` or ``8:07PM`` into seconds since midnight.

    A 12-hour value takes hours 0 to 12 and ``PM`` adds 12, so ``12PM`` gives 24:00
    as in herolib. A 24-hour value takes hours 0 to 24, and minutes run from 0 to 60.
    Text that is not a number counts as 0, as V's ``string.int()`` reads it.

    Raises
    ------
    ValueError
        When there are more than two fields or a field is out of range.
    """
    is_am = text.endswith("AM")
    is_pm = text.endswith("PM")
    fields = (text[:-2] if is_am or is_pm else text).split(":")
    if len(fields) > 2:
        raise ValueError("is not a time of day: expected HH:MM, HHAM or HH:MMPM")
    minute = _leading_int(fields[1]) if len(fields) == 2 else 0
    hour = _leading_int(fields[0])
    if is_am or is_pm:
        if not 0 <= hour <= 12:
            raise ValueError(f"hour {hour} is not between 0 and 12 for AM/PM")
        if is_pm:
            hour += 12
    elif not 0 <= hour <= 24:
        raise ValueError(f"hour {hour} is not between 0 and 24")
    if not 0 <= minute <= 60:
        raise ValueError(f"minute {minute} is not between 0 and 60")
    return hour * 3600 + minute * 60
