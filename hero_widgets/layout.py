"""Layout of a flow's DAG: columns by dependency depth, ordered to reduce edge crossings.

Each job goes in the column of its depth: a job without dependencies is in column 0,
and any other job in the column after its deepest dependency. A job that feeds
others then moves right to the column before its first dependent, which keeps
edges short where shallow branches join deep ones. Inside a column, jobs
are ordered by the barycenter method. Each sweep sorts a column by the mean position
of the jobs it links to in the column before (or, sweeping back, after). The order
with the fewest crossings between neighbouring columns is kept. Edges that
skip columns count as if they linked the two neighbouring columns they start and end
in.

The layout depends on the flow's definition only, so job state changes never move a
card. Positions are in SVG user units, the card's top left corner.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from typing import Any

from herolib.flows import FlowJob, topological_order

CARD_WIDTH = 180
CARD_HEIGHT = 56
COLUMN_GAP = 64
ROW_GAP = 14
MARGIN = 16
#: Barycenter sweeps (one forward and one back each) before the best order is kept.
SWEEPS = 4
#: Columns with more jobs than this start collapsed into one group card.
COLLAPSE_ABOVE = 40


@dataclasses.dataclass(frozen=True)
class Card:
    """The position of one job's card: column, row and top-left corner."""

    name: str
    column: int
    row: int
    x: float
    y: float


