"""Writing actions back as HeroScript and reading them again."""

from herolib.heroscript import Action, ActionType, Playbook, parse_actions


def reparse(actions: list[Action]) -> list[Action]:
    text = "\n".join(action.to_heroscript() for action in actions)
    return parse_actions(text)


def test_roundtrip_keeps_args_order_and_case():
    actions = parse_actions("!!svc.start Beta alpha name:x")
    assert reparse(actions) == actions
    assert reparse(actions)[0].params.args == ["Beta", "alpha"]


def test_roundtrip_long_values_go_below_action_line():
    actions = parse_actions(
        "!!doc.page title:'A rather long title for the front page' n:1"
    )
    text = actions[0].to_heroscript()
    assert text.splitlines() == [
        "!!doc.page n:1",
        "    title:'A rather long title for the front page'",
    ]
    assert parse_actions(text) == actions


def test_roundtrip_multiline_value_written_as_block():
    actions = parse_actions(
        "!!doc.page\n    body:'\n        one\n          two\n        '\n"
    )
    text = actions[0].to_heroscript()
    assert text == "!!doc.page\n    body:'\n        one\n          two\n    '\n"
    assert parse_actions(text) == actions


def test_roundtrip_value_with_double_quote_uses_block():
    action = Action("doc", "page")
    action.params.set("quote", 'say "hi"')
    assert parse_actions(action.to_heroscript()) == [action]


def test_roundtrip_blank_line_in_value_uses_escaped_newline():
    action = Action("doc", "page")
    action.params.set("body", "one\n\ntwo")
    text = action.to_heroscript()
    assert "\\\\n" in text
    assert parse_actions(text) == [action]


def test_roundtrip_list_with_spaced_items():
    actions = parse_actions("!!team.set members: ann, 'bo b', 'it\\'s me'")
    assert actions[0].params.get("members") == 'ann,"bo b","it\'s me"'
    assert reparse(actions) == actions


def test_list_first_item_with_space_is_stored_twice():
    # herolib quirk: quoting the first item copies it, because there is no comma before it.
    actions = parse_actions("!!team.set members: 'ann smith', bob")
    assert actions[0].params.get("members") == 'ann smith,"ann smith",bob'
    assert reparse(actions) == actions


def test_roundtrip_comments_of_action_params_and_args():
    text = (
        "// top\n//\n// more\n!!a.b\n    // why\n    force\n    // the key\n    k:v\n"
    )
    actions = parse_actions(text)
    assert actions[0].params.arg_comments == {"force": "why"}
    assert reparse(actions) == actions


def test_roundtrip_value_ending_in_colon():
    actions = parse_actions("!!a.b y:'it\\'s:' note:'Remember this:' x:1\n")
    assert actions[0].params.get("note") == "Remember this:"
    assert actions[0].params.get("y") == "it's:"
    assert reparse(actions) == actions


def test_unwritable_value_still_parses():
    action = Action("a", "b")
    action.params.set("mixed", 'it\'s "both"\n\nkinds')
    (again,) = parse_actions(action.to_heroscript())
    assert again.params.get("mixed") == "it's 'both'\n\nkinds"


def test_roundtrip_all_types_and_core_actor():
    text = "!a.one\n!!two\n!!!a.three\n!!!!a.four\n"
    actions = parse_actions(text)
    assert [a.type for a in actions] == list(ActionType)
    assert reparse(actions) == actions


def test_playbook_to_heroscript_roundtrip():
    book = Playbook("!!a.one x:1\n!!b.two y:'two words'\n")
    again = Playbook(book.to_heroscript())
    assert again.actions == book.actions
