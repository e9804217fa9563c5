"""Node folders: where a node keeps its files, locked while the node runs."""

from __future__ import annotations

import fcntl
import logging
import os
import re
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

#: Tries of ``NAME``, ``NAME-2``, ... before giving up on a free node folder.
MAX_CLAIM_TRIES = 100


def hero_home() -> Path:
    """Return the data folder: ``$HERO_HOME``, else ``$XDG_DATA_HOME/hero-notebook``."""
    configured = os.environ.get("HERO_HOME")
    if configured:
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "hero-notebook"


def safe_name(name: str) -> str:
    """Turn a worker name into a folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "node"


class NodeDirectory:
    """A node's folder under ``base``, held with an exclusive lock while the node runs.

    When another live process has locked ``base/NAME``, the next free ``base/NAME-2``,
    ``base/NAME-3``, ... is used, so two clusters on one machine never share a HeroDB.
    The lock goes away with the process, even when it is killed.
    """

    def __init__(self, base: Path, name: str) -> None:
        self.base = Path(base)
        self.name = safe_name(name)
        self.path: Path | None = None
        self._lock_file: IO[str] | None = None

    def claim(self) -> Path:
        for attempt in range(1, MAX_CLAIM_TRIES + 1):
            candidate = self.base / (
                self.name if attempt == 1 else f"{self.name}-{attempt}"
            )
            candidate.mkdir(parents=True, exist_ok=True)
            lock_file = open(candidate / "node.lock", "w")
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock_file.close()
                logger.info(
                    "node folder %s is in use by another process; trying the next",
                    candidate,
                )
                continue
            lock_file.write(str(os.getpid()))
            lock_file.flush()
            self.path, self._lock_file = candidate, lock_file
            return candidate
        raise RuntimeError(
            f"no free node folder for {self.name!r} under {self.base}: "
            f"{MAX_CLAIM_TRIES} folders are locked by running nodes; stop some or set HERO_HOME"
        )

    def release(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
