"""Adapter for the HeroScript conformance runner.

Run it with ``--adapter herolib.heroscript.conformance:ADAPTER``.

The runner compares plain dicts and lists, so this module turns actions and
parameters into those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .action import Action
from .names import name_fix
from .params import Params
from .paramsparser import parse_params
from .parser import parse_actions
from .playbook import Playbook

# Typed reads the runner may call, mapped to the Params method of the same name.
GETTERS = frozenset(
    {
        "get",
        "get_default",
        "get_int",
        "get_float",
        "get_percentage",
        "get_default_true",
        "get_default_false",
        "get_list",
        "get_list_int",
        "get_storagecapacity_in_bytes",
        "get_time_unix",
        "get_timestamp_seconds",
    }
)


def _action_dict(action: Action) -> dict[str, Any]:
    return {
        "actor": action.actor,
        "name": action.name,
        "type": action.type.value,
        "params": action.params.as_dict(),
        "args": list(action.params.args),
        "comments": action.comments,
    }


def _getter(params: Params) -> Callable[..., Any]:
    def get(method: str, key: str, default: Any = None) -> Any:
        if method not in GETTERS:
            raise ValueError(
                f"unknown getter {method!r}, expected one of: {', '.join(sorted(GETTERS))}"
            )
        read = getattr(params, method)
        return read(key) if default is None else read(key, default)

    return get


class ConformanceAdapter:
    """The functions the conformance runner calls, backed by this package."""

    @staticmethod
    def parse(text: str) -> list[dict[str, Any]]:
        """Return the actions of a playbook text as dicts, in document order."""
        return [_action_dict(action) for action in parse_actions(text)]

    @staticmethod
    def parse_params(text: str) -> dict[str, Any]:
        """Return ``{"params", "args", "get"}`` for a parameter text."""
        params = parse_params(text)
        return {
            "params": params.as_dict(),
            "args": list(params.args),
            "get": _getter(params),
        }

    @staticmethod
    def find(text: str, filter: str) -> list[str]:
        """Return ``actor.name`` of each action the filter selects, in document order."""
        return [action.key for action in Playbook(text).find(filter)]

    @staticmethod
    def name_fix(text: str) -> str:
        """Return the cleaned name."""
        return name_fix(text)

    @staticmethod
    def replace(text: str, mapping: Mapping[str, str]) -> dict[str, str]:
        """Return the parameters of ``text`` after filling ``{NAME}`` from ``mapping``."""
        params = parse_params(text)
        params.replace(mapping)
        return params.as_dict()


ADAPTER = ConformanceAdapter()
