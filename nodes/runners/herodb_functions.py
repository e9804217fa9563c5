"""Rhai functions that give a script the HeroDB database of its own context.

Values are stored as JSON so that a map or an array comes back as the same map or
array; other Redis clients see that JSON text.
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


def register_herodb(engine: Engine, client: redis.Redis) -> None:
    """Register the HeroDB functions on ``engine``, bound to one context's ``client``.

    They are ``db_set``, ``db_get``, ``db_delete``, ``db_exists`` and ``db_keys``.
    """

    def db_set(key: Any, value: Any) -> None:
        client.set(_check_key("db_set", key), json.dumps(to_json_safe(value)))

    def db_get(key: Any) -> Any:
        text = client.get(_check_key("db_get", key))
        return None if text is None else json.loads(text)

    def db_delete(key: Any) -> bool:
        return bool(client.delete(_check_key("db_delete", key)))

    def db_exists(key: Any) -> bool:
        return bool(client.exists(_check_key("db_exists", key)))

    def db_keys(pattern: Any = "*") -> list[str]:
        if not isinstance(pattern, str):
            raise ValueError(f"db_keys: the pattern must be a string, got {pattern!r}")
        return sorted(client.scan_iter(match=pattern))

    engine.register_fn("db_set", db_set, 2)
    engine.register_fn("db_get", db_get, 1)
    engine.register_fn("db_delete", db_delete, 1)
    engine.register_fn("db_exists", db_exists, 1)
    engine.register_fn("db_keys", db_keys, 0)
    engine.register_fn("db_keys", db_keys, 1)
