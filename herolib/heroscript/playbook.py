"""A playbook: the actions of one or more HeroScript texts, files or folders, in order.

:meth:`Playbook.add` also carries out the two core actions that shape the playbook
itself, the way herolib's ``play_core`` does:

``!!play.include path:FILE_OR_FOLDER``
    Reads the file, or every ``*.md``, ``*.hero`` and ``*.heroscript`` below the folder,
    and puts its actions right after the include. A relative path is taken from the
    folder of the including file (or the current folder for plain text). Including a
    file that is still being read is a cycle and raises, and including it again later
    is skipped.

``!!session.env_set key:NAME value:TEXT`` (``val:`` works too)
    Sets NAME for the rest of the playbook: ``{NAME}`` in the parameters of every later
    action is filled in. ``!!session.env_set_once`` sets NAME only if it is unset.

Both kinds of action are marked done.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from .action import DEFAULT_PRIORITY, Action
from .errors import HeroScriptError, UnhandledActionsError
from .filters import matches_filter
from .names import name_fix
from .parser import parse_actions
from .serialize import actions_to_heroscript

PLAYBOOK_SUFFIXES = (".md", ".hero", ".heroscript")
# herolib's filtersort keeps priorities up to 49 for filters and gives the rest 50.
MAX_FILTER_PRIORITY = 49
REMAINDER_PRIORITY = 50


def apply_text_replacements(text: str, replace: Mapping[str, str]) -> str:
    """Replace placeholders in raw text before parsing, as herolib's ``add(replace:)`` does.

    A key starting with ``@``, ``$``, ``[`` or ``{`` is replaced literally. Any other
    key replaces ``@KEY``, ``${KEY}`` and ``{KEY}``.
    """
    for key, value in replace.items():
        if key.startswith(("@", "$", "[", "{")):
            text = text.replace(key, value)
        else:
            text = text.replace(f"@{key}", value)
            text = text.replace("${" + key + "}", value)
            text = text.replace("{" + key + "}", value)
    return text


def _playbook_files(folder: Path) -> list[Path]:
    """Return the ``*.md``, then ``*.hero``, then ``*.heroscript`` files below ``folder``."""
    # NOTE: herolib lists files in directory order. Sorting them here is a choice made
    # for reproducible playbooks, and so is skipping hidden files.
    found: list[Path] = []
    for suffix in PLAYBOOK_SUFFIXES:
        for path in sorted(folder.rglob(f"*{suffix}")):
            relative = path.relative_to(folder)
            if path.is_file() and not any(
                part.startswith(".") for part in relative.parts
            ):
                found.append(path)
    return found


class Playbook:
    """Actions in document order, with filters, priorities and a done check.

    Parameters
    ----------
    text
        HeroScript or Markdown text to add right away, or a path (``os.PathLike``).
    path
        A file or folder to add right away.
    priority
        Priority of the added actions.
    replace
        Raw-text replacements, see :func:`apply_text_replacements`.
    """

    def __init__(
        self,
        text: str | os.PathLike[str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        priority: int = DEFAULT_PRIORITY,
        replace: Mapping[str, str] | None = None,
    ) -> None:
        self.actions: list[Action] = []
        self.env: dict[str, str] = {}
        self.path: Path | None = None
        self._included: set[Path] = set()
        if text is not None or path is not None:
            self.add(text, path=path, priority=priority, replace=replace)

    # -- loading -----------------------------------------------------------------

    def add(
        self,
        text: str | os.PathLike[str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        priority: int = DEFAULT_PRIORITY,
        replace: Mapping[str, str] | None = None,
    ) -> list[Action]:
        """Parse text, a file or a folder and append its actions.

        Includes are expanded in place and ``session.env_set`` values fill the
        ``{NAME}`` placeholders of the actions after them (see the module docstring).

        Parameters
        ----------
        text
            HeroScript or Markdown text, or a path given as ``os.PathLike``.
        path
            A file, or a folder whose ``*.md``, ``*.hero`` and ``*.heroscript`` files are
            read (Markdown first).
        priority
            Priority of the new actions.
        replace
            Raw-text replacements applied before parsing, also to included files.

        Returns
        -------
        list[Action]
            The new actions, includes and env settings among them.

        Raises
        ------
        HeroScriptError
            For a parse error, a missing path or an include cycle.
        """
        if isinstance(text, os.PathLike):
            text, path = None, text
        replacements = dict(replace or {})
        saved = (len(self.actions), dict(self.env), set(self._included), self.path)
        try:
            if path is not None:
                target = Path(path).resolve()
                if self.path is None:
                    self.path = target
                self._load_path(target, priority, replacements, [], None)
            else:
                base = Path.cwd() if self.path is None else self._folder_of(self.path)
                self._load_text(text or "", None, base, priority, replacements, [])
        except BaseException:
            # Leave the playbook as it was before this call.
            count, self.env, self._included, self.path = saved
            del self.actions[count:]
            raise
        return self.actions[saved[0] :]

    @staticmethod
    def _folder_of(path: Path) -> Path:
        return path if path.is_dir() else path.parent

    def _load_path(
        self,
        target: Path,
        priority: int,
        replace: dict[str, str],
        stack: list[Path],
        include: Action | None,
    ) -> None:
        line, text, source = 0, str(target), None
        if include is not None:
            line, source = include.line, include.source
            raw_path = include.params.get_default("path", "")
            text = f"{include.type.bangs}{include.key} path:{raw_path}"
        if not target.exists():
            raise HeroScriptError(f"path not found: {target}", line, text, source)
        files = _playbook_files(target) if target.is_dir() else [target]
        for file in files:
            if file in stack:
                chain = " -> ".join(str(item) for item in [*stack, file])
                raise HeroScriptError(f"include cycle: {chain}", line, text, source)
            try:
                content = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                message = f"cannot read {file} as UTF-8 text: {error}"
                raise HeroScriptError(message, line, text, source) from error
            self._load_text(
                content, str(file), file.parent, priority, replace, [*stack, file]
            )

    def _load_text(
        self,
        text: str,
        source: str | None,
        base: Path,
        priority: int,
        replace: dict[str, str],
        stack: list[Path],
    ) -> None:
        if replace:
            text = apply_text_replacements(text, replace)
        for action in parse_actions(text, source=source, priority=priority):
            self._append(action)
            if action.actor == "play" and action.name == "include":
                self._include(action, base, priority, replace, stack)

    def _include(
        self,
        action: Action,
        base: Path,
        priority: int,
        replace: dict[str, str],
        stack: list[Path],
    ) -> None:
        action.done = True
        raw = action.params.get_default("path", "")
        if raw == "":
            # NOTE: herolib can also include a git repository (git_url:), which is not supported.
            raise HeroScriptError(
                "play.include needs path:FILE_OR_FOLDER (git_url is not supported)",
                action.line,
                action.key,
                action.source,
            )
        target = (base / raw).resolve()
        if target in self._included and target not in stack:
            return
        self._included.add(target)
        self._load_path(target, priority, replace, stack, action)

    def _append(self, action: Action) -> None:
        action.id = len(self.actions) + 1
        self.actions.append(action)
        if action.actor == "session" and action.name in ("env_set", "env_set_once"):
            self._set_env(action)
        elif self.env:
            action.params.replace(
                {name_fix(key): value for key, value in self.env.items()}
            )

    def _set_env(self, action: Action) -> None:
        params = action.params
        key = params.get("key")
        value = params.get("val") if params.exists("val") else params.get("value")
        if action.name == "env_set" or key not in self.env:
            self.env[key] = value
        action.done = True

    # -- selecting -----------------------------------------------------------------

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def find(self, filter: str = "", *, include_done: bool = False) -> list[Action]:
        """Return the actions selected by ``filter`` in document order.

        Parameters
        ----------
        filter
            Comma-separated ``actor.name`` items with optional globs, see :mod:`~.filters`.
        include_done
            Also return actions already marked done.

        Returns
        -------
        list[Action]
            The matching actions.
        """
        return [
            action
            for action in self.actions
            if (include_done or not action.done) and matches_filter(action, filter)
        ]

    def exists(self, filter: str) -> bool:
        """Return whether any action not yet done matches ``filter``."""
        return bool(self.find(filter))

    def get(self, filter: str) -> Action:
        """Return the one action not yet done that matches ``filter``.

        Raises
        ------
        LookupError
            When no action or more than one matches.
        """
        found = self.find(filter)
        if len(found) != 1:
            keys = ", ".join(f"{action.key} (line {action.line})" for action in found)
            raise LookupError(
                f"expected exactly one action matching {filter!r}, found {len(found)}"
                + (f": {keys}" if keys else "")
            )
        return found[0]

    # -- ordering and completion -------------------------------------------------------

    def actions_sorted(self) -> list[Action]:
        """Return all actions ordered by priority (lowest first), document order within one."""
        return sorted(self.actions, key=lambda action: action.priority)

    def filtersort(self, priorities: Mapping[int, str]) -> list[Action]:
        """Give each filter's priority to the actions it matches and 50 to the rest, then sort.

        Parameters
        ----------
        priorities
            Priority (0 to 49) to filter. An action takes the lowest priority whose
            filter matches it. Actions already done are not matched.

        Returns
        -------
        list[Action]
            All actions, as :meth:`actions_sorted` orders them.

        Raises
        ------
        ValueError
            For a priority above 49.
        """
        for priority in priorities:
            if priority > MAX_FILTER_PRIORITY:
                raise ValueError(
                    f"filter priority {priority} is above {MAX_FILTER_PRIORITY}"
                )
        assigned: set[int] = set()
        for priority in sorted(priorities):
            for action in self.find(priorities[priority]):
                if id(action) not in assigned:
                    action.priority = priority
                    assigned.add(id(action))
        for action in self.actions:
            if id(action) not in assigned:
                action.priority = REMAINDER_PRIORITY
        return self.actions_sorted()

    def pending(self) -> list[Action]:
        """Return the actions not marked done, in priority order."""
        return [action for action in self.actions_sorted() if not action.done]

    def check_done(self) -> None:
        """Raise when an action was not handled.

        Raises
        ------
        UnhandledActionsError
            Listing the leftover actions and their HeroScript.
        """
        leftover = self.pending()
        if leftover:
            raise UnhandledActionsError(leftover, actions_to_heroscript(leftover))

    def to_heroscript(self, *, show_done: bool = False) -> str:
        """Write the actions in priority order, leaving out done ones unless ``show_done``."""
        chosen = [
            action for action in self.actions_sorted() if show_done or not action.done
        ]
        return actions_to_heroscript(chosen)
