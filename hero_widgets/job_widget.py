"""The ``%job ID`` view: one job's state, node, tries, times, output, result and error."""

from __future__ import annotations

import json
from typing import Any

from hero_widgets.polled import Fetch, PolledWidget
from herolib.models import ScriptError
from herolib.node_reports import format_job
from herolib.states import JobState

#: Output lines the view keeps: the last ones, as the flow view's panel does.
MAX_LINES = 500
#: Characters of a result the view shows.
MAX_RESULT = 20_000


def job_view_data(job_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """Return what the job view draws from the job's record: no session, a tail of output."""
    definition = record.get("job") or {}
    outcome = record.get("outcome") or {}
    output = list(outcome.get("output") or [])
    state = str(record.get("state", "unknown"))
    result = None
    if state == JobState.FINISHED.value:
        result = json.dumps(outcome.get("value"), indent=2, ensure_ascii=False)
        if len(result) > MAX_RESULT:
            result = result[:MAX_RESULT] + "\n..."
    error = outcome.get("error")
    return {
        "id": job_id,
        "name": record.get("name") or definition.get("name") or job_id,
        "flow": record.get("flow"),
        "state": state,
        "runner": definition.get("runner", ""),
        "node": record.get("node", ""),
        "tries": int(record.get("tries") or 0),
        "submitted": record.get("submitted"),
        "started": record.get("started"),
        "finished": record.get("finished"),
        "error": str(ScriptError.from_dict(error)) if error else None,
        "result": result,
        "output": output[-MAX_LINES:],
        "lines": len(output),
        "text": format_job(job_id, record),
    }


class JobWidget(PolledWidget):
    """One job's card, refreshed while a browser shows it and the job has not ended.

    ``fetch`` returns :func:`job_view_data` of the job's current record.
    """

    def __init__(self, data: dict[str, Any], fetch: Fetch) -> None:
        super().__init__("job", data, fetch)

    def is_final(self, data: dict[str, Any]) -> bool:
        try:
            return JobState(data.get("state")).is_final
        except ValueError:
            return False

    def summary(self) -> str:
        return str(self.data.get("text", ""))
