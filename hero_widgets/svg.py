"""A static SVG of a flow's state, for places without a live widget.

nbconvert, nbval, GitHub and a notebook opened without its kernel show this picture
in place of the live view. It draws the same cards, colours and icons as the widget,
with the header counts and a legend. Columns that the widget shows collapsed are
drawn as one group card, and a flow with more than :data:`MAX_CARDS` visible cards
or wider than :data:`MAX_WIDTH` gets the header and the legend only. The output
depends only on the layout and the state, so the same state always gives the same
text.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape as escape_markup

from hero_widgets.flow_state import FlowViewState
from hero_widgets.job_entry import FINAL_STATES, clip
from hero_widgets.layout import CARD_HEIGHT, CARD_WIDTH, COLUMN_GAP, MARGIN, Layout
from hero_widgets.palette import ORDER, style
from herolib.flow_reports import format_counts, format_duration
from herolib.states import JobState

#: Cards above which the static picture shows only the header and the legend.
MAX_CARDS = 400
#: Width above which the picture shows only the header and the legend: 30 columns. A
#: wider one, scaled to a notebook's width, would be a few pixels high.
MAX_WIDTH = 2 * MARGIN + 30 * CARD_WIDTH + 29 * COLUMN_GAP
HEADER_HEIGHT = 64
LEGEND_HEIGHT = 34
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"


#: Characters that XML 1.0 does not allow in a document, such as most control characters.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """Return ``text`` as XML character data, dropping characters XML cannot carry."""
    return escape_markup(_NOT_XML.sub("", text))


def render_svg(layout: Layout, state: FlowViewState) -> str:
    """Return the SVG document of ``state`` drawn on ``layout``."""
    collapsed = set(layout.collapsed)
    visible = sum(
        1 if column in collapsed else len(members)
        for column, members in enumerate(layout.columns)
    )
    too_wide = layout.width > MAX_WIDTH
    drawn = visible <= MAX_CARDS and not too_wide
    width = max(layout.width, 520) if drawn else 520
    body_height = layout.height if drawn else 40
    height = HEADER_HEIGHT + body_height + LEGEND_HEIGHT

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" '
        f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" '
        f'font-family="{FONT}" font-size="12">',
        f'<rect width="{width:g}" height="{height:g}" fill="#FFFFFF"/>',
        *_header(state, width),
    ]

    if drawn:
        parts.append(f'<g transform="translate(0 {HEADER_HEIGHT})">')
        parts.extend(_edges(layout, collapsed))
        parts.extend(_cards(layout, state, collapsed))
        parts.append("</g>")
    else:
        reason = (
            f"{len(layout.columns)} columns are too wide"
            if too_wide
            else f"{visible} cards are too many"
        )
        parts.append(
            f'<text x="{MARGIN}" y="{HEADER_HEIGHT + 24}" fill="#555555">'
            f"{reason} to draw here; %flow status lists every job</text>"
        )
    parts.extend(_legend(HEADER_HEIGHT + body_height))
    parts.append("</svg>")
    return "\n".join(parts)


def _header(state: FlowViewState, width: float) -> list[str]:
    header = state.header
    counts = state.counts
    title = f"{header['name']} ({header['id']})"
    status = str(header["state"])
    if header.get("started") is not None:
        end = header.get("finished") or time.time()
        status += f" after {format_duration(max(end - header['started'], 0.0))}"
    parts = [
        f'<text x="{MARGIN}" y="22" font-size="14" font-weight="600" '
        f'fill="#222222">{escape(title)}</text>',
        f'<text x="{MARGIN}" y="40" fill="#444444">{escape(status)}; '
        f"{escape(format_counts(counts))}</text>",
    ]
    parts.extend(_progress(counts, state.header["total"], width))
    return parts


def _progress(counts: dict[str, int], total: int, width: float) -> list[str]:
    """Draw a bar with one segment per state, in legend order."""
    x = float(MARGIN)
    bar = width - 2 * MARGIN
    parts = [
        f'<rect x="{MARGIN}" y="48" width="{bar:g}" height="6" rx="3" fill="#EEEEEE"/>'
    ]
    for state in ORDER:
        if not counts.get(state) or state == JobState.PENDING:
            continue
        length = bar * counts[state] / max(total, 1)
        parts.append(
            f'<rect x="{x:.1f}" y="48" width="{length:.1f}" height="6" '
            f'fill="{style(state).colour}"/>'
        )
        x += length
    return parts


def _edges(layout: Layout, collapsed: set[int]) -> list[str]:
    parts = []
    drawn: set[tuple[float, float, float, float]] = set()
    for source, target in layout.edges:
        start = _anchor(layout, source, collapsed)
        end = _anchor(layout, target, collapsed)
        x1, y1 = start[0] + CARD_WIDTH, start[1] + CARD_HEIGHT / 2
        x2, y2 = end[0], end[1] + CARD_HEIGHT / 2
        if (x1, y1, x2, y2) in drawn:
            continue
        drawn.add((x1, y1, x2, y2))
        bend = max((x2 - x1) / 2, 16)
        parts.append(
            f'<path d="M{x1:g} {y1:g} C{x1 + bend:g} {y1:g} {x2 - bend:g} {y2:g} '
            f'{x2:g} {y2:g}" fill="none" stroke="#C4C4C4" stroke-width="1.2"/>'
        )
    return parts


def _anchor(layout: Layout, index: int, collapsed: set[int]) -> tuple[float, float]:
    """Return the top left corner of the card that stands for job ``index``."""
    card = layout.cards[index]
    if card.column in collapsed:
        return card.x, _group_y(layout)
    return card.x, card.y


def _group_y(layout: Layout) -> float:
    """Return the top of a group card: the middle of the tallest column."""
    return (layout.height - CARD_HEIGHT) / 2


def _cards(layout: Layout, state: FlowViewState, collapsed: set[int]) -> list[str]:
    parts = []
    for column, members in enumerate(layout.columns):
        if column in collapsed:
            names = [layout.cards[index].name for index in members]
            parts.extend(_group_card(layout, column, names, state))
            continue
        for index in members:
            card = layout.cards[index]
            parts.extend(_card(card.name, card.x, card.y, state.jobs[card.name]))
    return parts


def _card(name: str, x: float, y: float, entry: dict[str, Any]) -> list[str]:
    look = style(entry["state"])
    where = entry["runner"] + (f" · {entry['node']}" if entry.get("node") else "")
    label = look.label
    duration = job_duration(entry)
    if duration is not None:
        label += f" · {format_duration(duration)}"
    return [
        f'<g transform="translate({x:g} {y:g})">',
        # The full name, for a viewer that shows titles of a clipped one.
        f"<title>{escape(name)}</title>",
        f'<rect width="{CARD_WIDTH}" height="{CARD_HEIGHT}" rx="8" fill="{look.tint}" '
        f'stroke="#D8D8D8"/>',
        f'<rect width="5" height="{CARD_HEIGHT}" rx="2" fill="{look.colour}"/>',
        f'<text x="16" y="20" font-size="13" fill="{look.colour}">{look.icon}</text>',
        f'<text x="34" y="20" font-weight="600" fill="#222222">'
        f"{escape(clip(name, 20))}</text>",
        f'<text x="16" y="36" fill="#555555">{escape(clip(where, 26))}</text>',
        f'<text x="16" y="50" fill="{look.colour}">{escape(label)}</text>',
        "</g>",
    ]


def _group_card(
    layout: Layout, column: int, names: Iterable[str], state: FlowViewState
) -> list[str]:
    counts = Counter(state.jobs[name]["state"] for name in names)
    total = sum(counts.values())
    x = layout.cards[layout.columns[column][0]].x
    y = _group_y(layout)
    parts = [
        f'<g transform="translate({x:g} {y:g})">',
        f'<rect width="{CARD_WIDTH}" height="{CARD_HEIGHT}" rx="8" fill="#FAFAFA" '
        f'stroke="#BBBBBB" stroke-dasharray="4 3"/>',
        f'<text x="12" y="20" font-weight="600" fill="#222222">{total} jobs</text>',
        f'<text x="12" y="36" fill="#555555">'
        f"{escape(clip(format_counts(dict(counts)), 28))}</text>",
    ]
    offset = 12.0
    for state_name in ORDER:
        if not counts.get(state_name):
            continue
        length = (CARD_WIDTH - 24) * counts[state_name] / total
        parts.append(
            f'<rect x="{offset:.1f}" y="44" width="{length:.1f}" height="5" '
            f'fill="{style(state_name).colour}"/>'
        )
        offset += length
    parts.append("</g>")
    return parts


def _legend(top: float) -> list[str]:
    parts = [f'<g transform="translate({MARGIN} {top + 10})">']
    x = 0
    for state in ORDER:
        look = style(state)
        parts.append(
            f'<text x="{x}" y="12" fill="{look.colour}">{look.icon}</text>'
            f'<text x="{x + 14}" y="12" fill="#444444">{look.label}</text>'
        )
        x += 24 + 7 * len(look.label)
    parts.append("</g>")
    return parts


def job_duration(entry: dict[str, Any]) -> float | None:
    """Return a job's final duration, or None while it has not ended."""
    if entry["state"] not in FINAL_STATES:
        return None
    started, finished = entry.get("started"), entry.get("finished")
    if started is None or finished is None:
        return None
    return max(finished - started, 0.0)
