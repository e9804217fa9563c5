import pytest

from hero_kernel.magics import format_limits, parse_limits
from herolib.errors import InvalidJobError


def test_parse_limits_updates_and_resets():
    limits = parse_limits("max_operations=1_000 max_map_size=5", {})
    assert limits == {"max_operations": 1000, "max_map_size": 5}
    assert parse_limits("max_map_size=7", limits) == {
        "max_operations": 1000,
        "max_map_size": 7,
    }
    assert parse_limits("--reset", limits) == {}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [("max_operations", "NAME=COUNT"), ("max_operations=lots", "whole number"),
     ("max_speed=3", "unknown limit 'max_speed'"), ("max_operations=-1", ">= 0")],
)  # fmt: skip
def test_parse_limits_rejects_bad_input(arguments, expected):
    with pytest.raises(InvalidJobError, match=expected):
        parse_limits(arguments, {})


def test_format_limits():
    assert "node's defaults" in format_limits({})
    assert format_limits({"max_map_size": 3, "max_operations": 9}) == (
        "max_operations = 9\nmax_map_size = 3"
    )
