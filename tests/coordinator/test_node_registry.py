"""The coordinator's registry of nodes: live ones, gone ones and ones that come back."""

from __future__ import annotations

import logging

from coordinator.node_registry import NodeRegistry


def describe(name: str, running: list[str] | None = None) -> dict:
    return {"name": name, "runners": ["osis"], "running": running or [], "jobs_done": 3}


def test_live_nodes_are_alive_and_sorted():
    registry = NodeRegistry()
    registry.update([describe("b"), describe("a")], 10.0)
    nodes = registry.all()
    assert [node["name"] for node in nodes] == ["a", "b"]
    assert all(node["alive"] and node["seen"] == 10.0 for node in nodes)


def test_missing_node_is_gone_with_last_counts(caplog):
    registry = NodeRegistry()
    registry.update([describe("a", ["job-1"]), describe("b")], 10.0)
    with caplog.at_level(logging.WARNING, logger="coordinator.node_registry"):
        registry.update([describe("b")], 20.0)
    gone = registry.all()[0]
    assert gone["name"] == "a"
    assert gone["alive"] is False
    assert gone["running"] == []
    assert gone["jobs_done"] == 3
    assert gone["seen"] == 10.0
    assert "node a did not respond" in caplog.text


def test_node_that_answers_again_is_alive(caplog):
    registry = NodeRegistry()
    registry.update([describe("a")], 10.0)
    registry.update([], 20.0)
    with caplog.at_level(logging.INFO, logger="coordinator.node_registry"):
        registry.update([describe("a")], 30.0)
    assert registry.all()[0]["alive"] is True
    assert "node a is back" in caplog.text


def test_all_returns_copies():
    registry = NodeRegistry()
    registry.update([describe("a")], 10.0)
    registry.all()[0]["alive"] = False
    assert registry.all()[0]["alive"] is True
