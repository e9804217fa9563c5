import pytest

from herolib.heroscript import name_fix, name_fix_no_underscore


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Deploy", "deploy"),
        ("  Git Repo  ", "git_repo"),
        ("git-repo", "git_repo"),
        ("a;b:c", "a_b_c"),
        ("keep_underscore", "keep_underscore"),
        ("many___underscores", "many_underscores"),
        ("_leading", "_leading"),
        ("trailing_", "trailing_"),
        ("drop!these?chars", "dropthesechars"),
        ("Zürich Office", "zrich_office"),
        ("title#section", "title"),
        ("", ""),
    ],
)
def test_name_fix_cleans(raw, cleaned):
    assert name_fix(raw) == cleaned


def test_name_fix_keeps_last_dot_as_extension():
    assert name_fix("Photo.Album.JPG") == "photo_album.jpg"


def test_name_fix_extension_needs_three_bytes():
    assert name_fix("a.") == "a_"
    assert name_fix(".hidden") == "_hidden"


def test_name_fix_underscore_then_separator_collapses():
    assert name_fix("a_-b") == "a_b"
    assert name_fix("a_ b") == "a_b"


def test_name_fix_separator_runs_are_not_collapsed():
    # herolib compares with the previous input character, not the previous output.
    assert name_fix("a--b") == "a__b"
    assert name_fix("a - b") == "a___b"
    assert name_fix("a _b") == "a__b"


def test_name_fix_no_underscore_removes_all():
    assert name_fix_no_underscore("Y_E_S") == "yes"
    assert name_fix_no_underscore("two words") == "twowords"
