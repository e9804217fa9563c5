"""Rhai functions that give a script the HeroDB database of its own context.

Values are stored as JSON in the tagged form of :mod:`nodes.sessions`, so a map, an
array, a char, a blob or a NaN comes back as it went in. Other Redis clients see that
JSON text. A value with no stored form (a timestamp, a function pointer, an opaque
Python object) is rejected with an error naming its type.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from nodes.rhai import Engine
from nodes.sessions import UnstorableValue, decode_value, encode_value


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
        try:
            text = json.dumps(encode_value(value))
        except UnstorableValue as exc:
            raise ValueError(
                f"db_set: {exc}; store a string or number made from it"
            ) from None
        database().set(_check_key("db_set", key), text)

    def db_get(key: Any) -> Any:
        text = database().get(_check_key("db_get", key))
        return None if text is None else decode_value(json.loads(text))

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
