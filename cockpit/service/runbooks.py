"""The runbook library: files from folders, strict validation with file:line:column, duplicate ids, lookup."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from cockpit.domain.runbook import Runbook, suggest, validate
from cockpit.errors import NotFound
from cockpit.yamldoc import Problem, format_path, read_yaml

RUNBOOK_SUFFIXES = (".yaml", ".yml")


def default_id(path: Path) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in path.stem.lower()).strip("-")
    return stem or "runbook"


def load_runbook(path: Path, display: str | None = None) -> tuple[Runbook | None, list[Problem]]:
    """One runbook file, checked: syntax (safe YAML only), then the schema. Every problem is returned."""
    runbook, problems, _ = _load(path, display)
    return runbook, problems


def _load(path: Path, display: str | None) -> tuple[Runbook | None, list[Problem], tuple[int, int]]:
    name = display or str(path)
    doc, problems = read_yaml(path, name)
    if doc is None:  # show "last_updated", not "runbook.last_updated", as the schema's problems do
        return None, [_unwrapped(p) for p in problems], (1, 1)
    runbook, issues = validate(doc.data, default_id(path), source=name)
    wrapped = isinstance(doc.data, dict) and "runbook" in doc.data
    for issue_path, message in issues:
        problem = doc.problem(issue_path, message, at_key=message.startswith("unknown"))
        if wrapped and issue_path[:1] == ("runbook",):  # show "diagnosis[2].expected", not "runbook.diagnosis..."
            problem = replace(problem, field=format_path(issue_path[1:]))
        problems.append(problem)
    id_at = doc.where(("runbook", "id") if wrapped else ("id",))
    if problems:
        return None, problems, id_at
    return runbook, [], id_at


def _unwrapped(problem: Problem) -> Problem:
    return replace(problem, field=problem.field.removeprefix("runbook.")) if problem.field != "runbook" else problem


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders become their *.yaml / *.yml files, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in RUNBOOK_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


@dataclass
class Library:
    runbooks: list[Runbook] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    def get(self, runbook_id: str) -> Runbook:
        for book in self.runbooks:
            if book.id == runbook_id:
                return book
        matches = [b for b in self.runbooks if b.id.startswith(runbook_id)]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(b.id for b in self.runbooks) or "none loaded"
        raise NotFound(f"No runbook '{runbook_id}' in the library (known: {known}).")

    def suggest(self, services: Sequence[str], texts: Sequence[str]) -> list[Runbook]:
        return suggest(self.runbooks, services, texts)


def load_library(paths: Iterable[Path]) -> Library:
    """Every runbook under ``paths``; duplicate ids across the library are problems too."""
    library = Library()
    first_seen: dict[str, tuple[str, int]] = {}
    for path in expand(paths):
        if not path.exists():
            library.problems.append(Problem(str(path), 1, 1, "", "no such file or folder"))
            continue
        library.files += 1
        runbook, problems, (line, column) = _load(path, None)
        library.problems.extend(problems)
        if runbook is None:
            continue
        if runbook.id in first_seen:
            other_file, other_line = first_seen[runbook.id]
            library.problems.append(Problem(str(path), line, column, "id",
                                            f"duplicate id '{runbook.id}' (also in {other_file}:{other_line})"))
            continue
        first_seen[runbook.id] = (str(path), line)
        library.runbooks.append(runbook)
    library.runbooks.sort(key=lambda b: b.id)
    order = {name: i for i, name in enumerate(dict.fromkeys(p.file for p in library.problems))}
    library.problems.sort(key=lambda p: (order[p.file], p.line, p.column))
    return library


def library_folders(configured: Sequence[Path]) -> list[Path]:
    """Folders to read: ``COCKPIT_RUNBOOK_DIRS`` (path-separated) if set, else the config's runbook_dirs."""
    env = os.environ.get("COCKPIT_RUNBOOK_DIRS", "").strip()
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return list(configured)
