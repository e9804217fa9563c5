"""Name cleaning as herolib's ``texttools.name_fix`` does it.

Actors, action names and parameter keys are compared in this cleaned form.
"""

from __future__ import annotations

from .text import V_WHITESPACE

# Characters that become ``_``. Other characters outside a-z, 0-9 and ``_`` are dropped.
_SEPARATORS = frozenset("-;:. ")


def _file_extension(name: str) -> str:
    """Return the extension without its dot, the way V's ``os.file_ext`` finds it.

    Only the part after the last ``/`` counts. A name shorter than three bytes, a name
    that starts with its only dot and a name that ends in a dot have no extension.
    """
    if len(name.encode("utf-8")) < 3:
        return ""
    base = name.rpartition("/")[2]
    position = base.rfind(".")
    if position <= 0 or position + 1 >= len(base):
        return ""
    return base[position + 1 :]


def name_fix(name: str) -> str:
    """Clean a name: lower case, ASCII letters and digits, runs of ``_`` collapsed.

    The text after a ``#`` is dropped. Characters from ``-;:. `` become ``_`` unless
    the character before them was ``_``, and every other character outside a-z, 0-9
    and ``_`` is dropped. The part after the last dot is taken as a file extension
    and kept unchanged, so ``Report.Final.PDF`` becomes ``report_final.pdf``.

    Parameters
    ----------
    name
        Any text.

    Returns
    -------
    str
        The cleaned name, possibly empty.

    Notes
    -----
    herolib compares with the previous *input* character, so ``a--b`` gives ``a__b``
    while ``a__b`` gives ``a_b``, and this function keeps that behaviour.
    """
    cleaned = name.lower().strip(V_WHITESPACE)
    cleaned = cleaned.partition("#")[0]
    extension = _file_extension(cleaned)
    if extension:
        cleaned = cleaned[: len(cleaned) - len(extension) - 1]
    output: list[str] = []
    previous = ""
    for char in cleaned:
        if char == "_" or char in _SEPARATORS:
            if previous != "_":
                output.append("_")
        elif "a" <= char <= "z" or "0" <= char <= "9":
            output.append(char)
        else:
            continue
        previous = char
    result = "".join(output)
    if extension:
        result += "." + extension
    return result


def name_fix_no_underscore(name: str) -> str:
    """Return :func:`name_fix` of ``name`` with every ``_`` removed."""
    return name_fix(name).replace("_", "")
