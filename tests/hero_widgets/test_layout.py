"""Layout of flows: columns by dependency depth, crossings, collapsing and stability."""

from __future__ import annotations

import random

import pytest

from hero_widgets.layout import (
    CARD_HEIGHT,
    COLLAPSE_ABOVE,
    MARGIN,
    count_inversions,
    layout_flow,
    total_crossings,
)
from herolib.flows import FlowJob


def crossings(layout) -> int:
    return total_crossings(
        layout.columns, layout.edges, [card.column for card in layout.cards]
    )


def random_out_tree(size: int, seed: int) -> list[FlowJob]:
    """Each job after the first depends on one earlier job, in shuffled order."""
    rng = random.Random(seed)
    jobs = [FlowJob("t0", "1")]
    for index in range(1, size):
        jobs.append(FlowJob(f"t{index}", "1", depends=f"t{rng.randrange(index)}"))
    rng.shuffle(jobs)
    return jobs


def random_in_tree(size: int, seed: int) -> list[FlowJob]:
    """Each job feeds exactly one later job: a tree whose root is the last job."""
    rng = random.Random(seed)
    feeds = {index: rng.randrange(index + 1, size) for index in range(size - 1)}
    jobs = [
        FlowJob(
            f"t{index}",
            "1",
            depends=tuple(
                f"t{source}" for source, target in feeds.items() if target == index
            ),
        )
        for index in range(size)
    ]
    rng.shuffle(jobs)
    return jobs


@pytest.mark.parametrize("seed", range(5))
def test_out_tree_has_no_crossing(seed):
    assert crossings(layout_flow(random_out_tree(150, seed))) == 0


@pytest.mark.parametrize("seed", range(5))
def test_in_tree_has_no_crossing(seed):
    assert crossings(layout_flow(random_in_tree(150, seed))) == 0


def test_columns_follow_dependency_depth():
    jobs = [
        FlowJob("a", "1"),
        FlowJob("b", "1", depends="a"),
        FlowJob("c", "1", depends="a,b"),
        FlowJob("d", "1"),
    ]
    layout = layout_flow(jobs)
    column = {card.name: card.column for card in layout.cards}
    assert column == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_dependent_is_right_of_dependencies():
    layout = layout_flow(random_out_tree(60, 7))
    for source, target in layout.edges:
        assert layout.cards[source].x < layout.cards[target].x


def test_cards_of_a_column_do_not_overlap():
    layout = layout_flow(random_out_tree(80, 3))
    for members in layout.columns:
        tops = sorted(layout.cards[index].y for index in members)
        for upper, lower in zip(tops, tops[1:], strict=False):
            assert lower - upper >= CARD_HEIGHT


def test_layout_is_the_same_every_time():
    jobs = random_out_tree(100, 11)
    assert layout_flow(jobs) == layout_flow(list(jobs))


def test_crossing_forced_by_shape_is_kept_minimal():
    # Two jobs that both depend on the same two jobs cross once whatever the order.
    jobs = [
        FlowJob("x", "1"),
        FlowJob("y", "1"),
        FlowJob("p", "1", depends="x,y"),
        FlowJob("q", "1", depends="x,y"),
    ]
    assert crossings(layout_flow(jobs)) == 1


def test_large_column_starts_collapsed():
    jobs = [FlowJob("root", "1")]
    jobs += [
        FlowJob(f"leaf{index}", "1", depends="root")
        for index in range(COLLAPSE_ABOVE + 1)
    ]
    layout = layout_flow(jobs)
    assert layout.collapsed == (1,)
    # The collapsed column takes the room of one card, not of all its jobs.
    assert layout.height == 2 * MARGIN + CARD_HEIGHT
    root = layout.position("root")
    assert root.y == MARGIN


def test_long_chain_lays_out():
    jobs = [FlowJob("n0", "1")]
    jobs += [
        FlowJob(f"n{index}", "1", depends=f"n{index - 1}") for index in range(1, 5000)
    ]
    layout = layout_flow(jobs)
    assert len(layout.columns) == 5000
    assert crossings(layout) == 0


def test_layout_dict_has_cards_edges_and_size():
    layout = layout_flow([FlowJob("a", "1"), FlowJob("b", "1", depends="a")])
    data = layout.to_dict()
    assert [card["name"] for card in data["cards"]] == ["a", "b"]
    assert data["edges"] == [[0, 1]]
    assert data["width"] > data["card"]["width"]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(0, 0), (1, 1)], 0),
        ([(0, 1), (1, 0)], 1),
        ([(0, 0), (0, 1)], 0),  # same start: they meet, they do not cross
        ([(0, 1), (1, 1)], 0),  # same end
        ([(0, 2), (1, 1), (2, 0)], 3),
    ],
)
def test_count_inversions(pairs, expected):
    assert count_inversions(pairs) == expected
