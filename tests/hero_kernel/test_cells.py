import pytest

from hero_kernel.cells import HEROSCRIPT, PYTHON, RHAI, split_cell


@pytest.mark.parametrize(
    ("source", "language", "code", "first_line"),
    [
        ("let x = 1;", RHAI, "let x = 1;", 1),
        ("%%python\nx = 1", PYTHON, "x = 1", 2),
        ("%%rhai\n40 + 2", RHAI, "40 + 2", 2),
        ("%%heroscript\n!!db.set key:a", HEROSCRIPT, "!!db.set key:a", 2),
        (
            "\n// a comment\n!!core.echo text:hi",
            HEROSCRIPT,
            "\n// a comment\n!!core.echo text:hi",
            1,
        ),
        ("!!flag", RHAI, "!!flag", 1),
        ("!true", RHAI, "!true", 1),
    ],
)
def test_split_cell(source, language, code, first_line):
    cell = split_cell(source)
    assert cell.language == language
    assert cell.code == code
    assert cell.first_line == first_line


def test_module_cell_takes_name():
    cell = split_cell("%%module geometry\nfn area(w, h) { w * h }")
    assert cell.language == "module"
    assert cell.name == "geometry"
    assert cell.code == "fn area(w, h) { w * h }"
