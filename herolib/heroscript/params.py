"""The parameters of an action: ``key:value`` pairs, positional arguments and their comments.

Keys are stored lower-cased. A typed getter cleans the key it is given with
:func:`~.names.name_fix` first, as herolib does, so ``get("NAME")`` finds ``name``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from . import convert, timeparse
from .errors import ParamError
from .names import name_fix
from .text import trim_space

_T = TypeVar("_T")

# herolib's ``find_simple_vars``: ``{NAME}`` with NAME of ASCII letters, digits and ``_``.
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")


def normalize_value(text: str) -> str:
    r"""Decode a stored value as herolib's ``str_normalize`` does.

    ``\\n`` (two backslashes and n), ``<<BR>>`` and ``<BR>`` become line breaks,
    ``\'`` becomes ``'`` and the result is trimmed.
    """
    text = text.replace("\\\\n", "\n").replace("\\'", "'")
    text = text.replace("<<BR>>", "\n").replace("<BR>", "\n")
    return trim_space(text)


def normalize_comment(text: str) -> str:
    """Decode a comment like a value and drop the ``-`` of its ``-/`` end marker."""
    return trim_space(normalize_value(text).rstrip("-"))


class Params:
    """Ordered ``key -> value`` parameters and positional arguments of one action.

    Parameters
    ----------
    line
        The source line of the action, used in :class:`~.errors.ParamError` messages.
    source
        The file the action came from, if any.
    """

    def __init__(self, line: int = 0, source: str | None = None) -> None:
        self._values: dict[str, str] = {}
        self._comments: dict[str, str] = {}
        self.args: list[str] = []
        self.arg_comments: dict[str, str] = {}
        self.line = line
        self.source = source

    # -- storing -----------------------------------------------------------------

    def set(self, key: str, value: str, comment: str = "") -> None:
        """Store ``value`` under ``key``, replacing an earlier value, as herolib's ``set`` does.

        The key is lower-cased, trimmed and loses leading ``/``, and the value is decoded
        by :func:`normalize_value`. A key set again moves to the end of the order.
        """
        stored_key = trim_space(key.lower()).lstrip("/")
        self.delete(stored_key)
        self._values[stored_key] = normalize_value(value)
        comment = normalize_comment(comment)
        if comment:
            self._comments[stored_key] = comment

    def set_arg(self, value: str, comment: str = "") -> None:
        """Append a positional argument unless it is already there.

        Like herolib, quotes and spaces around it and leading ``/`` are removed, and the
        argument is skipped when its lower-case form equals a stored argument.
        """
        stored = value.strip(" '").lstrip("/")
        if self.exists_arg(normalize_value(stored)):
            return
        self.args.append(stored)
        comment = normalize_comment(comment)
        if comment:
            self.arg_comments[stored] = comment

    def delete(self, key: str) -> None:
        """Remove ``key`` (compared lower-cased and trimmed) if present."""
        stored_key = trim_space(key.lower())
        self._values.pop(stored_key, None)
        self._comments.pop(stored_key, None)

    def delete_arg(self, value: str) -> None:
        """Remove the positional argument equal to ``value`` lower-cased, if present."""
        target = trim_space(value.lower())
        if target in self.args:
            self.args.remove(target)
            self.arg_comments.pop(target, None)

    # -- reading -----------------------------------------------------------------

    def exists(self, key: str) -> bool:
        """Return whether ``key`` lower-cased and trimmed is stored (herolib's ``exists``)."""
        return trim_space(key.lower()) in self._values

    def exists_arg(self, value: str) -> bool:
        """Return whether ``value`` lower-cased and trimmed is one of the arguments."""
        return trim_space(value.lower()) in self.args

    def as_dict(self) -> dict[str, str]:
        """Return a copy of the stored ``key -> value`` pairs in order."""
        return dict(self._values)

    def comment(self, key: str) -> str:
        """Return the comment attached to ``key``, or ``""``."""
        return self._comments.get(trim_space(key.lower()), "")

    @property
    def comments(self) -> list[str]:
        """Comments attached to arguments, in argument order (herolib's ``Params.comments``)."""
        return [self.arg_comments[arg] for arg in self.args if arg in self.arg_comments]

    def keys(self) -> list[str]:
        """Return the stored keys in order."""
        return list(self._values)

    def empty(self) -> bool:
        """Return whether there are neither parameters nor arguments."""
        return not self._values and not self.args

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.exists(key)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Params):
            return NotImplemented
        return (
            self._values == other._values
            and self._comments == other._comments
            and self.args == other.args
            and self.arg_comments == other.arg_comments
        )

    def __repr__(self) -> str:
        return f"Params({self._values!r}, args={self.args!r})"

    def copy(self) -> Params:
        """Return an independent copy."""
        clone = Params(self.line, self.source)
        clone._values = dict(self._values)
        clone._comments = dict(self._comments)
        clone.args = list(self.args)
        clone.arg_comments = dict(self.arg_comments)
        return clone

    def replace(self, mapping: Mapping[str, str]) -> None:
        """Fill ``{NAME}`` placeholders in every value from ``mapping``.

        NAME is made of ASCII letters, digits and ``_``. It is cleaned with
        :func:`~.names.name_fix` (so lower-cased) before the lookup, but the keys of
        ``mapping`` are used as given. Unknown names stay in the text.
        """
        for key, value in self._values.items():
            for name in _PLACEHOLDER.findall(value):
                cleaned = name_fix(name)
                if cleaned in mapping:
                    value = value.replace("{" + name + "}", mapping[cleaned])
            self._values[key] = value

    # -- typed reads ---------------------------------------------------------------

    def _fail(self, message: str, key: str, text: str) -> ParamError:
        return ParamError(message, key, text, self.line, self.source)

    def get(self, key: str) -> str:
        """Return the value of ``key`` with spaces trimmed.

        Raises
        ------
        ParamError
            When the cleaned key is not stored.
        """
        cleaned = name_fix(key)
        if cleaned not in self._values:
            known = ", ".join(self._values) or "none"
            raise self._fail(f"parameter not found (known keys: {known})", cleaned, key)
        return self._values[cleaned].strip(" ")

    def get_default(self, key: str, default: str) -> str:
        """Return the value of ``key``, or ``default`` when the key is not stored."""
        return self.get(key) if self.exists(key) else default

    def _convert(self, key: str, converter: Callable[[str], _T]) -> _T:
        value = self.get(key)
        try:
            return converter(value)
        except ValueError as error:
            raise self._fail(
                f"parameter {name_fix(key)!r} {error}", name_fix(key), value
            ) from None

    def get_int(self, key: str) -> int:
        """Return the value of ``key`` as a signed 32-bit integer."""
        return self._convert(key, convert.to_int)

    def get_int_default(self, key: str, default: int) -> int:
        """Return :meth:`get_int`, or ``default`` when the key is not stored."""
        return self.get_int(key) if self.exists(key) else default

    def get_float(self, key: str) -> float:
        """Return the value of ``key`` as a float, so ``0.5`` and ``50%`` give 0.5."""
        return self._convert(key, convert.to_float_with_percent)

    def get_float_default(self, key: str, default: float) -> float:
        """Return :meth:`get_float`, or ``default`` when the key is not stored."""
        return self.get_float(key) if self.exists(key) else default

    def get_percentage(self, key: str) -> float:
        """Return a percentage from 0 to 100 as a fraction: ``19`` and ``19%`` give 0.19."""
        return self._convert(key, convert.to_percentage)

    def get_percentage_default(self, key: str, default: str) -> float:
        """Return :meth:`get_percentage`, reading ``default`` when the key is not stored."""
        value = self.get(key) if self.exists(key) else default
        try:
            return convert.to_percentage(value)
        except ValueError as error:
            raise self._fail(
                f"parameter {name_fix(key)!r} {error}", name_fix(key), value
            ) from None

    def get_default_true(self, key: str) -> bool:
        """Return False only when the value is set to something other than empty, 1, true, y, yes.

        The value is cleaned with ``name_fix`` and loses its underscores first, so
        ``Yes`` and ``y_e_s`` count as yes. A missing key counts as empty, so True.
        """
        return convert.is_true_by_default(self.get(key) if self.exists(key) else "")

    def get_default_false(self, key: str) -> bool:
        """Return True only when the value is set to something other than empty, 0, false, n, no."""
        return convert.is_false_by_default(self.get(key) if self.exists(key) else "")

    def get_list(self, key: str) -> list[str]:
        """Return the comma-separated items of ``key`` without brackets, quotes or empty items."""
        return self._convert(key, convert.to_list)

    def get_list_default(self, key: str, default: list[str]) -> list[str]:
        """Return :meth:`get_list`, or ``default`` when the key is not stored."""
        return self.get_list(key) if self.exists(key) else list(default)

    def get_list_namefix(self, key: str) -> list[str]:
        """Return :meth:`get_list` with each item cleaned by :func:`~.names.name_fix`."""
        return self._convert(key, convert.to_name_list)

    def get_list_int(self, key: str) -> list[int]:
        """Return the comma-separated integers of ``key``, which must not have brackets."""
        return self._convert(key, convert.to_int_list)

    def get_list_float(self, key: str) -> list[float]:
        """Return the comma-separated floats of ``key``."""
        return self._convert(key, convert.to_float_list)

    def get_storagecapacity_in_bytes(self, key: str) -> int:
        """Return a size such as ``10GB`` in bytes, counting 1 KB as 1024 bytes."""
        return self._convert(key, convert.to_storage_bytes)

    def get_storagecapacity_in_bytes_default(self, key: str, default: int) -> int:
        """Return :meth:`get_storagecapacity_in_bytes`, or ``default`` for a missing key."""
        return self.get_storagecapacity_in_bytes(key) if self.exists(key) else default

    def get_time_unix(self, key: str, now: float | None = None) -> int:
        """Return an absolute or relative time (see :mod:`~.timeparse`) as unix seconds, UTC."""
        return self._convert(key, lambda value: timeparse.parse_time(value, now))

    def get_time(self, key: str, now: float | None = None) -> datetime.datetime:
        """Return :meth:`get_time_unix` as a timezone-aware UTC datetime."""
        seconds = self.get_time_unix(key, now)
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)

    def get_time_default(
        self, key: str, default: datetime.datetime, now: float | None = None
    ) -> datetime.datetime:
        """Return :meth:`get_time`, or ``default`` when the key is not stored."""
        return self.get_time(key, now) if self.exists(key) else default

    def get_timestamp_seconds(self, key: str) -> int:
        """Return a time of day (``16:21``, ``10AM``, ``8:07PM``) as seconds after midnight."""
        return self._convert(key, timeparse.parse_time_of_day)

    def get_timestamp(self, key: str) -> datetime.timedelta:
        """Return :meth:`get_timestamp_seconds` as a timedelta."""
        return datetime.timedelta(seconds=self.get_timestamp_seconds(key))

    def get_timestamp_default(
        self, key: str, default: datetime.timedelta
    ) -> datetime.timedelta:
        """Return :meth:`get_timestamp`, or ``default`` when the key is not stored."""
        return self.get_timestamp(key) if self.exists(key) else default