@dataclasses.dataclass(frozen=True)
class Layout:
    """Cards in the order of the flow's definition, edges as index pairs, and size.

    ``edges`` go from a dependency to its dependent. ``columns`` lists the card
    indexes of each column from top to bottom, and ``collapsed`` the columns that
    start collapsed.
    """

    cards: tuple[Card, ...]
    edges: tuple[tuple[int, int], ...]
    columns: tuple[tuple[int, ...], ...]
    collapsed: tuple[int, ...]
    width: float
    height: float

    def position(self, name: str) -> Card:
        for card in self.cards:
            if card.name == name:
                return card
        raise KeyError(f"the layout has no job named {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the layout in the form the widget's JavaScript reads."""
        return {
            "cards": [
                {"name": c.name, "column": c.column, "row": c.row, "x": c.x, "y": c.y}
                for c in self.cards
            ],
            "edges": [list(edge) for edge in self.edges],
            "columns": [list(column) for column in self.columns],
            "collapsed": list(self.collapsed),
            "width": self.width,
            "height": self.height,
            "card": {"width": CARD_WIDTH, "height": CARD_HEIGHT},
        }


def layout_flow(jobs: Sequence[FlowJob]) -> Layout:
    """Lay out ``jobs`` (a checked, acyclic set of flow steps) left to right."""
    index = {job.name: position for position, job in enumerate(jobs)}
    column_of = _columns(jobs)
    edges = tuple(
        (index[dependency], index[job.name])
        for job in jobs
        for dependency in dict.fromkeys(job.depends)
    )

    count = 1 + max(column_of.values(), default=-1)
    columns: list[list[int]] = [[] for _ in range(count)]
    for job in jobs:
        columns[column_of[job.name]].append(index[job.name])
    column_index = [column_of[job.name] for job in jobs]
    ordered = order_columns(columns, edges, column_index)

    collapsed = tuple(
        column
        for column, members in enumerate(ordered)
        if len(members) > COLLAPSE_ABOVE
    )
    # A collapsed column is drawn as one card, so it does not make the flow taller.
    tallest = max(
        (
            1 if column in collapsed else len(members)
            for column, members in enumerate(ordered)
        ),
        default=0,
    )
    cards: list[Card | None] = [None] * len(jobs)
    for column, members in enumerate(ordered):
        # Centre each column on the tallest one; an expanded large column reaches
        # above and below the layout's height.
        offset = (tallest - len(members)) * (CARD_HEIGHT + ROW_GAP) / 2
        for row, card_index in enumerate(members):
            cards[card_index] = Card(
                name=jobs[card_index].name,
                column=column,
                row=row,
                x=MARGIN + column * (CARD_WIDTH + COLUMN_GAP),
                y=MARGIN + offset + row * (CARD_HEIGHT + ROW_GAP),
            )
    placed = tuple(card for card in cards if card is not None)
    return Layout(
        cards=placed,
        edges=edges,
        columns=tuple(tuple(column) for column in ordered),
        collapsed=collapsed,
        width=2 * MARGIN + count * CARD_WIDTH + max(count - 1, 0) * COLUMN_GAP,
        height=2 * MARGIN + tallest * CARD_HEIGHT + max(tallest - 1, 0) * ROW_GAP,
    )


def _columns(jobs: Sequence[FlowJob]) -> dict[str, int]:
    """Return each job's column: its dependency depth, moved right to shorten edges.

    A job with dependents moves right up to the column before its first dependent,
    so that a job feeding a deep one sits next to it rather than in column 0.
    """
    ordered = topological_order(jobs)
    column_of: dict[str, int] = {}
    for job in ordered:
        column_of[job.name] = 1 + max(
            (column_of[name] for name in job.depends), default=-1
        )
    dependents: dict[str, list[str]] = {}
    for job in jobs:
        for name in job.depends:
            dependents.setdefault(name, []).append(job.name)
    for job in reversed(ordered):
        following = dependents.get(job.name)
        if following:
            column_of[job.name] = min(column_of[name] for name in following) - 1
    return column_of


def order_columns(
    columns: list[list[int]],
    edges: Sequence[tuple[int, int]],
    column_of: Sequence[int],
) -> list[list[int]]:
    """Return the columns reordered by barycenter sweeps, keeping the best order found.

    The order is checked after each half sweep, so a forward sweep that leaves a
    tree without crossings is kept even when the sweep back would add some.
    """
    before: dict[int, list[int]] = {}
    after: dict[int, list[int]] = {}
    for source, target in edges:
        after.setdefault(source, []).append(target)
        before.setdefault(target, []).append(source)

    current = [list(column) for column in columns]
    best = [list(column) for column in current]
    best_crossings = total_crossings(best, edges, column_of)
    row = _rows(current)
    sweeps = [
        (range(1, len(current)), before),
        (range(len(current) - 2, -1, -1), after),
    ]
    for _ in range(SWEEPS):
        for columns_in_order, neighbours in sweeps:
            if best_crossings == 0:
                return best
            for column in columns_in_order:
                _sort_by_barycenter(current[column], row, neighbours)
            crossings = total_crossings(current, edges, column_of)
            if crossings < best_crossings:
                best = [list(column) for column in current]
                best_crossings = crossings
    return best


def _rows(columns: Sequence[Sequence[int]]) -> dict[int, int]:
    """Return each card's row in its column."""
    return {card: row for members in columns for row, card in enumerate(members)}


def _sort_by_barycenter(
    members: list[int], row: dict[int, int], neighbours: dict[int, list[int]]
) -> None:
    """Sort one column by the mean row of each card's neighbours, updating ``row``.

    A card without neighbours keeps its row. The sort is stable, so cards with the
    same barycenter keep their order, which keeps a parent's children together.
    """
    keys = {}
    for position, card in enumerate(members):
        linked = neighbours.get(card)
        keys[card] = (
            sum(row[other] for other in linked) / len(linked) if linked else position
        )
    members.sort(key=keys.__getitem__)
    for position, card in enumerate(members):
        row[card] = position


def total_crossings(
    columns: Sequence[Sequence[int]],
    edges: Sequence[tuple[int, int]],
    column_of: Sequence[int],
) -> int:
    """Count edge crossings between each pair of neighbouring columns.

    An edge that skips columns is counted between the column it starts in and the
    next one, and between the column before its end and its end, with the far end
    at its own row.
    """
    row = _rows(columns)
    by_gap: dict[int, list[tuple[int, int]]] = {}
    for source, target in edges:
        start, end = column_of[source], column_of[target]
        by_gap.setdefault(start, []).append((row[source], row[target]))
        if end - start > 1:
            by_gap.setdefault(end - 1, []).append((row[source], row[target]))
    return sum(count_inversions(pairs) for pairs in by_gap.values())


def count_inversions(pairs: list[tuple[int, int]]) -> int:
    """Count pairs of segments that cross: one starts above the other and ends below."""
    crossings = 0
    seen: list[int] = []
    for _, end in sorted(pairs):
        # Segments seen so far start at or above this one; those ending strictly
        # below it cross it. Equal starts share an end point and never cross.
        crossings += len(seen) - bisect.bisect_right(seen, end)
        bisect.insort(seen, end)
    return crossings
