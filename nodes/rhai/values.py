"""Python types for Rhai values that have no exact Python counterpart.

`nodes._rhai` imports `Char` from here on first use, so this module must not import
`nodes._rhai` itself.
"""

from __future__ import annotations


class Char(str):
    """A Rhai char: a str of exactly one character (one Unicode code point).

    A Rhai char converts to a `Char`, and a `Char` converts back to a Rhai char. A plain
    one-letter str still converts to a Rhai string.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Char:
        if not isinstance(value, str):
            raise TypeError(f"Char() needs a str, got {type(value).__name__} {value!r}")
        if len(value) != 1:
            raise ValueError(
                f"Char() needs exactly one character, got {len(value)} in {value!r}"
            )
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"Char({str.__repr__(self)})"

    def __reduce__(self) -> tuple[type[Char], tuple[str]]:
        return (Char, (str(self),))


__all__ = ["Char"]
