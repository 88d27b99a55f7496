"""The service catalog: the seed's "Service Catalog Entry", every field and its allowed values, and the
multi-region guide ("Multi-Region Reliability", decision guide) for a service's SLO target.

Validation is pure, like runbooks and SLO files: it takes parsed YAML and returns every problem as
(field path, message); the caller turns paths into ``file:line:column``. A message starting with ``warning:``
does not make the file invalid.

A catalog file holds one entry (``service: {...}``, the seed's shape) or several
(``services: [{service: {...}}, ...]``). ``dependencies.upstream`` are the services this one calls,
``downstream`` the services that call it (the seed's comments).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cockpit.domain.checks import BaseChecker, Issue, Path_, type_name

TIERS = ("critical", "important", "standard", "experimental")
DATA_CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
DEPLOYMENT_FREQUENCIES = ("daily", "weekly", "biweekly", "monthly")
ARCHITECTURES = ("monolith", "microservice", "serverless", "hybrid")
INFRAS = ("k8s", "ECS", "Lambda", "VM", "bare-metal")
TRAFFIC_PATTERNS = ("steady", "diurnal", "spiky", "seasonal")

ENUMS: dict[str, tuple[str, ...]] = {
    "tier": TIERS, "data_classification": DATA_CLASSIFICATIONS, "deployment_frequency": DEPLOYMENT_FREQUENCIES,
    "architecture": ARCHITECTURES, "infra": INFRAS, "traffic_pattern": TRAFFIC_PATTERNS,
}
NUMBERS = ("peak_rps", "storage_gb", "monthly_cost_usd")
SERVICE_KEYS = {"name", "tier", "owner_team", "oncall_rotation", "dependencies", *ENUMS, "language", *NUMBERS}
REQUIRED = ("name", "tier", "owner_team", "oncall_rotation")
DEPENDENCY_KEYS = {"upstream", "downstream"}
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
MAX_NUMBER = 10**12
MAX_TEXT = 200


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    tier: str
    owner_team: str
    oncall_rotation: str
    upstream: tuple[str, ...] = ()
    downstream: tuple[str, ...] = ()
    data_classification: str = ""
    deployment_frequency: str = ""
    architecture: str = ""
    language: str = ""
    infra: str = ""
    traffic_pattern: str = ""
    peak_rps: float = 0
    storage_gb: float = 0
    monthly_cost_usd: float = 0
    source: str = ""
    line: int = 1


@dataclass
class CatalogFile:
    entries: list[tuple[ServiceEntry, Path_]] = field(default_factory=list)


class Checker(BaseChecker):
    """Collects every problem of one file as (field path, message)."""

    blank_is_missing = True

    def text(self, data: Mapping[str, Any], key: str, path: Path_, limit: int = MAX_TEXT) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key in ("language",):
            return str(value)
        if not isinstance(value, str):
            self.add((*path, key), f"must be text, not {type_name(value)}")
            return ""
        if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value):
            self.add((*path, key), "contains a control character; write it as plain text")
            return ""
        if len(value) > limit:
            self.add((*path, key), f"is longer than {limit} characters")
            return ""
        return value.strip()

    def name(self, data: Mapping[str, Any], key: str, path: Path_) -> str:
        value = self.text(data, key, path)
        if value and not NAME.fullmatch(value):
            self.add((*path, key), f"'{value}' is not a service name: lower-case letters, digits, '_', '.', '-' "
                                   "(up to 80)")
            return ""
        return value

    def dated_header(self, body: Mapping[str, Any], root: Path_, known: set[str], required: Sequence[str],
                     person: str) -> tuple[str, date | None, str]:
        """The service, date and person (assessor, reviewer) heading an assessment or a readiness review."""
        self.keys(body, root, known, required)
        return self.name(body, "service", root), self.calendar_date(body, "date", root), self.text(body, person, root)

    def choice(self, data: Mapping[str, Any], key: str, path: Path_, allowed: Sequence[str]) -> str:
        value = data.get(key)
        if value is None or value == "":
            return ""
        if not isinstance(value, str) or value not in allowed:
            shown = f"'{value}'" if isinstance(value, str) else type_name(value)
            close = difflib.get_close_matches(str(value), list(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.add((*path, key), f"{shown} is not allowed: use one of {' | '.join(allowed)}{hint}")
            return ""
        return value

    def number(self, data: Mapping[str, Any], key: str, path: Path_) -> float:
        value = data.get(key)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            shown = f"'{value}'" if isinstance(value, str) else type_name(value)
            self.add((*path, key), f"{shown} is not a number: give a number such as 1800")
            return 0
        if not 0 <= value <= MAX_NUMBER:
            self.add((*path, key), f"{value} is out of range: give a number from 0 to {MAX_NUMBER}")
            return 0
        return float(value)

    def names(self, data: Mapping[str, Any], key: str, path: Path_) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add((*path, key), f"must be a list of service names, not {type_name(value)}")
            return ()
        out: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not NAME.fullmatch(item):
                shown = f"'{item}'" if isinstance(item, str) else type_name(item)
                self.add((*path, key, index), f"{shown} is not a service name")
            elif item in out:
                self.add((*path, key, index), f"'{item}' is listed twice")
            else:
                out.append(item)
        return tuple(out)


def _entry(check: Checker, value: object, path: Path_, source: str) -> ServiceEntry | None:
    body = check.mapping(value, path, "a service entry")
    if body is None:
        return None
    before = len(check.issues)
    check.keys(body, path, SERVICE_KEYS, REQUIRED)
    name = check.name(body, "name", path)
    upstream: tuple[str, ...] = ()
    downstream: tuple[str, ...] = ()
    if body.get("dependencies") is not None:
        deps = check.mapping(body["dependencies"], (*path, "dependencies"), "the dependencies")
        if deps is not None:
            check.keys(deps, (*path, "dependencies"), DEPENDENCY_KEYS)
            upstream = check.names(deps, "upstream", (*path, "dependencies"))
            downstream = check.names(deps, "downstream", (*path, "dependencies"))
            for side, names in (("upstream", upstream), ("downstream", downstream)):
                if name and name in names:
                    check.add((*path, "dependencies", side), f"'{name}' cannot depend on itself")
    entry = ServiceEntry(
        name=name,
        tier=check.choice(body, "tier", path, TIERS),
        owner_team=check.text(body, "owner_team", path),
        oncall_rotation=check.text(body, "oncall_rotation", path),
        upstream=upstream, downstream=downstream,
        data_classification=check.choice(body, "data_classification", path, DATA_CLASSIFICATIONS),
        deployment_frequency=check.choice(body, "deployment_frequency", path, DEPLOYMENT_FREQUENCIES),
        architecture=check.choice(body, "architecture", path, ARCHITECTURES),
        language=check.text(body, "language", path),
        infra=check.choice(body, "infra", path, INFRAS),
        traffic_pattern=check.choice(body, "traffic_pattern", path, TRAFFIC_PATTERNS),
        peak_rps=check.number(body, "peak_rps", path),
        storage_gb=check.number(body, "storage_gb", path),
        monthly_cost_usd=check.number(body, "monthly_cost_usd", path),
        source=source,
    )
    return entry if len(check.issues) == before else None


def validate_catalog(data: object, source: str = "") -> tuple[CatalogFile, list[Issue]]:
    """Check a catalog file (``service:`` or ``services: [{service: ...}]``); return the valid entries and every
    problem. An entry with a problem is left out; the others are kept."""
    check = Checker()
    made = CatalogFile()
    body = check.mapping(data, (), "a catalog file")
    if body is None:
        return made, check.issues
    if "service" in body and "services" in body:
        check.add(("services",), "a file holds either one 'service:' or a list under 'services:', not both")
        return made, check.issues
    if "service" in body:
        check.keys(body, (), {"service"})
        entry = _entry(check, body["service"], ("service",), source)
        if entry is not None:
            made.entries.append((entry, ("service",)))
        return made, check.issues
    check.keys(body, (), {"services"}, ("services",))
    items = body.get("services")
    if items is None:
        return made, check.issues
    if not isinstance(items, list):
        check.add(("services",), f"must be a list of entries like '- service: {{name: ...}}', not {type_name(items)}")
        return made, check.issues
    for index, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"service"}:
            check.add(("services", index), "each entry is '- service: {name: ..., tier: ...}'")
            continue
        entry = _entry(check, item["service"], ("services", index, "service"), source)
        if entry is not None:
            made.entries.append((entry, ("services", index, "service")))
    return made, check.issues


def cross_check(entries: Sequence[ServiceEntry]) -> list[tuple[ServiceEntry, str, str]]:
    """Warnings across the catalog: (entry, field, message) for a dependency that is not in the catalog or that
    the other side does not list back (A calls B, so B's downstream should name A)."""
    by_name = {e.name: e for e in entries}
    found: list[tuple[ServiceEntry, str, str]] = []
    for entry in entries:
        for name in entry.upstream:
            other = by_name.get(name)
            if other is None:
                found.append((entry, "dependencies.upstream", f"warning: '{name}' is not in the catalog"))
            elif entry.name not in other.downstream:
                found.append((entry, "dependencies.upstream", f"warning: {entry.name} calls {name}, but {name}'s "
                                                              f"downstream does not list {entry.name}"))
        for name in entry.downstream:
            if name not in by_name:
                found.append((entry, "dependencies.downstream", f"warning: '{name}' is not in the catalog"))
    return found


# --- the multi-region guide ------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionAdvice:
    strategy: str
    complexity: str
    rto: str
    cost: str
    rule: str


def region_strategy(target: float) -> RegionAdvice:
    """The seed's decision guide: SLO < 99.9 % → single region with good backups; 99.9-99.95 % → active-passive
    with automated failover; > 99.95 % → active-active (read or full); > 99.99 % → cell-based."""
    if target > 99.99:
        return RegionAdvice("Cell-based architecture", "Very high", "Per-cell", "2-4x", "SLO > 99.99%")
    if target > 99.95:
        return RegionAdvice("Active-active (read or full)", "Medium to high", "Seconds to near-zero", "1.8-3x",
                            "SLO > 99.95%")
    if target >= 99.9:
        return RegionAdvice("Active-passive with automated failover", "Low", "Minutes", "1.5x", "SLO 99.9-99.95%")
    return RegionAdvice("Single region with good backups", "Lowest", "Restore from backup", "1x", "SLO < 99.9%")
