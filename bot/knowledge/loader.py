"""Load and validate the knowledge directory, reporting every problem with file and field."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import KnowledgeError, Problem
from bot.knowledge.schema import (
    Announcement,
    Deadline,
    DeadlinesFile,
    EntriesFile,
    Entry,
    OutOfScopeFile,
    ScopeGroup,
    Source,
    SourcesFile,
    Spelling,
    SynonymGroup,
    SynonymsFile,
)

M = TypeVar("M", bound=BaseModel)

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (several times faster), else the pure-Python one."""

MAX_FILE_BYTES = 2 * 1024 * 1024
"""A knowledge file larger than this is refused unread: parsing one holds the interpreter for seconds."""
_ID_CHARS = 60
"""Longest id quoted in a problem's field path."""


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge: lookups by id, in file order."""

    entries: dict[str, Entry]
    sources: dict[str, Source]
    deadlines: dict[str, Deadline]
    primary_deadline: str
    synonyms: tuple[SynonymGroup, ...]
    version: str
    """A short hash of every file's content: changes whenever the knowledge changes."""
    out_of_scope: tuple[ScopeGroup, ...] = ()
    """What the bot must decline, with a reply per kind of question."""
    starters: tuple[str, ...] = ()
    """Entry ids offered when the bot cannot help."""
    announcements: dict[str, Announcement] = field(default_factory=dict)
    """New developments posted to `updates` subscribers, oldest first."""
    spellings: tuple[Spelling, ...] = ()
    """Chat spellings and nicknames rewritten before matching."""


def _field_path(loc: Iterable[int | str], data: Any) -> str:
    """Turn a pydantic location into a readable path, naming list items by their id where they have one."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            item = node[key]
            ident = str(item.get("id") or "") if isinstance(item, dict) else ""
            ident = ident if len(ident) <= _ID_CHARS else ident[:_ID_CHARS] + "…"
            parts.append(f"[{key}]" + (f"(id={ident})" if ident else ""))
            node = item
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(file)"


def _read_capped(path: Path) -> bytes | None:
    """The file's bytes; None when it is larger than MAX_FILE_BYTES (only that much is ever read)."""
    with path.open("rb") as file:
        raw = file.read(MAX_FILE_BYTES + 1)
    return raw if len(raw) <= MAX_FILE_BYTES else None


