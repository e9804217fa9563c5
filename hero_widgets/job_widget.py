"""The ``%job ID`` view: one job's state, node, tries, times, output, result and error."""

from __future__ import annotations

from typing import Any

from hero_widgets.job_entry import apply_job_record, new_entry
from hero_widgets.polled import Fetch, PolledWidget
from herolib.node_reports import format_job
from herolib.states import JobState

#: Output lines the job view keeps, the last ones; the flow view's panel keeps fewer.
MAX_LINES = 500


def job_view_data(job_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """Return what the job view draws from the job's record: no session, a tail of output.

    The job's fields have the form of the flow view's entries
    (:mod:`hero_widgets.job_entry`), with its id, name, flow, submission time and
    text form added.
    """
    definition = record.get("job") or {}
    entry = new_entry(str(definition.get("runner", "")))
    apply_job_record(entry, record, tail=MAX_LINES)
    return {
        **entry,
        "id": job_id,
        "name": record.get("name") or definition.get("name") or job_id,
        "flow": record.get("flow"),
        "submitted": record.get("submitted"),
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
