import pytest

from herolib.heroscript import ActionType, HeroScriptError, parse_actions


def keys(text: str) -> list[str]:
    return [action.key for action in parse_actions(text)]


def test_parser_action_with_params_and_args():
    (action,) = parse_actions("!!vm.create name:test cpus:2 quick")
    assert action.actor == "vm"
    assert action.name == "create"
    assert action.type is ActionType.SAL
    assert action.params.as_dict() == {"name": "test", "cpus": "2"}
    assert action.params.args == ["quick"]
    assert action.line == 1


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("!", ActionType.DAL),
        ("!!", ActionType.SAL),
        ("!!!", ActionType.MACRO),
        ("!!!!", ActionType.WAL),
    ],
)
def test_parser_bang_count_gives_type(prefix, kind):
    (action,) = parse_actions(f"{prefix}job.run")
    assert action.type is kind
    assert kind.bangs == prefix


def test_parser_five_bangs_is_an_error():
    with pytest.raises(HeroScriptError) as caught:
        parse_actions("intro\n\n!!!!!job.run x:1\n")
    assert caught.value.line == 3
    assert caught.value.text == "!!!!!job.run x:1"
    assert "one to four" in caught.value.message


def test_parser_name_without_dot_is_core():
    (action,) = parse_actions("!!cleanup all")
    assert action.key == "core.cleanup"
    assert action.params.args == ["all"]


def test_parser_two_dots_is_an_error():
    with pytest.raises(HeroScriptError) as caught:
        parse_actions("!!net.vlan.add id:3")
    assert caught.value.line == 1
    assert "more than one dot" in caught.value.message


def test_parser_names_are_cleaned():
    assert keys("!!My-Actor.Do Thing:1") == ["my_actor.do"]
    assert keys("!!DNS.Set-Record") == ["dns.set_record"]


def test_parser_continuation_needs_two_spaces():
    (action,) = parse_actions("!!mail.send to:ann\n  subject:hi\n body:ignored\n")
    assert action.params.as_dict() == {"to": "ann", "subject": "hi"}


def test_parser_tab_counts_as_indent():
    (action,) = parse_actions("!!mail.send\n\tto:ann\n")
    assert action.params.as_dict() == {"to": "ann"}


def test_parser_blank_lines_do_not_end_action():
    (action,) = parse_actions("!!db.create name:main\n\n\n    size:10GB\n")
    assert action.params.as_dict() == {"name": "main", "size": "10GB"}


def test_parser_column_zero_text_ends_action():
    actions = parse_actions("!!db.create name:main\nSome prose.\n    size:10GB\n")
    assert actions[0].params.as_dict() == {"name": "main"}


def test_parser_new_action_line_ends_action_even_indented():
    assert keys("!!a.one x:1\n    !!a.two y:2\n") == ["a.one", "a.two"]


def test_parser_common_indentation_removed():
    actions = parse_actions("      !!a.one x:1\n          y:2\n      !!a.two\n")
    assert [a.key for a in actions] == ["a.one", "a.two"]
    assert actions[0].params.as_dict() == {"x": "1", "y": "2"}


def test_parser_markdown_text_is_ignored():
    text = (
        "# Title\n\nSome *text*.\n\n![picture](x.png)\n\n```heroscript\n"
        "!!site.build path:docs\n```\n\n- item\n> quote\n"
    )
    assert keys(text) == ["site.build"]


def test_parser_bang_line_in_prose():
    (action,) = parse_actions("Note:\n!Careful now\n")
    assert action.key == "core.careful"
    assert action.type is ActionType.DAL
    assert action.params.args == ["now"]


def test_parser_id_parameter_dropped():
    (action,) = parse_actions("!!user.add id:9 name:x")
    assert action.params.as_dict() == {"name": "x"}


def test_parser_comments_attach_to_action():
    text = "// create the user\n//\n//  with a home\n\n!!user.add name:x\n!!user.list\n"
    first, second = parse_actions(text)
    assert first.comments == "create the user\n\nwith a home"
    assert second.comments == ""


def test_parser_comment_followed_by_text_is_dropped():
    (action,) = parse_actions("// stray note\nplain text\n!!user.list\n")
    assert action.comments == ""


def test_parser_indented_comment_belongs_to_parameter():
    (action,) = parse_actions("!!user.add\n    // login name\n    name:x\n")
    assert action.comments == ""
    assert action.params.comment("name") == "login name"


def test_parser_multiline_value_in_action_loses_blank_lines():
    text = "!!doc.page\n    body:'\n        Para one\n\n        Para two\n        '\n    order:2\n"
    (action,) = parse_actions(text)
    assert action.params.as_dict() == {"body": "Para one\nPara two", "order": "2"}


def test_parser_param_error_names_source_line():
    with pytest.raises(HeroScriptError) as caught:
        parse_actions("!!a.b x:1\n\n    good:2\n    bad@key:3\n", source="deploy.md")
    assert caught.value.line == 4
    assert caught.value.text == "    bad@key:3"
    assert caught.value.source == "deploy.md"
    assert str(caught.value).startswith("deploy.md, line 4: ")


def test_parser_param_error_on_action_line():
    with pytest.raises(HeroScriptError) as caught:
        parse_actions("\n!!a.b first-name:x\n")
    assert caught.value.line == 2
    assert caught.value.text == "!!a.b first-name:x"


def test_parser_action_lines_and_priorities():
    actions = parse_actions("\n!!a.one\n\n!!a.two\n", priority=7)
    assert [a.line for a in actions] == [2, 4]
    assert [a.priority for a in actions] == [7, 7]


def test_parser_unquoted_url_in_action_is_cut():
    (action,) = parse_actions("!!git.clone url:https://example.org/repo.git")
    assert action.params.as_dict() == {"url": "https:"}


def test_parser_empty_text_has_no_actions():
    assert parse_actions("") == []
    assert parse_actions("# only markdown\n") == []
