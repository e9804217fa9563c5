"""Property tests: random text parses or raises HeroScriptError, generated playbooks round-trip."""

import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from herolib.heroscript import (
    HeroScriptError,
    Params,
    Playbook,
    parse_actions,
    parse_params,
)
from herolib.heroscript.serialize import value_lines

# database=None keeps hypothesis from writing an example folder into the work tree.
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# -- random text ---------------------------------------------------------------------

SYNTAX_CHARS = list("!!!...::''\"\"//  \n\n\t-,_abcXYZ019#<>[]{}\\*@%") + [
    "<!--",
    "-->",
    "-/",
]


@st.composite
def syntax_heavy_text(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(SYNTAX_CHARS), max_size=80))
    return "".join(pieces)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=200), syntax_heavy_text()))
def test_random_text_parses_or_raises_heroscript_error(text):
    try:
        actions = parse_actions(text)
    except HeroScriptError as error:
        assert error.line >= 0
        return
    for action in actions:
        assert isinstance(action.params, Params)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=200), syntax_heavy_text()), st.text(max_size=20))
def test_random_playbook_loads_or_raises(text, filter):
    try:
        actions = parse_actions(text)
    except HeroScriptError:
        actions = []
    # Random text must not make the playbook read files from this machine.
    assume(not any(action.key == "play.include" for action in actions))
    try:
        book = Playbook(text)
    except HeroScriptError as error:
        assert error.line >= 0
        return
    selected = book.find(filter)
    assert all(action in book.actions for action in selected)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=200), syntax_heavy_text()))
def test_random_params_parse_or_raise_heroscript_error(text):
    try:
        params = parse_params(text)
    except HeroScriptError as error:
        assert error.line >= 1
        return
    assert all(isinstance(value, str) for value in params.as_dict().values())


# -- generated valid playbooks ---------------------------------------------------------

WORD = st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=8)
ARG = st.text(
    string.ascii_letters + string.digits + "_.", min_size=1, max_size=8
).filter(lambda word: not word.startswith("."))
KEY = WORD.filter(lambda key: key != "id")
# Printable ASCII without ", \ and < (which HeroScript rewrites) and without tabs.
VALUE_CHARS = "".join(
    char for char in string.printable if char not in '"\\<\t\n\r\x0b\x0c'
)
SINGLE_LINE = st.text(VALUE_CHARS, max_size=30).map(str.strip)
COMMENT = st.text(
    string.ascii_letters + string.digits + " .,:;?()", min_size=1, max_size=20
).map(str.strip)
BLOCK_LINE = st.text(
    string.ascii_letters + string.digits + " .,:;?()/-_", min_size=1, max_size=20
)


# A source line ending in ``:'`` opens a multiline value, so generated quoted values
# do not end in ':'.
SOURCE_VALUE = SINGLE_LINE.filter(lambda value: not value.endswith(":"))

# A comma inside a list item is stored like the separator, so items have none.
LIST_ITEM = SOURCE_VALUE.filter(lambda item: item != "" and "," not in item)


def quoted(value: str) -> str:
    return "'" + value.replace("'", "\\'") + "'"


@st.composite
def value_source(draw: st.DrawFn, key: str, last: bool) -> list[str]:
    # herolib wraps a spaced last list item in " only at the end of the text, so a
    # list is generated only as the last parameter.
    kinds = ["bare", "quoted", "block"] + (["list"] if last else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "bare":
        word = draw(
            st.text(string.ascii_letters + string.digits + "._-@+=", min_size=1)
        )
        return [f"{key}:{word}"]
    if kind == "quoted":
        return [f"{key}:{quoted(draw(SOURCE_VALUE))}"]
    if kind == "list":
        items = draw(st.lists(LIST_ITEM, min_size=2, max_size=4))
        return [f"{key}:" + ", ".join(quoted(item) for item in items)]
    lines = draw(
        st.lists(
            BLOCK_LINE.filter(lambda line: line.strip() != ""), min_size=1, max_size=4
        )
    )
    return [f"{key}:'", *("    " + line.rstrip() for line in lines), "'"]


@st.composite
def action_source(draw: st.DrawFn) -> str:
    bangs = "!" * draw(st.integers(1, 4))
    name = draw(WORD)
    if draw(st.booleans()):
        name = f"{draw(WORD)}.{name}"
    lines = [f"// {comment}" for comment in draw(st.lists(COMMENT, max_size=2))]
    args = draw(st.lists(ARG, max_size=3))
    lines.append(" ".join([bangs + name, *args]))
    keys = draw(st.lists(KEY, max_size=4, unique=True))
    for index, key in enumerate(keys):
        for comment in draw(st.lists(COMMENT, max_size=1)):
            lines.append(f"    // {comment}")
        source = draw(value_source(key, last=index == len(keys) - 1))
        lines += ["    " + line for line in source]
    return "\n".join(lines)


@st.composite
def playbook_source(draw: st.DrawFn) -> str:
    blocks = []
    for action in draw(st.lists(action_source(), min_size=1, max_size=4)):
        prose = draw(st.sampled_from(["", "Some prose.", "# Heading", "- item"]))
        blocks.append(f"{prose}\n\n{action}\n")
    return "\n".join(blocks)


@PROPERTY_SETTINGS
@given(playbook_source())
def test_generated_playbook_survives_roundtrip(text):
    actions = parse_actions(text)
    assert actions
    written = "\n".join(action.to_heroscript() for action in actions)
    again = parse_actions(written)
    assert again == actions
    assert "\n".join(action.to_heroscript() for action in again) == written


@PROPERTY_SETTINGS
@given(KEY, SINGLE_LINE)
def test_single_line_values_written_exactly(key, value):
    expected = Params()
    expected.set(key, value)
    assert parse_params("\n".join(value_lines(key, value))) == expected
