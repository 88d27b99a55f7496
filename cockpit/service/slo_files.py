"""The SLO library: files from the folders under ``slo_dirs``, checked with file:line:column like runbooks."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.domain.slo_spec import SloDefinition, validate
from cockpit.yamldoc import Problem, read_yaml

SLO_SUFFIXES = (".yaml", ".yml")


@dataclass
class SloLibrary:
    slos: list[SloDefinition] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # errors: the file's SLOs are not used
    warnings: list[Problem] = field(default_factory=list)
    files: int = 0

    def for_services(self, services: Iterable[str]) -> list[SloDefinition]:
        wanted = set(services)
        return [s for s in self.slos if s.service in wanted]

    def find(self, key: str) -> SloDefinition | None:
        return next((s for s in self.slos if s.key == key), None)


def expand(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in SLO_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


def load_file(path: Path, display: str | None = None) -> tuple[list[SloDefinition], list[Problem], list[Problem]]:
    """One SLO file: its SLOs (none when it has an error), its errors and its warnings."""
    name = display or str(path)
    doc, problems = read_yaml(path, name)
    if doc is None:
        return [], problems, []
    made, issues = validate(doc.data, source=name)
    errors: list[Problem] = list(problems)
    warnings: list[Problem] = []
    for issue_path, message in issues:
        problem = doc.problem(issue_path, message, at_key=message.startswith("unknown"))
        (warnings if message.startswith("warning:") else errors).append(problem)
    if errors or made is None:
        return [], errors, warnings
    return made.slos, [], warnings


def load_library(paths: Sequence[Path]) -> SloLibrary:
    library = SloLibrary()
    where: dict[str, str] = {}
    for path in expand(paths):
        library.files += 1
        slos, errors, warnings = load_file(path)
        library.problems += errors
        library.warnings += warnings
        for slo in slos:
            if slo.key in where:
                library.problems.append(Problem(str(path), 1, 1, "", f"the SLO {slo.key} is also defined in "
                                                                     f"{where[slo.key]}; keep one"))
                continue
            where[slo.key] = str(path)
            library.slos.append(slo)
    return library


def slo_folders(configured: Sequence[Path]) -> list[Path]:
    """``COCKPIT_SLO_DIRS`` (``:``-separated) when set, else the config file's ``slo_dirs``."""
    env = os.environ.get("COCKPIT_SLO_DIRS", "").strip()
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    return list(configured)


class CachedLibrary:
    """The library, read again only when a file in its folders changed (the background refresh asks every
    round; parsing fifty files each time would cost the screen for nothing)."""

    def __init__(self) -> None:
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._library = SloLibrary()

    def get(self, folders: Sequence[Path]) -> SloLibrary:
        files = expand(folders)
        signature = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                stat = None
            signature.append((str(path), stat.st_mtime_ns if stat else 0, stat.st_size if stat else -1))
        key = tuple(signature)
        if key != self._signature:
            self._library, self._signature = load_library(folders), key
        return self._library
