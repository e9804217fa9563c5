"""Job and flow states, spelled as the Hero Code coordinator spells its FlowNode states."""

from __future__ import annotations

import enum


class JobState(enum.StrEnum):
    """Lifecycle of one job: pending, ready, dispatched, running, then one final state."""

    PENDING = "pending"
    READY = "ready"
    DISPATCHED = "dispatched"
    RUNNING = "running"
    FINISHED = "finished"
    ERROR = "error"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def is_final(self) -> bool:
        return self in FINAL_JOB_STATES


FINAL_JOB_STATES = frozenset(
    {
        JobState.FINISHED,
        JobState.ERROR,
        JobState.TIMEOUT,
        JobState.CANCELLED,
        JobState.SKIPPED,
    }
)


class FlowState(enum.StrEnum):
    """Lifecycle of a flow: created, running, then finished, error or cancelled.

    ``interrupted`` is this product's addition: the coordinator stopped while the flow
    ran. ``%flow retry`` resumes an interrupted flow like a failed one.
    """

    CREATED = "created"
    RUNNING = "running"
    FINISHED = "finished"
    ERROR = "error"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def is_final(self) -> bool:
        return self not in (FlowState.CREATED, FlowState.RUNNING)
