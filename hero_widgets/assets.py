"""The views' JavaScript and CSS, shipped in the package's ``static`` folder.

Nothing is fetched at run time: anywidget sends these files to the browser with
the widget's model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
#: The MIME type under which a front end finds a widget's model.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def stylesheet(name: str) -> str:
    """Return ``base.css``, which every view shares, followed by the view's ``name``."""
    return (STATIC / "base.css").read_text() + "\n" + (STATIC / name).read_text()


def view_reference(model_id: str) -> dict[str, Any]:
    """Return the display data that points a front end at the widget ``model_id``."""
    return {"version_major": 2, "version_minor": 1, "model_id": model_id}
