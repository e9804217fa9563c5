import pytest

from herolib.errors import InvalidJobError
from herolib.models import Job, JobOutcome, ScriptError
from herolib.states import JobState


def make_job(**fields):
    base = {"id": "j1", "flow": "f1", "context": "c1", "script": "1 + 1"}
    base.update(fields)
    return Job(**base)


def test_job_round_trips_through_dict():
    job = make_job(timeout=2.5, name="cell 1")
    assert Job.from_dict(job.to_dict()) == job


@pytest.mark.parametrize("field", ["id", "flow", "context"])
def test_job_rejects_empty_ids(field):
    with pytest.raises(InvalidJobError, match=field):
        make_job(**{field: ""})


def test_job_rejects_unknown_runner_naming_choices():
    with pytest.raises(InvalidJobError) as caught:
        make_job(runner="perl")
    assert "'perl'" in str(caught.value)
    assert "osis" in str(caught.value)


@pytest.mark.parametrize("timeout", [0, -1, True, "5"])
def test_job_rejects_bad_timeout(timeout):
    with pytest.raises(InvalidJobError, match="timeout"):
        make_job(timeout=timeout)


def test_job_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(InvalidJobError, match="'colour'"):
        Job.from_dict(
            {"id": "j", "flow": "f", "context": "c", "script": "", "colour": "red"}
        )
    with pytest.raises(InvalidJobError, match="'script'"):
        Job.from_dict({"id": "j", "flow": "f", "context": "c"})
    with pytest.raises(InvalidJobError, match="JSON object"):
        Job.from_dict(["j"])


def test_outcome_round_trips_with_error():
    outcome = JobOutcome(
        job="j1",
        state=JobState.ERROR,
        error=ScriptError("ErrorArithmetic", "Division by zero", 3, 7),
        output=["a", "b"],
    )
    again = JobOutcome.from_dict(outcome.to_dict())
    assert again == outcome
    assert again.state is JobState.ERROR


def test_script_error_text_has_position():
    assert (
        str(ScriptError("ErrorParsing", "Expecting ';'", 2, 5))
        == "ErrorParsing: Expecting ';' (line 2, column 5)"
    )
    assert str(ScriptError("ErrorRuntime", "boom")) == "ErrorRuntime: boom"


def test_final_states():
    assert JobState.FINISHED.is_final
    assert JobState.SKIPPED.is_final
    assert not JobState.RUNNING.is_final
