"""Colour, icon and label of each job state, shared by the live view and the static SVG.

The colours come from the Okabe-Ito palette of the Color Universal Design project
(Masataka Okabe and Kei Ito, 2002), whose colours are designed to stay distinct for
the three common forms of colour blindness. Its yellow is
darkened here to read on white, and two greys are added. Each state also has its own
icon and its name is written on the card, so no state is shown by colour alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from herolib.states import JobState


@dataclasses.dataclass(frozen=True)
class StateStyle:
    """The look of one job state: ``colour`` for the stripe and icon, ``tint`` behind."""

    label: str
    colour: str
    tint: str
    icon: str


STYLES: dict[str, StateStyle] = {
    JobState.PENDING: StateStyle("pending", "#9A9A9A", "#F4F4F4", "○"),
    JobState.READY: StateStyle("ready", "#56B4E9", "#EAF5FC", "↻"),
    JobState.DISPATCHED: StateStyle("dispatched", "#B8A400", "#FBF8DC", "➜"),
    JobState.RUNNING: StateStyle("running", "#0072B2", "#E3F0F8", "▶"),
    JobState.FINISHED: StateStyle("finished", "#009E73", "#E2F4EE", "✓"),
    JobState.ERROR: StateStyle("error", "#D55E00", "#FBEADF", "✕"),
    JobState.TIMEOUT: StateStyle("timeout", "#E69F00", "#FCF1DC", "◷"),
    JobState.CANCELLED: StateStyle("cancelled", "#CC79A7", "#F8ECF3", "⊘"),
    JobState.SKIPPED: StateStyle("skipped", "#555555", "#ECECEC", "↷"),
}
#: Style of a state this version does not know, such as one a newer coordinator sends.
UNKNOWN = StateStyle("unknown", "#000000", "#FFFFFF", "?")

#: States in the order the legend and the counts list them.
ORDER = tuple(STYLES)


def style(state: str) -> StateStyle:
    return STYLES.get(state, UNKNOWN)


def palette_dict() -> dict[str, Any]:
    """Return the styles in the form the widget's JavaScript reads, legend order kept."""
    return {
        "order": list(ORDER),
        "styles": {state: dataclasses.asdict(item) for state, item in STYLES.items()},
        "unknown": dataclasses.asdict(UNKNOWN),
    }