def _read(path: Path, root: Path, model: type[M], problems: list[Problem], digest: Any) -> M | None:
    rel = path.relative_to(root).as_posix()
    try:
        raw = _read_capped(path)
        if raw is None:
            limit = f"{MAX_FILE_BYTES / 2**20:g} MB"
            problems.append(Problem(rel, "(file)", f"larger than {limit}: split it into several files"))
            return None
        digest.update(rel.encode() + b"\0" + raw)
        data = yaml.load(raw.decode("utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(rel, "(file)", f"cannot read: {exc}".replace("\n", " ")))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(Problem(rel, _field_path(err["loc"], data), err["msg"]))
        return None


def _read_optional(path: Path, root: Path, model: type[M], problems: list[Problem], digest: Any) -> M | None:
    return _read(path, root, model, problems, digest) if path.is_file() else None


def load_knowledge(root: Path) -> KnowledgeBase:
    """Load everything under `root`; raise KnowledgeError listing every problem found."""
    problems: list[Problem] = []
    digest = hashlib.sha256()
    if not root.is_dir():
        raise KnowledgeError([Problem(str(root), "(dir)", "knowledge directory not found")])

    sources: dict[str, Source] = {}
    source_file: dict[str, str] = {}
    url_owner: dict[str, str] = {}
    for path in sorted((root / "sources").glob("*.yaml")):
        parsed = _read(path, root, SourcesFile, problems, digest)
        for src in parsed.sources if parsed else []:
            rel = path.relative_to(root).as_posix()
            first = url_owner.setdefault(str(src.url), src.id)
            if first != src.id:
                problems.append(Problem(rel, f"sources(id={src.id}).url", f"same URL as source {first}: cite that id"))
            if src.id in sources:
                problems.append(Problem(rel, f"sources(id={src.id})", f"duplicate id, first in {source_file[src.id]}"))
            sources[src.id] = src
            source_file[src.id] = rel

    entries: dict[str, Entry] = {}
    entry_file: dict[str, str] = {}
    entry_paths = sorted((root / "entries").glob("*.yaml"))
    if not entry_paths:
        problems.append(Problem("entries/", "(dir)", "no entry files found"))
    for path in entry_paths:
        parsed_entries = _read(path, root, EntriesFile, problems, digest)
        for entry in parsed_entries.entries if parsed_entries else []:
            rel = path.relative_to(root).as_posix()
            if entry.id in entries:
                problems.append(
                    Problem(rel, f"entries(id={entry.id})", f"duplicate id, first in {entry_file[entry.id]}")
                )
            entries[entry.id] = entry
            entry_file[entry.id] = rel

    primary, deadlines, announcements = _read_deadlines(root, problems, digest)

    parsed_synonyms = _read_optional(root / "synonyms.yaml", root, SynonymsFile, problems, digest)
    synonyms = tuple(parsed_synonyms.synonyms) if parsed_synonyms else ()
    spellings = tuple(parsed_synonyms.spellings) if parsed_synonyms else ()
    scope = _read_optional(root / "out_of_scope.yaml", root, OutOfScopeFile, problems, digest) or OutOfScopeFile(
        groups=[]
    )
    problems.extend(
        Problem("out_of_scope.yaml", "starters", f"unknown entry id {sid!r}")
        for sid in scope.starters
        if sid not in entries
    )

    problems.extend(_cross_check(entries, entry_file, sources, deadlines))
    problems.extend(_check_announcements(announcements, sources, deadlines))
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(
        entries=entries,
        sources=sources,
        deadlines=deadlines,
        primary_deadline=primary,
        synonyms=synonyms,
        spellings=spellings,
        version=digest.hexdigest()[:12],
        out_of_scope=tuple(scope.groups),
        starters=tuple(scope.starters),
        announcements=dict(sorted(announcements.items(), key=lambda item: (item[1].date, item[0]))),
    )


def _read_deadlines(
    root: Path, problems: list[Problem], digest: Any
) -> tuple[str, dict[str, Deadline], dict[str, Announcement]]:
    """deadlines.yaml: the primary deadline's id, the deadlines and the announcements, by id."""
    deadlines: dict[str, Deadline] = {}
    announcements: dict[str, Announcement] = {}
    deadline_path = root / "deadlines.yaml"
    if not deadline_path.is_file():
        problems.append(Problem("deadlines.yaml", "(file)", "missing"))
        return "", deadlines, announcements
    parsed = _read(deadline_path, root, DeadlinesFile, problems, digest)
    if parsed is None:
        return "", deadlines, announcements
    for dl in parsed.deadlines:
        if dl.id in deadlines:
            problems.append(Problem("deadlines.yaml", f"deadlines(id={dl.id})", "duplicate id"))
        deadlines[dl.id] = dl
    if parsed.primary not in deadlines:
        problems.append(Problem("deadlines.yaml", "primary", f"unknown deadline id {parsed.primary!r}"))
    for ann in parsed.announcements:
        if ann.id in announcements:
            problems.append(Problem("deadlines.yaml", f"announcements(id={ann.id})", "duplicate id"))
        announcements[ann.id] = ann
    return parsed.primary, deadlines, announcements


def _cross_check(
    entries: dict[str, Entry], entry_file: dict[str, str], sources: dict[str, Source], deadlines: dict[str, Deadline]
) -> list[Problem]:
    """Every id an entry or deadline refers to must exist, and no question may belong to two entries."""
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for entry in entries.values():
        for question in (*entry.questions.en, *entry.questions.zh):
            key = question.casefold().strip(" ?？!！.。")
            first = owner.setdefault(key, entry.id)
            if first != entry.id:
                problems.append(
                    Problem(
                        entry_file[entry.id],
                        f"entries(id={entry.id}).questions",
                        f"{question!r} is also a question of entry {first}: the matcher cannot tell them apart",
                    )
                )
    for entry in entries.values():
        rel = entry_file[entry.id]
        where = f"entries(id={entry.id})"
        problems.extend(
            Problem(rel, f"{where}.sources", f"unknown source id {sid!r}")
            for sid in entry.sources
            if sid not in sources
        )
        problems.extend(
            Problem(rel, f"{where}.related", f"unknown entry id {rid!r}")
            for rid in entry.related
            if rid not in entries or rid == entry.id
        )
        if entry.countdown and entry.countdown not in deadlines:
            problems.append(Problem(rel, f"{where}.countdown", f"unknown deadline id {entry.countdown!r}"))
    for dl in deadlines.values():
        problems.extend(
            Problem("deadlines.yaml", f"deadlines(id={dl.id}).sources", f"unknown source id {sid!r}")
            for sid in dl.sources
            if sid not in sources
        )
    return problems


def _check_announcements(
    announcements: dict[str, Announcement], sources: dict[str, Source], deadlines: dict[str, Deadline]
) -> list[Problem]:
    """Every source and deadline an announcement names must exist."""
    problems: list[Problem] = []
    for ann in announcements.values():
        where = f"announcements(id={ann.id})"
        problems.extend(
            Problem("deadlines.yaml", f"{where}.sources", f"unknown source id {sid!r}")
            for sid in ann.sources
            if sid not in sources
        )
        if ann.deadline and ann.deadline not in deadlines:
            problems.append(Problem("deadlines.yaml", f"{where}.deadline", f"unknown deadline id {ann.deadline!r}"))
    return problems
