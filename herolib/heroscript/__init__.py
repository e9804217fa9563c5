"""HeroScript: the action language of herolib, read the way herolib (V) reads it.

A playbook is text, often Markdown, with actions such as::

    !!node.define name:web1 cpus:4
        memory:8GB
        // shown in the dashboard
        description:'front end'

:class:`Playbook` collects the actions of texts, files and folders, expands
``!!play.include`` and applies ``!!session.env_set``. :func:`parse_actions` and
:func:`parse_params` only parse. :class:`Params` offers herolib's typed reads
(``get_int``, ``get_list``, ``get_time_unix``, ...).

Exceptions::

    HeroError (herolib.errors)
    └── HeroScriptError        invalid HeroScript (also a ValueError)
        ├── ParamError         a typed parameter read failed
        └── UnhandledActionsError   Playbook.check_done() found actions not done

Every HeroScriptError has ``line``, ``text``, ``source`` and ``message``.
ParamError adds ``key`` and UnhandledActionsError adds ``actions``.

:meth:`Playbook.get` raises ``LookupError`` when not exactly one action matches, and
:meth:`Playbook.filtersort` raises ``ValueError`` for a priority above 49.
"""

from .action import Action, ActionType
from .errors import HeroScriptError, ParamError, UnhandledActionsError
from .filters import match_glob, matches_filter, parse_filter
from .names import name_fix, name_fix_no_underscore
from .params import Params
from .paramsparser import parse_params
from .parser import parse_actions
from .playbook import Playbook
from .serialize import action_to_heroscript, actions_to_heroscript

__all__ = [
    "Action",
    "ActionType",
    "HeroScriptError",
    "ParamError",
    "Params",
    "Playbook",
    "UnhandledActionsError",
    "action_to_heroscript",
    "actions_to_heroscript",
    "match_glob",
    "matches_filter",
    "name_fix",
    "name_fix_no_underscore",
    "parse_actions",
    "parse_filter",
    "parse_params",
]
