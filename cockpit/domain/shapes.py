"""Checks shared by the improvement templates (chaos experiments, toil inventories, capacity models): the SLO
files' checker plus numbers with bounds. Pure: parsed YAML in, (field path, message) problems out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cockpit.domain.checks import Issue, Path_, type_name
from cockpit.domain.slo_spec import SpecChecker

__all__ = ["Checker", "Issue", "Path_", "type_name", "unwrap"]


def unwrap(data: object, key: str) -> tuple[object, Path_]:
    """The seed writes each template under one key (``experiment:``, ``toil_item:``, ``capacity_model:``)."""
    if isinstance(data, dict) and set(data) == {key}:
        return data[key], (key,)
    return data, ()


class Checker(SpecChecker):
    def number(self, data: Mapping[str, Any], key: str, path: Path_, *, low: float | None = None,
               high: float | None = None, low_open: bool = False, what: str = "", required: bool = False,
               whole: bool = False) -> float | None:
        """A finite number within [low, high] (``low_open``: above low); None (and a problem) otherwise."""
        if key not in data or data[key] is None:
            if required:
                self.add((*path, key), "this field is required")
            return None
        value = data[key]
        label = what or key.replace("_", " ")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown = f"'{value}'" if isinstance(value, str) else type_name(value)
            self.add((*path, key), f"{shown} is not a number: give the {label} as a number")
            return None
        number = float(value)
        if not math.isfinite(number):
            self.add((*path, key), f"the {label} must be a finite number, not {value}")
            return None
        if whole and number != int(number):
            self.add((*path, key), f"the {label} must be a whole number, not {value}")
            return None
        if low is not None and (number < low or (low_open and number == low)):
            bound = f"above {low:g}" if low_open else f"at least {low:g}"
            if low == 0 and not low_open:
                self.add((*path, key), f"{value:g} is negative: the {label} cannot be below 0")
            else:
                self.add((*path, key), f"{value:g} is too low: the {label} must be {bound}")
            return None
        if high is not None and number > high:
            self.add((*path, key), f"{value:g} is too high: the {label} must be at most {high:g}")
            return None
        return number

    def choice(self, data: Mapping[str, Any], key: str, path: Path_, choices: tuple[str, ...],
               required: bool = False) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.add((*path, key), f"this field is required: one of {', '.join(choices)}")
            return ""
        if not isinstance(value, str) or value.strip().lower() not in choices:
            shown = f"'{value}'" if isinstance(value, str) else type_name(value)
            self.add((*path, key), f"{shown} is not one of {', '.join(choices)}")
            return ""
        return value.strip().lower()

    def required_text(self, data: Mapping[str, Any], key: str, path: Path_) -> str:
        value = self.text(data, key, path)
        if not value and (key not in data or isinstance(data.get(key), str) or data.get(key) is None):
            self.add((*path, key), "this field is required")
        return value
