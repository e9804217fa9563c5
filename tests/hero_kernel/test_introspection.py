from hero_kernel.introspection import Namespace, node_functions, word_at

SUMMARY = {
    "version": 2,
    "variables": [{"name": "total_count", "type": "i64", "constant": False}],
    "dropped": [],
    "functions": [
        {
            "name": "tally",
            "params": ["items"],
            "signature": "tally(items)",
            "doc": "Counts items.",
        }
    ],
}


def make_namespace():
    namespace = Namespace(node_functions())
    namespace.update(SUMMARY)
    return namespace


def test_node_functions_include_registered_and_builtin():
    names = {function.name for function in node_functions()}
    assert {"db_get", "db_set", "db_keys"} <= names
    assert {"print", "to_upper", "push"} <= names


def test_complete_offers_variables_functions_keywords():
    namespace = make_namespace()
    assert namespace.complete("let x = tot", 11)["matches"] == ["total_count"]
    assert namespace.complete("tal", 3)["matches"] == ["tally"]
    assert "db_get" in namespace.complete("db_g", 4)["matches"]
    assert namespace.complete("whi", 3)["matches"] == ["while"]


def test_complete_reports_replacement_range():
    reply = make_namespace().complete("print(db_ke)", 11)
    assert reply["cursor_start"] == 6
    assert reply["cursor_end"] == 11
    assert reply["matches"] == ["db_keys"]


def test_inspect_shows_doc_comment_and_signature():
    namespace = make_namespace()
    reply = namespace.inspect("tally(x)", 2)
    assert reply["found"] is True
    assert "tally(items)" in reply["data"]["text/plain"]
    assert "Counts items." in reply["data"]["text/plain"]
    registered = namespace.inspect("db_get", 0)["data"]["text/plain"]
    assert "key: string" in registered
    assert "HeroDB" in registered or "stored" in registered


def test_inspect_variable_and_unknown():
    namespace = make_namespace()
    assert (
        namespace.inspect("total_count", 3)["data"]["text/plain"]
        == "variable total_count: i64"
    )
    assert namespace.inspect("nothing_here", 2)["found"] is False


def test_word_at_finds_identifier_around_cursor():
    assert word_at("a + db_get(k)", 6) == (4, 10)
    assert word_at("   ", 1) == (1, 1)
