"""Exceptions shared by every part of Hero Notebook.

::

    HeroError
    ├── InvalidJobError        a job definition is malformed
    ├── ProtocolError          a ZeroMQ message does not follow the schema
    └── CoordinatorError       the coordinator rejected a request or failed it
        └── CoordinatorUnreachable   no reply from the coordinator in time
"""

from __future__ import annotations


class HeroError(Exception):
    """Base class of every Hero Notebook error."""


class InvalidJobError(HeroError, ValueError):
    """A job definition is malformed; the message names the field and the value."""


class ProtocolError(HeroError, ValueError):
    """A message on the wire does not follow the schema in :mod:`herolib.protocol`."""


class CoordinatorError(HeroError):
    """The coordinator rejected a request or could not carry it out."""


class CoordinatorUnreachable(CoordinatorError, TimeoutError):
    """The coordinator did not reply in time; the message names its address."""
