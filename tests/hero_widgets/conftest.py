"""Fixtures of the widget tests: a comm that records what widgets publish.

The comm package lets a kernel supply the comm that widgets talk through. These tests
supply one that keeps every message, in place of a kernel.
"""

from __future__ import annotations

import comm
import pytest
from comm.base_comm import BaseComm


class RecordingComm(BaseComm):
    """A comm that keeps every message a widget publishes."""

    def __init__(self, **kwargs):
        self.messages: list[tuple[str, dict]] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        self.messages.append((msg_type, data or {}))


@pytest.fixture(autouse=True)
def recording_comms(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))
