import pytest

from herolib.heroscript import (
    HeroScriptError,
    ParamError,
    Playbook,
    UnhandledActionsError,
    match_glob,
)

BOOK = """
!!payment.add amount:5
!!payment.refund amount:2
!!define name:x
!!people.define name:y
!!invoice.add nr:1
!!pay.add amount:1
"""


def found(book: Playbook, filter: str) -> list[str]:
    return [action.key for action in book.find(filter)]


def test_playbook_keeps_document_order_and_ids():
    book = Playbook(BOOK)
    assert [action.id for action in book] == [1, 2, 3, 4, 5, 6]
    assert len(book) == 6


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ("payment.add", ["payment.add"]),
        ("payment.*", ["payment.add", "payment.refund"]),
        ("payment.", ["payment.add", "payment.refund"]),
        ("payment:refund", ["payment.refund"]),
        ("*.add", ["payment.add", "invoice.add", "pay.add"]),
        ("pay*.add", ["payment.add", "pay.add"]),
        ("pa?.add", ["pay.add"]),
        ("[pi]*.add", ["payment.add", "invoice.add", "pay.add"]),
        ("[^p]*.add", ["invoice.add"]),
        ("define", ["core.define"]),
        ("", ["core.define"]),
        ("*.define", ["core.define", "people.define"]),
        (" INVOICE.Add , pay.add ", ["invoice.add", "pay.add"]),
        ("Pay*.*", []),
        ("people.nothing", []),
    ],
)
def test_playbook_find_filters(filter, expected):
    assert found(Playbook(BOOK), filter) == expected


def test_playbook_find_skips_done_unless_asked():
    book = Playbook(BOOK)
    book.find("payment.add")[0].done = True
    assert found(book, "payment.*") == ["payment.refund"]
    assert [a.key for a in book.find("payment.*", include_done=True)] == [
        "payment.add",
        "payment.refund",
    ]


def test_playbook_get_and_exists():
    book = Playbook(BOOK)
    assert book.get("invoice.add").params.get("nr") == "1"
    assert book.exists("people.*")
    assert not book.exists("nobody.*")
    with pytest.raises(LookupError, match="found 2"):
        book.get("payment.*")
    with pytest.raises(LookupError, match="found 0"):
        book.get("nobody.here")


def test_playbook_filtersort_orders_by_priority():
    book = Playbook(BOOK)
    ordered = book.filtersort({5: "invoice.*", 10: "*.define", 20: "invoice.add"})
    assert [a.key for a in ordered] == [
        "invoice.add",
        "core.define",
        "people.define",
        "payment.add",
        "payment.refund",
        "pay.add",
    ]
    assert [a.priority for a in ordered] == [5, 10, 10, 50, 50, 50]


def test_playbook_filtersort_rejects_priority_above_49():
    with pytest.raises(ValueError, match="above 49"):
        Playbook(BOOK).filtersort({50: "pay.*"})


def test_playbook_actions_sorted_is_stable():
    book = Playbook()
    book.add("!!b.one\n!!b.two", priority=20)
    book.add("!!a.one", priority=10)
    assert [a.key for a in book.actions_sorted()] == ["a.one", "b.one", "b.two"]


def test_playbook_check_done_lists_leftovers():
    book = Playbook("!!job.first x:1\n!!job.second y:2\n")
    book.actions[0].done = True
    with pytest.raises(UnhandledActionsError) as caught:
        book.check_done()
    assert [a.key for a in caught.value.actions] == ["job.second"]
    assert caught.value.line == 2
    assert "!!job.second y:2" in str(caught.value)
    assert "!!job.first" not in str(caught.value)
    book.actions[1].done = True
    book.check_done()


def test_playbook_to_heroscript_leaves_out_done():
    book = Playbook("!!job.first x:1\n!!job.second y:2\n")
    book.actions[0].done = True
    assert book.to_heroscript() == "!!job.second y:2\n"
    assert "!!job.first x:1" in book.to_heroscript(show_done=True)


def test_playbook_env_set_fills_later_actions():
    text = (
        "!!app.before dir:{ROOT}\n"
        "!!session.env_set key:ROOT value:/srv\n"
        "!!session.env_set key:user val:ann\n"
        "!!app.after dir:'{root}/{USER}' other:{missing}\n"
    )
    book = Playbook(text)
    assert book.env == {"ROOT": "/srv", "user": "ann"}
    assert book.get("app.before").params.get("dir") == "{ROOT}"
    after = book.get("app.after").params
    assert after.get("dir") == "/srv/ann"
    assert after.get("other") == "{missing}"
    assert book.find("session.*") == []


