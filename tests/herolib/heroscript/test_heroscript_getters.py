import datetime

import pytest

from herolib.heroscript import HeroScriptError, ParamError, Params, parse_params


@pytest.fixture
def params() -> Params:
    return parse_params(
        """
        name:'  spaced  ' count:12 negative:-3 big:4000000000 ratio:0.75 share:40%
        pct:'%12.5' over:120% word:many
        on:Yes off:N blank:'' odd:maybe
        hosts:'a.example, b.example' ports:'22, 80,443' bracketed:[x,y]
        weights:'1.5,2' labels:'Front End, back-end'
        ram:16GB disk:'512 MB' tiny:64 cache:2kb junk:12XB
        """
    )


def test_get_returns_trimmed_value(params):
    assert params.get("name") == "spaced"


def test_get_cleans_the_key(params):
    assert params.get("COUNT") == "12"


def test_get_missing_key_raises_param_error(params):
    with pytest.raises(ParamError) as caught:
        params.get("absent")
    assert caught.value.key == "absent"
    assert isinstance(caught.value, HeroScriptError)
    assert isinstance(caught.value, ValueError)


def test_get_default(params):
    assert params.get_default("count", "0") == "12"
    assert params.get_default("absent", "fallback") == "fallback"


def test_get_int(params):
    assert params.get_int("count") == 12
    assert params.get_int("negative") == -3
    assert params.get_int_default("absent", 5) == 5


@pytest.mark.parametrize("key", ["ratio", "word", "big"])
def test_get_int_rejects(params, key):
    with pytest.raises(ParamError, match="32-bit integer"):
        params.get_int(key)


def test_get_float(params):
    assert params.get_float("ratio") == 0.75
    assert params.get_float("count") == 12.0
    assert params.get_float("share") == pytest.approx(0.4)
    assert params.get_float_default("absent", 1.5) == 1.5
    with pytest.raises(ParamError):
        params.get_float("word")


def test_get_percentage(params):
    assert params.get_percentage("share") == pytest.approx(0.4)
    assert params.get_percentage("count") == pytest.approx(0.12)
    assert params.get_percentage("pct") == pytest.approx(0.125)
    assert params.get_percentage_default("absent", "50") == pytest.approx(0.5)


def test_get_percentage_rejects_out_of_range(params):
    with pytest.raises(ParamError, match="between 0 and 100"):
        params.get_percentage("over")


def test_get_default_true(params):
    assert params.get_default_true("on") is True
    assert params.get_default_true("blank") is True
    assert params.get_default_true("absent") is True
    assert params.get_default_true("off") is False
    assert params.get_default_true("odd") is False


def test_get_default_false(params):
    assert params.get_default_false("off") is False
    assert params.get_default_false("blank") is False
    assert params.get_default_false("absent") is False
    assert params.get_default_false("on") is True
    assert params.get_default_false("odd") is True


def test_get_list(params):
    assert params.get_list("hosts") == ["a.example", "b.example"]
    assert params.get_list("bracketed") == ["x", "y"]
    assert params.get_list("word") == ["many"]
    assert params.get_list_default("absent", ["z"]) == ["z"]


def test_get_list_namefix(params):
    assert params.get_list_namefix("labels") == ["front_end", "back_end"]


def test_get_list_numbers(params):
    assert params.get_list_int("ports") == [22, 80, 443]
    assert params.get_list_float("weights") == [1.5, 2.0]
    with pytest.raises(ParamError, match="list item"):
        params.get_list_int("hosts")


def test_get_storage_capacity(params):
    assert params.get_storagecapacity_in_bytes("ram") == 16 * 1024**3
    assert params.get_storagecapacity_in_bytes("disk") == 512 * 1024**2
    assert params.get_storagecapacity_in_bytes("tiny") == 64
    assert params.get_storagecapacity_in_bytes("cache") == 2048
    assert params.get_storagecapacity_in_bytes_default("absent", 7) == 7
    with pytest.raises(ParamError, match="KB, MB or GB"):
        params.get_storagecapacity_in_bytes("junk")


def test_param_error_names_action_line():
    params = Params(line=12)
    params.set("port", "eighty")
    with pytest.raises(ParamError) as caught:
        params.get_int("port")
    assert caught.value.line == 12
    assert caught.value.text == "eighty"
    assert "line 12" in str(caught.value)


def test_time_getters():
    params = parse_params(
        "at:'2024-02-29 13:05' soon:+2h day:31/12/2023 bad:'next week'"
    )
    assert params.get_time_unix("at") == 1709211900
    assert params.get_time("at") == datetime.datetime(
        2024, 2, 29, 13, 5, tzinfo=datetime.UTC
    )
    assert params.get_time_unix("soon", now=1000) == 1000 + 7200
    assert params.get_time_unix("day") == 1703980800
    with pytest.raises(ParamError):
        params.get_time_unix("bad")


def test_timestamp_getters():
    params = parse_params("open:9AM close:5:30PM late:23:45 wrong:13PM")
    assert params.get_timestamp_seconds("open") == 9 * 3600
    assert params.get_timestamp_seconds("close") == 17 * 3600 + 30 * 60
    assert params.get_timestamp("late") == datetime.timedelta(hours=23, minutes=45)
    default = datetime.timedelta(hours=1)
    assert params.get_timestamp_default("absent", default) == default
    with pytest.raises(ParamError):
        params.get_timestamp_seconds("wrong")


def test_replace_fills_placeholders():
    params = parse_params("greeting:'Hi {Who}!' path:{root}/x keep:{other} odd:'{a-b}'")
    params.replace({"who": "Ann", "root": "/srv", "a-b": "no"})
    assert params.as_dict() == {
        "greeting": "Hi Ann!",
        "path": "/srv/x",
        "keep": "{other}",
        "odd": "{a-b}",
    }


def test_replace_does_not_clean_mapping_keys():
    params = parse_params("user:{USER}")
    params.replace({"USER": "root"})
    assert params.get("user") == "{USER}"


def test_set_and_delete():
    params = Params()
    params.set("Color", "  red<BR>blue ")
    params.set_arg("force")
    assert params.as_dict() == {"color": "red\nblue"}
    assert "COLOR" in params
    params.delete("COLOR")
    params.delete_arg("FORCE")
    assert params.empty()
