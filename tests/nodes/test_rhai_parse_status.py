"""parse_status of the nodes._rhai binding, as a console's is_complete check uses it."""

import pytest

from nodes.rhai import parse_status


@pytest.mark.parametrize(
    "script",
    [
        "",
        "   \n",
        "1 + 2",
        "let x = 1;",
        "fn add(a, b) { a + b }",
        "if x { 1 } else { 2 }",
        "print(`value ${x}`)",
        "1 + 2 // trailing comment",
        'let s = "a \\\n b";',
        "/* closed /* nested */ comment */ 1",
        'let r = #"raw "quoted" text"#;',
    ],
)
def test_complete(script):
    assert parse_status(script) == "complete"


@pytest.mark.parametrize(
    "script",
    [
        "1 +",
        "let x =",
        "foo(1,",
        "if x {",
        "if x { 1 } else",
        "while true {\n    print(1);\n",
        "let list = [1, 2",
        "let map = #{a: 1,",
        "fn add(a, b)",
        "fn add(",
        "fn",
        "let",
        "x.",
        "let x = (1 + // comment\n",
        "/* open comment",
        "/* outer /* inner */ still open",
        "let s = `multi\nline",
        "let s = `value ${x",
        'let r = #"raw\nstring',
        'let s = "continued \\',
        'let s = "open',
        "let c = 'a",
        "switch x {",
    ],
)
def test_incomplete(script):
    assert parse_status(script) == "incomplete"


@pytest.mark.parametrize(
    "script",
    [
        "let x = ;",
        "1 )",
        "let x = 1 2",
        "let x = 1;\n}\n",
        'let y = "abc\ndef";',
        "let c = 'a\n';",
        "fn f() { let x = ; }\nfn g() {",
        "1 $ 2",
    ],
)
def test_invalid(script):
    assert parse_status(script) == "invalid"
