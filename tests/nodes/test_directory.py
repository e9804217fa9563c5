import subprocess
import sys

from nodes.directory import NodeDirectory, hero_home, safe_name


def test_claim_takes_next_folder_when_locked(tmp_path):
    first = NodeDirectory(tmp_path, "node-0")
    second = NodeDirectory(tmp_path, "node-0")
    try:
        assert first.claim() == tmp_path / "node-0"
        assert second.claim() == tmp_path / "node-0-2"
    finally:
        first.release()
        second.release()


def test_lock_of_dead_process_is_free(tmp_path):
    code = (
        "import sys; from pathlib import Path; from nodes.directory import NodeDirectory;"
        f"NodeDirectory(Path({str(tmp_path)!r}), 'n').claim()"
    )
    subprocess.run([sys.executable, "-P", "-c", code], check=True)
    directory = NodeDirectory(tmp_path, "n")
    try:
        assert directory.claim() == tmp_path / "n"
    finally:
        directory.release()


def test_safe_name_strips_path_characters():
    assert safe_name("tcp://127.0.0.1:4000") == "tcp_127.0.0.1_4000"
    assert safe_name("../..") == "node"


def test_hero_home_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HERO_HOME", str(tmp_path / "home"))
    assert hero_home() == tmp_path / "home"
    monkeypatch.delenv("HERO_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert hero_home() == tmp_path / "xdg" / "hero-notebook"
