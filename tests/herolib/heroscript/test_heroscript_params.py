import pytest

from herolib.heroscript import HeroScriptError, parse_params


def test_params_key_value_and_args():
    params = parse_params("start verbose host:db1 port:5432")
    assert params.as_dict() == {"host": "db1", "port": "5432"}
    assert params.args == ["start", "verbose"]


def test_params_single_and_double_quotes_are_equal():
    single = parse_params("title:'Quarterly report'")
    double = parse_params('title:"Quarterly report"')
    assert single.as_dict() == {"title": "Quarterly report"}
    assert double.as_dict() == single.as_dict()


def test_params_space_after_colon_is_allowed():
    assert parse_params("name:   alpha").as_dict() == {"name": "alpha"}


def test_params_keys_lowercased_values_keep_case():
    params = parse_params("Region:EU-West OWNER:Kim")
    assert params.as_dict() == {"region": "EU-West", "owner": "Kim"}


def test_params_key_allows_digits_and_punctuation():
    params = parse_params("disk_2:ssd a.b:1 path/x:2 c,d:3")
    assert params.as_dict() == {"disk_2": "ssd", "a.b": "1", "path/x": "2", "c,d": "3"}


def test_params_last_duplicate_wins():
    params = parse_params("mode:fast retries:3 mode:safe")
    assert params.as_dict() == {"retries": "3", "mode": "safe"}
    assert params.keys() == ["retries", "mode"]


def test_params_id_is_kept_outside_playbook():
    assert parse_params("id:7 name:x").as_dict() == {"id": "7", "name": "x"}


@pytest.mark.parametrize("text", ["first-name:Ada", "bad$key:1", "naïve:1"])
def test_params_rejects_invalid_key_characters(text):
    with pytest.raises(HeroScriptError) as caught:
        parse_params(text)
    assert caught.value.line == 1
    assert caught.value.text == text
    assert "letters, digits and _,./" in str(caught.value)


def test_params_error_names_the_line():
    with pytest.raises(HeroScriptError) as caught:
        parse_params("a:1\nb:2\nc-d:3\n")
    assert caught.value.line == 3
    assert caught.value.text == "c-d:3"
    assert str(caught.value).startswith("line 3: ")


def test_params_double_quote_inside_single_quotes_fails():
    with pytest.raises(HeroScriptError) as caught:
        parse_params("""note:'keep "this" text'""")
    assert "is read as '" in str(caught.value)


def test_params_escaped_quote_stays_in_value():
    assert parse_params(r"note:'it\'s fine'").as_dict() == {"note": "it's fine"}


def test_params_list_items_joined_without_spaces():
    assert parse_params("zones: north , south,east").as_dict() == {
        "zones": "north,south,east"
    }


def test_params_list_item_with_space_keeps_double_quotes():
    params = parse_params("team: ann, 'bo b', 'cy d'")
    assert params.as_dict() == {"team": 'ann,"bo b","cy d"'}


def test_params_list_followed_by_other_key():
    params = parse_params("ips:10.0.0.1, 10.0.0.2 gateway:10.0.0.254")
    assert params.as_dict() == {"ips": "10.0.0.1,10.0.0.2", "gateway": "10.0.0.254"}


def test_params_multiline_value_dedented_and_quotes_turned():
    text = "name:intro\nbody:'\n    First line\n      nested\n    don't stop\n    '\nnext:1\n"
    params = parse_params(text)
    assert params.as_dict() == {
        "name": "intro",
        "body": 'First line\n  nested\ndon"t stop',
        "next": "1",
    }


@pytest.mark.parametrize("opener", ["'", '"', "'''", '"""', " '", "   '"])
def test_params_multiline_openers(opener):
    text = f"body:{opener}\n  alpha\n  beta\n{opener.strip()}\n"
    assert parse_params(text).as_dict() == {"body": "alpha\nbeta"}


def test_params_multiline_keeps_blank_lines_when_parsed_directly():
    text = "body:'\n  one\n\n  two\n'"
    assert parse_params(text).as_dict() == {"body": "one\n\ntwo"}


def test_params_multiline_without_closing_quote_runs_to_end():
    assert parse_params("body:'\n  one\n  two").as_dict() == {"body": "one\ntwo"}


def test_params_comment_attaches_to_next_parameter():
    params = parse_params("// the port to use\nport:80\nhost:a //where it runs\nzone:z")
    assert params.as_dict() == {"port": "80", "host": "a", "zone": "z"}
    assert params.comment("port") == "the port to use"
    assert params.comment("host") == "where it runs"
    assert params.comment("zone") == ""


def test_params_comment_block_joined_with_newlines():
    params = parse_params("// first\n//\n// third\nkey:v")
    assert params.comment("key") == "first\n\nthird"


def test_params_comment_before_argument():
    params = parse_params("// why\nforce")
    assert params.args == ["force"]
    assert params.arg_comments == {"force": "why"}
    assert params.comments == ["why"]


def test_params_html_comment_is_dropped():
    params = parse_params("a:1\n<!-- hidden -->\nb:2")
    assert params.as_dict() == {"a": "1", "b": "2"}


def test_params_unquoted_url_loses_text_after_double_slash():
    params = parse_params("site:https://example.org/path")
    assert params.as_dict() == {"site": "https:"}


def test_params_quoted_url_is_kept():
    params = parse_params("site:'https://example.org/path'")
    assert params.as_dict() == {"site": "https://example.org/path"}


def test_params_br_markers_become_newlines():
    params = parse_params("text:'one<BR>two<<BR>>three'")
    assert params.as_dict() == {"text": "one\ntwo\nthree"}


def test_params_escaped_newline_sequence_becomes_newline():
    params = parse_params("text:'one\\\\ntwo'")
    assert params.as_dict() == {"text": "one\ntwo"}


def test_params_value_without_text_is_dropped():
    assert parse_params("a:1 b:").as_dict() == {"a": "1"}


def test_params_empty_quotes_store_empty_value():
    assert parse_params("a:''").as_dict() == {"a": ""}


def test_params_tabs_count_as_indent():
    params = parse_params("\tname:x\n\t\tport:1")
    assert params.as_dict() == {"name": "x", "port": "1"}


def test_params_args_deduplicated_case_insensitively():
    assert parse_params("fast FAST").args == ["fast"]
    assert parse_params("FAST fast").args == ["FAST", "fast"]


def test_params_empty_text():
    params = parse_params("")
    assert params.empty()
    assert params.as_dict() == {}
    assert params.args == []


def test_params_list_spaced_first_item_stored_twice():
    params = parse_params("team: 'ann lee', bob")
    assert params.as_dict() == {"team": 'ann lee,"ann lee",bob'}


def test_params_list_last_item_quoted_only_at_end():
    inside = parse_params("team: bob, 'ann lee' size:2")
    at_end = parse_params("size:2 team: bob, 'ann lee'")
    assert inside.get("team") == "bob,ann lee"
    assert at_end.get("team") == 'bob,"ann lee"'
