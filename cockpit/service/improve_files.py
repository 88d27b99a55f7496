"""The improvement files: chaos experiments, toil inventories and capacity models, from the folders under
``chaos_dirs``, ``toil_dirs`` and ``capacity_dirs`` (or ``COCKPIT_CHAOS_DIRS`` …), checked with
file:line:column like SLO files. Writing back (an experiment's results, a new toil item) never loses what the
file held: a file that does not read cleanly is refused, and the new text is written beside it and moved over it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from cockpit.domain import capacity, chaos, toil
from cockpit.domain.shapes import Issue
from cockpit.errors import InvalidInput
from cockpit.yamldoc import Problem, YamlDocument, read_yaml

SUFFIXES = (".yaml", ".yml")
T = TypeVar("T")


@dataclass
class Loaded(Generic[T]):
    items: list[tuple[Path, T]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def expand(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


def _problems(doc: YamlDocument, issues: list[Issue]) -> list[Problem]:
    return [doc.problem(path, message, at_key=message.startswith("unknown")) for path, message in issues]


def load_one(path: Path, validate: Callable[[object], tuple[T | None, list[Issue]]]) -> tuple[T | None, list[Problem]]:
    doc, problems = read_yaml(path)
    if doc is None:
        return None, problems
    made, issues = validate(doc.data)
    problems = [*problems, *_problems(doc, issues)]
    return (None if problems else made), problems


def load(paths: Sequence[Path], validate: Callable[[object], tuple[T | None, list[Issue]]]) -> Loaded[T]:
    loaded: Loaded[T] = Loaded()
    for path in expand(paths):
        loaded.files += 1
        made, problems = load_one(path, validate)
        loaded.problems += problems
        if made is not None:
            loaded.items.append((path, made))
    return loaded


def experiments(paths: Sequence[Path]) -> Loaded[chaos.Experiment]:
    def check(data: object) -> tuple[chaos.Experiment | None, list[Issue]]:
        return chaos.validate(data)

    loaded = load(paths, check)
    loaded.items = [(p, _with_source(e, p)) for p, e in loaded.items]
    return loaded


def _with_source(experiment: chaos.Experiment, path: Path) -> chaos.Experiment:
    from dataclasses import replace

    return replace(experiment, source=str(path))


def toil_inventories(paths: Sequence[Path]) -> Loaded[toil.ToilInventory]:
    return load(paths, toil.validate)


def capacity_models(paths: Sequence[Path]) -> Loaded[capacity.CapacityModel]:
    loaded = load(paths, capacity.validate)
    seen: dict[str, Path] = {}
    kept = []
    for path, model in loaded.items:
        if model.service in seen:
            loaded.problems.append(Problem(str(path), 1, 1, "service", f"the service {model.service} also has a "
                                                                       f"capacity model in {seen[model.service]}"))
            continue
        seen[model.service] = path
        kept.append((path, model))
    loaded.items = kept
    return loaded


def folders(kind: str, configured: Sequence[Path]) -> list[Path]:
    """``COCKPIT_<KIND>_DIRS`` (``:``-separated) when set, else the config file's ``<kind>_dirs``."""
    env = os.environ.get(f"COCKPIT_{kind.upper()}_DIRS", "").strip()
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    return list(configured)


# --- writing back ---------------------------------------------------------------------------
def _replace_file(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.cockpit-new")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _read_clean(path: Path, what: str) -> tuple[YamlDocument, str]:
    doc, problems = read_yaml(path)
    if doc is None or problems:
        first = problems[0] if problems else f"{path}: unreadable"
        raise InvalidInput(f"{first}; fix the {what} file first, nothing was written.")
    return doc, path.read_text(encoding="utf-8")


def write_results(path: Path, results: chaos.Results) -> None:
    """Put ``results`` into the experiment file: the ``results:`` block is replaced when it is the experiment's
    last field (as the templates write it), else appended as the last field; comments elsewhere are kept."""
    doc, text = _read_clean(path, "experiment")
    made, issues = chaos.validate(doc.data)
    if made is None:
        raise InvalidInput(f"{_problems(doc, issues)[0]}; fix the experiment file first, nothing was written.")
    wrapped = isinstance(doc.data, dict) and set(doc.data) == {"experiment"}
    body: Any = doc.data["experiment"] if wrapped else doc.data
    prefix: tuple[Any, ...] = ("experiment",) if wrapped else ()
    indent = "  " if wrapped else ""
    lines = text.splitlines()
    keys = list(body)
    if "results" in keys:
        if keys[-1] != "results":
            raise InvalidInput(f"{path}: results is not the experiment's last field; move it to the end so the "
                               "cockpit can write it, nothing was written.")
        line, _ = doc.where((*prefix, "results", "__key__"))
        lines = lines[: line - 1]
        while lines and not lines[-1].strip():
            lines.pop()
    new = "\n".join([*lines, *chaos.results_yaml(results, indent)]) + "\n"
    check_doc, problems = _parse(new, str(path))
    if check_doc is None or problems or chaos.validate(check_doc.data)[0] is None:
        raise InvalidInput(f"{path}: the results could not be written without breaking the file; nothing was "
                           "written.")
    _replace_file(path, new)


def _parse(text: str, name: str) -> tuple[YamlDocument | None, list[Problem]]:
    from cockpit.yamldoc import parse_yaml

    return parse_yaml(text, name)


def add_toil_item(path: Path, item: toil.ToilItem, team: str = "", team_hours: float | None = None) -> None:
    """Append ``item`` to the toil file's ``items`` (a new file is created for ``team``)."""
    if not path.exists():
        if not team:
            raise InvalidInput(f"{path} does not exist: give --team to start a new toil inventory there.")
        head = [f"team: {team}"] + ([f"team_hours_per_month: {team_hours:g}"] if team_hours else []) + ["items:"]
        text = "\n".join(head) + "\n"
    else:
        doc, text = _read_clean(path, "toil")
        inventory, issues = toil.validate(doc.data)
        if inventory is None:
            raise InvalidInput(f"{_problems(doc, issues)[0]}; fix the toil file first, nothing was written.")
        if any(i.name.casefold() == item.name.casefold() for i in inventory.items):
            raise InvalidInput(f"The toil item '{item.name}' is already in {path}.")
        assert isinstance(doc.data, dict)
        keys = list(doc.data)
        if keys[-1] != "items":
            raise InvalidInput(f"{path}: items is not the file's last field; move it to the end so the cockpit can "
                               "append to it, nothing was written.")
        if doc.data.get("items") in ([], None) or not isinstance(doc.data.get("items"), list):
            line, _ = doc.where(("items", "__key__"))
            text = "\n".join([*text.splitlines()[: line - 1], "items:"]) + "\n"
        elif not text.endswith("\n"):
            text += "\n"
    new = text + "\n".join(toil.item_yaml(item)) + "\n"
    check_doc, problems = _parse(new, str(path))
    if check_doc is None or problems or toil.validate(check_doc.data)[0] is None:
        raise InvalidInput(f"{path}: the item could not be appended without breaking the file; nothing was written.")
    if path.exists():
        _replace_file(path, new)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new, encoding="utf-8")
