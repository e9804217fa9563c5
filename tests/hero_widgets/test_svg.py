"""The static SVG of a flow's state."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from hero_widgets.flow_state import FlowViewState
from hero_widgets.layout import COLLAPSE_ABOVE, layout_flow
from hero_widgets.palette import ORDER, style
from hero_widgets.svg import MAX_CARDS, MAX_WIDTH, render_svg
from herolib.flows import Flow, FlowJob

SVG = "{http://www.w3.org/2000/svg}"


def flow_of(*jobs: FlowJob) -> Flow:
    return Flow(id="ctx.flow-1", name="demo", context="ctx", jobs=jobs)


def texts(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_svg_has_card_per_job():
    flow = flow_of(FlowJob("a", "1"), FlowJob("b", "1", depends="a"))
    svg = render_svg(layout_flow(flow.jobs), FlowViewState(flow))
    words = texts(svg)
    assert "a" in words
    assert "b" in words


def test_card_shows_state_colour_icon_and_label():
    flow = flow_of(FlowJob("a", "1"), FlowJob("b", "1", depends="a"))
    view = FlowViewState(flow)
    view.apply_event({"type": "state", "name": "b", "state": "error", "time": 1.0})
    svg = render_svg(layout_flow(flow.jobs), view)
    error = style("error")
    assert f'fill="{error.colour}">{error.icon}</text>' in svg
    assert "error" in texts(svg)


def test_legend_lists_every_state():
    flow = flow_of(FlowJob("a", "1"))
    words = texts(render_svg(layout_flow(flow.jobs), FlowViewState(flow)))
    for state in ORDER:
        assert style(state).label in words


def test_header_has_counts():
    flow = flow_of(FlowJob("a", "1"), FlowJob("b", "1"))
    view = FlowViewState(flow)
    view.apply_event({"type": "state", "name": "a", "state": "finished", "time": 1.0})
    header = texts(render_svg(layout_flow(flow.jobs), view))[1]
    assert header.endswith("1 pending, 1 finished")


def test_same_state_gives_same_text():
    flow = flow_of(FlowJob("a", "1"), FlowJob("b", "1", depends="a"))
    layout = layout_flow(flow.jobs)
    assert render_svg(layout, FlowViewState(flow)) == render_svg(
        layout, FlowViewState(flow)
    )


def test_large_column_is_one_group_card():
    jobs = [FlowJob("root", "1")]
    jobs += [
        FlowJob(f"leaf{i}", "1", depends="root") for i in range(COLLAPSE_ABOVE + 1)
    ]
    flow = flow_of(*jobs)
    words = texts(render_svg(layout_flow(flow.jobs), FlowViewState(flow)))
    assert f"{COLLAPSE_ABOVE + 1} jobs" in words
    assert "leaf0" not in words


def test_too_many_cards_leave_header_and_legend():
    # 20 columns of 25 jobs: more cards than MAX_CARDS, none collapsed.
    jobs = [FlowJob(f"c0_{row}", "1") for row in range(25)]
    for column in range(1, 20):
        jobs += [
            FlowJob(f"c{column}_{row}", "1", depends=f"c{column - 1}_{row}")
            for row in range(25)
        ]
    assert len(jobs) > MAX_CARDS
    flow = flow_of(*jobs)
    words = texts(render_svg(layout_flow(flow.jobs), FlowViewState(flow)))
    assert any("500 cards are too many to draw" in word for word in words)
    assert "c0_0" not in words
    assert "finished" in words


def test_too_wide_flow_leaves_header_and_legend():
    jobs = [FlowJob("n0", "1")]
    jobs += [FlowJob(f"n{i}", "1", depends=f"n{i - 1}") for i in range(1, 40)]
    flow = flow_of(*jobs)
    layout = layout_flow(flow.jobs)
    assert layout.width > MAX_WIDTH
    root = ElementTree.fromstring(render_svg(layout, FlowViewState(flow)))
    words = [element.text or "" for element in root.iter(f"{SVG}text")]
    assert any("40 columns are too wide to draw" in word for word in words)
    assert "n0" not in words
    assert float(root.get("width")) == 520


def test_control_characters_are_dropped():
    flow = Flow(
        id="ctx.flow-1",
        name="bell\x07name\x1b[31m",
        context="ctx",
        jobs=(FlowJob("a", "1"),),
    )
    svg = render_svg(layout_flow(flow.jobs), FlowViewState(flow))
    ElementTree.fromstring(svg)
    assert "bellname[31m" in svg


def test_card_title_has_the_full_name():
    name = "x" * 59 + "y"
    flow = flow_of(FlowJob(name, "1"))
    root = ElementTree.fromstring(
        render_svg(layout_flow(flow.jobs), FlowViewState(flow))
    )
    titles = [element.text for element in root.iter(f"{SVG}title")]
    assert name in titles
