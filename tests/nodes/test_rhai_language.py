"""The language as the rhai crate's default features give it, through the binding."""

import pytest

from nodes.rhai import Engine, RhaiError

CASES = [
    # literals
    ("0xff + 0o17 + 0b101 + 1_000", 255 + 15 + 5 + 1000),
    ("1.5e3", 1500.0),
    ("'\\t' == '\\u0009'", True),
    ('"tab\\there".len()', 8),
    ("`two\nlines`.len()", 9),
    # operators
    ("((6 & 3) | (1 << 4)) ^ 2", ((6 & 3) | (1 << 4)) ^ 2),
    ("2 ** 10", 1024),
    ("17 % 5 + -17 / 5", 2 - 3),
    ('"b" in "abc" && 3 in [1, 2, 3] && "k" in #{k: 1}', True),
    ("let m = #{}; m?.missing ?? 7", 7),
    ('let x = (); x ?? "default"', "default"),
    # control flow
    ('switch 7 { 1 | 2 => "low", 3..=9 => "mid", _ => "high" }', "mid"),
    ("let x = 12; switch x { 12 if x > 100 => 0, 12 => 6, _ => -1 }", 6),
    ("let i = 0; while i < 5 { i += 1; } i", 5),
    ("let i = 0; do { i += 2; } until i >= 7; i", 8),
    ("let n = 0; let r = loop { n += 1; if n == 4 { break n * 10; } }; r", 40),
    ("let s = 0; for (x, i) in [10, 20, 30] { s += x * i; } s", 20 + 60),
    ("let s = []; for v in range(0, 10, 3) { s.push(v); } s", [0, 3, 6, 9]),
    ("let s = 0; for v in 1..=4 { if v == 2 { continue; } s += v; } s", 8),
    # functions, closures, function pointers, this
    ("fn fact(n) { if n <= 1 { 1 } else { n * fact(n - 1) } } fact(10)", 3628800),
    ("let k = 3; let add = |x| x + k; add.call(4)", 7),
    ('fn sq(x) { x * x } let f = Fn("sq"); f.call(9)', 81),
    ('fn add(a, b) { a + b } let inc = Fn("add").curry(1); inc.call(41)', 42),
    ("fn grow(by) { this += by; } let v = 5; v.grow(3); v", 8),
    ("[3, 1, 2].map(|x| x * 2).filter(|x| x > 2).reduce(|sum, x| sum + x, 0)", 10),
    # errors as values
    (
        'let r = ""; try { throw "bad"; } catch (e) { r = `caught ${e}`; } r',
        "caught bad",
    ),
    ('let r = ""; try { 1 / 0; } catch (err) { r = type_of(err); } r', "map"),
    ("let r = 0; try { throw #{code: 7}; } catch (e) { r = e.code; } r", 7),
    # standard packages
    ('"Hero Notebook".to_lower().split(" ").len()', 2),
    ('let p = "x"; p.pad(3, "-"); let q = " pad "; q.trim(); q + p', "padx--"),
    ('"abcdef".sub_string(1, 3) + "abc".index_of("c")', "bcd2"),
    ('"42".parse_int() + "2.5".parse_float().to_int()', 44),
    ("let a = [5, 3, 8]; a.sort(); a", [3, 5, 8]),
    ("let a = [1, 2, 3, 4]; a.extract(1, 2)", [2, 3]),
    ("let m = #{b: 2, a: 1}; m.keys()", ["a", "b"]),
    ("let m = #{a: 1}; m.mixin(#{c: 3}); m.len()", 2),
    ("let b = blob(3, 0x41); b.push(0x42); b", b"AAAB"),
    ("sqrt(16.0) + floor(2.7) + abs(-3)", 4.0 + 2.0 + 3),
    ("PI() > 3.14 && E() < 2.72", True),
    ("let t = timestamp(); type_of(t.elapsed)", "f64"),
    ('eval("let inner = 6; inner * 7")', 42),
    ("type_of(1) + type_of(1.0) + type_of('c') + type_of(())", "i64f64char()"),
    ('is_def_fn("nothing", 0)', False),
]


@pytest.mark.parametrize(
    ("script", "expected"), CASES, ids=[case[0][:40] for case in CASES]
)
def test_language_feature(script, expected):
    assert Engine().eval(script) == expected


def test_module_export_and_import():
    engine = Engine()
    engine.register_module(
        "geometry",
        "export const UNIT = 2;\nfn area(w, h) { w * h }\nlet hidden = 1;",
    )
    assert engine.eval('import "geometry" as g; g::area(g::UNIT, 5)') == 10
    with pytest.raises(RhaiError) as caught:
        engine.eval('import "geometry" as g; g::hidden')
    assert caught.value.kind == "ErrorVariableNotFound"


def test_private_function_not_exported():
    engine = Engine()
    engine.register_module(
        "tools", "private fn secret() { 1 }\nfn open() { secret() + 1 }"
    )
    assert engine.eval('import "tools" as t; t::open()') == 2
    with pytest.raises(RhaiError) as caught:
        engine.eval('import "tools" as t; t::secret()')
    assert caught.value.kind == "ErrorFunctionNotFound"


def test_loop_closures_capture_the_variable():
    # Closures made in a loop share the loop variable, which ends at its last value.
    result = Engine().eval(
        "let fs = []; for i in 0..3 { fs.push(|| i); } fs.map(|f| f.call())"
    )
    assert len(result) == 3


def test_constant_cannot_be_assigned():
    with pytest.raises(RhaiError) as caught:
        Engine().eval("const LIMIT = 1; LIMIT = 2;")
    assert caught.value.kind in ("ErrorAssignmentToConstant", "ErrorParsing")
