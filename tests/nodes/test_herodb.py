import psutil
import pytest

from nodes.herodb import HeroDB, HeroDBError


def test_contexts_get_distinct_databases(herodb):
    first = herodb.database_index("notebook-a")
    second = herodb.database_index("notebook-b")
    assert first != second
    assert herodb.database_index("notebook-a") == first


def test_context_cannot_read_another_context_keys(herodb):
    herodb.client("notebook-a").set("secret", "a-only")
    other = herodb.client("notebook-b")
    assert other.get("secret") is None
    assert other.keys("*") == []
    assert herodb.client("notebook-a").get("secret") == "a-only"


def test_append_only_persistence_survives_restart(tmp_path):
    db = HeroDB(tmp_path / "node")
    db.start()
    db.client("ctx").set("kept", "yes")
    db.stop()
    assert (tmp_path / "node" / "appendonly.aof").exists()

    again = HeroDB(tmp_path / "node")
    again.start()
    try:
        assert again.client("ctx").get("kept") == "yes"
    finally:
        again.stop()


def test_stop_ends_the_server_process(tmp_path):
    db = HeroDB(tmp_path / "node")
    db.start()
    pid = db.pid
    assert psutil.pid_exists(pid)
    db.stop()
    assert (
        not psutil.pid_exists(pid)
        or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    )


def test_full_node_raises_clear_error(tmp_path):
    db = HeroDB(tmp_path / "node", databases=3)
    db.start()
    try:
        db.database_index("one")
        db.database_index("two")
        with pytest.raises(HeroDBError, match="no free database for context 'three'"):
            db.database_index("three")
    finally:
        db.stop()


def test_size_counts_keys_of_all_contexts(herodb):
    herodb.client("a").set("k1", "1")
    herodb.client("b").set("k2", "2")
    # Database 0 contains the context registry: two more keys.
    assert herodb.size() == 4


def test_client_before_start_raises(tmp_path):
    with pytest.raises(HeroDBError, match="not running"):
        HeroDB(tmp_path / "node").client("ctx")
