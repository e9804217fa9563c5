import calendar

import pytest

from herolib.heroscript.timeparse import (
    absolute_unix,
    parse_time,
    parse_time_of_day,
    relative_seconds,
)


def unix(*fields: int) -> int:
    return calendar.timegm((*fields, *[0] * (6 - len(fields))))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-07-04", unix(2021, 7, 4)),
        ("2021-7-4", unix(2021, 7, 4)),
        ("2021/07/04", unix(2021, 7, 4)),
        ("04-07-2021", unix(2021, 7, 4)),
        ("04/07/2021", unix(2021, 7, 4)),
        ("2021-07-04 9", unix(2021, 7, 4, 9)),
        ("2021-07-04 09:30", unix(2021, 7, 4, 9, 30)),
        ("2021-07-04 09:30:15", unix(2021, 7, 4, 9, 30, 15)),
        ("  2021-07-04  ", unix(2021, 7, 4)),
    ],
)
def test_absolute_forms(text, expected):
    assert absolute_unix(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2021-07",
        "21-07-04",
        "2021-07-04 10:20:30:40",
        "2021-07-04 10-20",
        "2021-13-01",
        "2021-01-32",
        "2021-01-01 24:00",
        "2021-01-01 10:61",
        "2021-01-01  10:00",
        "tomorrow",
        "2021-0x-01",
    ],
)
def test_absolute_rejects(text):
    with pytest.raises(ValueError):
        absolute_unix(text)


def test_absolute_day_past_month_end_rolls_over():
    assert absolute_unix("2021-02-30") == unix(2021, 3, 2)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("+10s", 10),
        ("+2m", 120),
        ("+3h", 3 * 3600),
        ("-1d", -86400),
        ("+1w", 7 * 86400),
        ("+1M", 30 * 86400),
        ("+1Q", 90 * 86400),
        ("+1Y", 365 * 86400),
        ("+1d -1h", 23 * 3600),
        (" + 2 h - 30 m ", 2 * 3600 - 1800),
        ("+h", 0),
    ],
)
def test_relative_terms(text, seconds):
    assert relative_seconds(text) == seconds


def test_relative_rejects_unknown_unit():
    with pytest.raises(ValueError, match="does not end in"):
        relative_seconds("+3x")


def test_parse_time_relative_and_empty_use_now():
    assert parse_time("+1h", now=5000) == 5000 + 3600
    assert parse_time("", now=5000) == 5000
    assert parse_time("2021-07-04", now=5000) == unix(2021, 7, 4)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00", 0),
        ("7:05", 7 * 3600 + 300),
        ("24:00", 24 * 3600),
        ("11AM", 11 * 3600),
        ("12AM", 12 * 3600),
        ("12PM", 24 * 3600),
        ("1:15PM", 13 * 3600 + 900),
    ],
)
def test_time_of_day(text, seconds):
    assert parse_time_of_day(text) == seconds


@pytest.mark.parametrize("text", ["13AM", "25:00", "10:61", "1:2:3", "-1:00"])
def test_time_of_day_rejects(text):
    with pytest.raises(ValueError):
        parse_time_of_day(text)
