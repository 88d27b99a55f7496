"""What every file checker shares (runbooks, SLO files, the improvement templates): a problem is a field path
and a message; unknown fields get a "did you mean"; types are named as a person reads them. Pure."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

Path_ = tuple[str | int, ...]
Issue = tuple[Path_, str]


def type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true/false", type(None): "empty"}.get(type(value), type(value).__name__)


def unknown_field(key: object, known: set[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(known))})"
    return f"unknown field{hint}"


class BaseChecker:
    """Collects problems; ``none_is_missing``: a required field left empty (``key:``) counts as missing."""

    none_is_missing = True
    blank_is_missing = False  # a required field given as "" counts as missing too

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, path: Path_, message: str) -> None:
        self.issues.append((path, message))

    def mapping(self, value: object, path: Path_, what: str) -> Mapping[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, f"must be {what} (a mapping of fields), not {type_name(value)}")
            return None
        return value

    def keys(self, data: Mapping[str, Any], path: Path_, known: set[str], required: Sequence[str] = ()) -> None:
        for key in data:
            if key not in known:
                self.add((*path, str(key)), unknown_field(key, known))
        for key in required:
            value = data.get(key)
            if key not in data or (self.none_is_missing and value is None) or (self.blank_is_missing and value == ""):
                self.add((*path, key), "this field is required")

    def table(self, value: object, path: Path_, what: str, known: set[str],
              required: Sequence[str] = ()) -> Mapping[str, Any] | None:
        """A mapping whose keys come from ``known`` (a problem for each unknown or missing one); None if not one."""
        found = self.mapping(value, path, what)
        if found is not None:
            self.keys(found, path, known, required)
        return found

    def document(self, data: object, key: str, what_file: str, what: str) -> Mapping[str, Any] | None:
        """The body of a file holding one top-level mapping under ``key`` (``assessment:``, ``readiness:``...)."""
        top = self.mapping(data, (), what_file)
        if top is None:
            return None
        self.keys(top, (), {key}, (key,))
        return self.mapping(top[key], (key,), what) if key in top else None

    def calendar_date(self, data: Mapping[str, Any], key: str, path: Path_) -> date | None:
        """A calendar date (YYYY-MM-DD, or what YAML already read as a date); a problem when given but not one."""
        on = parse_date(data.get(key))
        if key in data and on is None:
            self.add((*path, key), f"'{data.get(key)}' is not a date: use YYYY-MM-DD")
        return on


def parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
