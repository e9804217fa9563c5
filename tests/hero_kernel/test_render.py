from hero_kernel.render import error_content, result_data
from herolib.models import JobOutcome, ScriptError
from herolib.states import JobState


def test_unit_result_shows_nothing():
    assert (
        result_data(JobOutcome(job="j", state=JobState.FINISHED, type_name="()"))
        is None
    )


def test_map_result_has_json_beside_text():
    outcome = JobOutcome(
        job="j",
        state=JobState.FINISHED,
        value={"a": 1},
        text='#{"a": 1}',
        type_name="map",
    )
    assert result_data(outcome) == {
        "text/plain": '#{"a": 1}',
        "application/json": {"a": 1},
    }


def test_integer_result_is_text_only():
    outcome = JobOutcome(
        job="j", state=JobState.FINISHED, value=42, text="42", type_name="i64"
    )
    assert result_data(outcome) == {"text/plain": "42"}


def test_error_points_at_line_and_column():
    content = error_content(
        ScriptError("ErrorVariableNotFound", "Variable not found: y", 2, 9),
        "let x = 1;\nlet z = y;",
    )
    assert content["ename"] == "ErrorVariableNotFound"
    assert content["evalue"] == "Variable not found: y (line 2, column 9)"
    assert content["traceback"][1] == "   2 | let z = y;"
    assert content["traceback"][2] == " " * 15 + "^"


def test_error_line_shifts_past_magic_line():
    content = error_content(
        ScriptError("ErrorParsing", "Unexpected ';'", 1, 3), "1 +;", first_line=2
    )
    assert "(line 2, column 3)" in content["evalue"]