def test_playbook_env_carries_over_to_later_add():
    book = Playbook("!!session.env_set key:host value:db1")
    book.add("!!db.connect to:{host}")
    assert book.get("db.connect").params.get("to") == "db1"


def test_playbook_env_set_once_keeps_first():
    book = Playbook(
        "!!session.env_set_once key:a value:1\n!!session.env_set_once key:a value:2\n"
    )
    assert book.env == {"a": "1"}


def test_playbook_env_set_without_key_raises():
    with pytest.raises(ParamError) as caught:
        Playbook("\n!!session.env_set value:1")
    assert caught.value.line == 2


def test_playbook_text_replacements():
    book = Playbook(
        "!!a.b x:@NAME y:${NAME} z:{NAME} w:$$", replace={"NAME": "v", "$$": "d"}
    )
    assert book.actions[0].params.as_dict() == {"x": "v", "y": "v", "z": "v", "w": "d"}


def test_playbook_add_file_and_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.md").write_text("# doc\n!!x.from_md\n")
    (tmp_path / "sub" / "b.hero").write_text("!!x.from_hero\n")
    (tmp_path / "c.heroscript").write_text("!!x.from_heroscript\n")
    (tmp_path / "notes.txt").write_text("!!x.ignored\n")
    (tmp_path / ".hidden.md").write_text("!!x.hidden\n")
    book = Playbook(path=tmp_path)
    assert [a.key for a in book] == ["x.from_md", "x.from_hero", "x.from_heroscript"]
    assert book.actions[0].source == str(tmp_path / "a.md")
    single = Playbook(tmp_path / "sub" / "b.hero")
    assert [a.key for a in single] == ["x.from_hero"]


def test_playbook_include_puts_actions_in_place(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "common.hero").write_text("!!lib.shared v:{ver}\n")
    (tmp_path / "main.md").write_text(
        "!!session.env_set key:ver value:3\n"
        "!!main.first\n!!play.include path:lib/common.hero\n!!main.last\n"
    )
    book = Playbook(path=tmp_path / "main.md")
    keys = [a.key for a in book]
    assert keys == [
        "session.env_set",
        "main.first",
        "play.include",
        "lib.shared",
        "main.last",
    ]
    assert book.get("lib.shared").params.get("v") == "3"
    assert book.actions[2].done


def test_playbook_include_of_folder(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "one.hero").write_text("!!p.one\n")
    (tmp_path / "parts" / "two.md").write_text("!!p.two\n")
    book = Playbook()
    book.add(f"!!play.include path:'{tmp_path / 'parts'}'\n!!p.after")
    assert [a.key for a in book.find("p.*")] == ["p.two", "p.one", "p.after"]


def test_playbook_include_cycle_raises_and_rolls_back(tmp_path):
    (tmp_path / "a.hero").write_text("!!a.run\n!!play.include path:b.hero\n")
    (tmp_path / "b.hero").write_text("!!b.run\n\n!!play.include path:a.hero\n")
    book = Playbook("!!keep.me")
    with pytest.raises(HeroScriptError) as caught:
        book.add(path=tmp_path / "a.hero")
    assert "include cycle" in caught.value.message
    assert caught.value.line == 3
    assert caught.value.source == str(tmp_path / "b.hero")
    assert [a.key for a in book] == ["keep.me"]


def test_playbook_include_twice_is_skipped(tmp_path):
    (tmp_path / "lib.hero").write_text("!!lib.run\n")
    (tmp_path / "main.hero").write_text(
        "!!play.include path:lib.hero\n!!play.include path:lib.hero\n"
    )
    book = Playbook(path=tmp_path / "main.hero")
    assert [a.key for a in book.find("lib.*")] == ["lib.run"]
    assert book.pending() == book.find("lib.*")


def test_playbook_include_missing_path_raises(tmp_path):
    with pytest.raises(HeroScriptError, match="path not found"):
        Playbook(f"!!play.include path:'{tmp_path / 'nope.hero'}'")
    with pytest.raises(HeroScriptError, match="needs path"):
        Playbook("!!play.include git_url:x")


def test_playbook_add_missing_path_raises(tmp_path):
    with pytest.raises(HeroScriptError, match="path not found"):
        Playbook(path=tmp_path / "absent")


def test_match_glob_anchors_whole_text():
    assert match_glob("payment", "pay*")
    assert not match_glob("repay", "pay*")
    assert match_glob("a[b", "a[b")
