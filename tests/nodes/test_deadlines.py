import threading

import pytest

from nodes.deadlines import Deadlines


def test_callback_runs_when_due():
    deadlines = Deadlines()
    fired = threading.Event()
    try:
        deadlines.add(0.05, fired.set)
        assert fired.wait(10)
    finally:
        deadlines.close()


def test_discarded_deadline_never_fires():
    deadlines = Deadlines()
    fired = threading.Event()
    marker = threading.Event()
    try:
        token = deadlines.add(0.05, fired.set)
        deadlines.discard(token)
        deadlines.add(0.2, marker.set)
        assert marker.wait(10)
        assert not fired.is_set()
    finally:
        deadlines.close()


def test_earlier_deadline_added_later_fires_first():
    deadlines = Deadlines()
    order: list[str] = []
    done = threading.Event()
    try:
        deadlines.add(30, lambda: order.append("late"))
        deadlines.add(0.05, lambda: (order.append("early"), done.set()))
        assert done.wait(10)
        assert order == ["early"]
    finally:
        deadlines.close()


def test_discarded_entries_do_not_pile_up():
    deadlines = Deadlines()
    try:
        for _ in range(1_000):
            deadlines.discard(deadlines.add(3600, lambda: None))
        assert len(deadlines._heap) <= 64 + 1
    finally:
        deadlines.close()


def test_failing_callback_does_not_stop_the_watcher():
    deadlines = Deadlines()
    fired = threading.Event()

    def failing() -> None:
        raise RuntimeError("boom")

    try:
        deadlines.add(0.01, failing)
        deadlines.add(0.1, fired.set)
        assert fired.wait(10)
    finally:
        deadlines.close()


def test_resolution_puts_close_deadlines_on_one_step():
    deadlines = Deadlines(resolution=0.5)
    try:
        for _ in range(3):
            deadlines.add(0.1, lambda: None)
        due_times = {due for due, _ in deadlines._heap}
        assert len(due_times) == 1
        assert next(iter(due_times)) % 0.5 == 0
    finally:
        deadlines.close()


def test_rounded_deadline_still_fires():
    deadlines = Deadlines(resolution=0.05)
    fired = threading.Event()
    try:
        deadlines.add(0.01, fired.set)
        assert fired.wait(10)
    finally:
        deadlines.close()


def test_negative_resolution_is_rejected():
    with pytest.raises(ValueError, match="resolution must be a number of seconds"):
        Deadlines(resolution=-1)
