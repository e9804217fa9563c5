"""Rhai functions that give a script the HeroDB database of its own context.

Values are stored as JSON, so a map or an array comes back as the same map or array.
Other Redis clients see that JSON text.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from herolib.protocol import to_json_safe
from nodes.rhai import Engine


def _check_key(function: str, key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"{function}: the key must be a non-empty string, got {key!r}")
    return key


def register_herodb(engine: Engine, client: redis.Redis | None) -> None:
    """Register the HeroDB functions on ``engine``, bound to one context's ``client``.

    With ``client`` None the functions are registered for their signatures and docs
    only (completion in the kernel); calling one then raises.
    """

    def database() -> redis.Redis:
        if client is None:
            raise RuntimeError(
                "HeroDB is not available here; run the script on a Hero node"
            )
        return client

    def db_set(key: Any, value: Any) -> None:
        database().set(_check_key("db_set", key), json.dumps(to_json_safe(value)))

    def db_get(key: Any) -> Any:
        text = database().get(_check_key("db_get", key))
        return None if text is None else json.loads(text)

    def db_delete(key: Any) -> bool:
        return bool(database().delete(_check_key("db_delete", key)))

    def db_exists(key: Any) -> bool:
        return bool(database().exists(_check_key("db_exists", key)))

    def db_keys(pattern: Any = "*") -> list[str]:
        if not isinstance(pattern, str):
            raise ValueError(f"db_keys: the pattern must be a string, got {pattern!r}")
        return sorted(database().scan_iter(match=pattern))

    register = engine.register_fn
    register(
        "db_set",
        db_set,
        2,
        params=["key: string", "value: ?"],
        doc="Store `value` under `key` in this notebook's HeroDB database.",
    )
    register(
        "db_get",
        db_get,
        1,
        params=["key: string"],
        doc="Return the value stored under `key`, or () when there is none.",
    )
    register(
        "db_delete",
        db_delete,
        1,
        params=["key: string"],
        doc="Delete `key`; return true when it existed.",
    )
    register(
        "db_exists",
        db_exists,
        1,
        params=["key: string"],
        doc="Return true when `key` is stored.",
    )
    register("db_keys", db_keys, 0, doc="Return every key of this notebook, sorted.")
    register(
        "db_keys",
        db_keys,
        1,
        params=["pattern: string"],
        doc='Return the keys that match a Redis glob `pattern`, such as "user:*", sorted.',
    )
