"""Toil: the seed's "Toil Inventory Template", its "Toil Reduction Priority Matrix" and the toil budget rule.

A toil file holds a team's inventory::

    team: sre-platform
    team_hours_per_month: 640      # the team's SRE hours a month (4 people × 160 h)
    items:
      - toil_item:
          name: Rotate partner TLS certificates
          category: access          # deployment | scaling | config | data | access | monitoring | recovery
          frequency: weekly         # daily | weekly | monthly | per-incident
          time_per_occurrence_min: 45
          occurrences_per_month: 4
          teams_affected: [sre-platform]
          automation_difficulty: low      # low | medium | high
          automation_value: 3             # hours saved per month (default: all of total_hours_per_month)

``total_hours_per_month`` (minutes × occurrences / 60) and ``priority_score`` (value / difficulty, with low 1,
medium 2, high 3) are computed; when a file gives them they must agree. The matrix's value bands are the seed's:
high above 10 hours a month, medium from 2 to 10 (both included), low below 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cockpit.domain.shapes import Checker, Issue, Path_, type_name, unwrap

CATEGORIES = ("deployment", "scaling", "config", "data", "access", "monitoring", "recovery")
FREQUENCIES = ("daily", "weekly", "monthly", "per-incident")
DIFFICULTIES = ("low", "medium", "high")
DIFFICULTY_WEIGHT = {"low": 1, "medium": 2, "high": 3}
HIGH_VALUE_HOURS = 10.0  # above this: high value
LOW_VALUE_HOURS = 2.0  # below this: low value
TOIL_BUDGET_PCT = 25.0  # the seed: under 25 % of SRE time
MAX_HOURS = 10_000.0  # a month has 720 hours; a whole team's month stays under this
MAX_MINUTES = 24 * 60.0
MAX_OCCURRENCES = 100_000.0

#: The seed's matrix: (value band, effort) → cell.
MATRIX: dict[tuple[str, str], str] = {
    ("high", "low"): "do first", ("high", "medium"): "do second", ("high", "high"): "plan",
    ("medium", "low"): "do second", ("medium", "medium"): "plan", ("medium", "high"): "evaluate",
    ("low", "low"): "quick win", ("low", "medium"): "skip", ("low", "high"): "skip",
}
#: Report order of the cells: what to do first comes first.
CELL_ORDER = ("do first", "do second", "quick win", "plan", "evaluate", "skip")

TOP_KEYS = {"team", "team_hours_per_month", "items"}
ITEM_KEYS = {"name", "category", "frequency", "time_per_occurrence_min", "occurrences_per_month",
             "total_hours_per_month", "teams_affected", "automation_difficulty", "automation_value",
             "priority_score", "notes"}


@dataclass(frozen=True)
class ToilItem:
    name: str
    category: str
    frequency: str
    minutes: float  # time per occurrence
    per_month: float  # occurrences per month
    difficulty: str
    value_hours: float | None = None  # automation value: hours saved a month (None: all of the toil)
    teams: tuple[str, ...] = ()

    @property
    def total_hours(self) -> float:
        return total_hours(self.minutes, self.per_month)

    @property
    def value(self) -> float:
        return self.total_hours if self.value_hours is None else self.value_hours

    @property
    def score(self) -> float:
        return priority_score(self.value, self.difficulty)

    @property
    def band(self) -> str:
        return value_band(self.value)

    @property
    def cell(self) -> str:
        return matrix_cell(self.value, self.difficulty)


@dataclass
class ToilInventory:
    team: str
    team_hours: float | None
    items: list[ToilItem] = field(default_factory=list)


def total_hours(minutes: float, per_month: float) -> float:
    """The seed's ``total_hours_per_month``: time per occurrence × occurrences a month, in hours."""
    return minutes * per_month / 60


def priority_score(value_hours: float, difficulty: str) -> float:
    """The seed's ``priority_score``: value / difficulty (low 1, medium 2, high 3)."""
    return value_hours / DIFFICULTY_WEIGHT[difficulty]


def value_band(hours: float) -> str:
    """The seed's value bands: high above 10 hours a month, medium 2-10 (both ends included), low below 2."""
    if hours > HIGH_VALUE_HOURS:
        return "high"
    if hours >= LOW_VALUE_HOURS:
        return "medium"
    return "low"


def matrix_cell(value_hours: float, difficulty: str) -> str:
    return MATRIX[(value_band(value_hours), difficulty)]


def ranked(items: Sequence[ToilItem]) -> list[ToilItem]:
    """By matrix cell (do first … skip), then by priority score, highest first; then by name."""
    return sorted(items, key=lambda i: (CELL_ORDER.index(i.cell), -i.score, i.name.casefold()))


@dataclass(frozen=True)
class Budget:
    toil_hours: float
    team_hours: float
    pct: float
    over: bool

    def sentence(self) -> str:
        verdict = (f"over the {TOIL_BUDGET_PCT:g} % toil budget: prioritise automation over all feature work "
                   "(the seed)" if self.over else f"within the {TOIL_BUDGET_PCT:g} % toil budget")
        return (f"Toil takes {self.toil_hours:.1f} of {self.team_hours:g} team hours a month ({self.pct:.1f} %): "
                f"{verdict}.")


def budget(items: Sequence[ToilItem], team_hours: float) -> Budget:
    """The toil budget rule: toil must stay under 25 % of SRE time; at 25 % or more the team is over."""
    toil = sum(i.total_hours for i in items)
    pct = 100 * toil / team_hours
    return Budget(toil, team_hours, pct, pct >= TOIL_BUDGET_PCT)


# --- validation ----------------------------------------------------------------------------
def check_item(check: Checker, value: object, path: Path_) -> ToilItem | None:
    inner, wrap = unwrap(value, "toil_item")
    path = (*path, *wrap)
    spec = check.mapping(inner, path, "a toil item")
    if spec is None:
        return None
    check.keys(spec, path, ITEM_KEYS, ("name", "time_per_occurrence_min", "occurrences_per_month",
                                       "automation_difficulty"))
    name = check.text(spec, "name", path)
    if "name" in spec and not name and isinstance(spec.get("name"), str):
        check.add((*path, "name"), "must not be empty")
    category = check.choice(spec, "category", path, CATEGORIES)
    frequency = check.choice(spec, "frequency", path, FREQUENCIES)
    minutes = check.number(spec, "time_per_occurrence_min", path, low=0, low_open=False, high=MAX_MINUTES,
                           what="time per occurrence (minutes)")
    per_month = check.number(spec, "occurrences_per_month", path, low=0, high=MAX_OCCURRENCES,
                             what="occurrences per month")
    difficulty = check.choice(spec, "automation_difficulty", path, DIFFICULTIES) if "automation_difficulty" in spec \
        else ""
    value = check.number(spec, "automation_value", path, low=0, high=MAX_HOURS,
                         what="automation value (hours saved a month)")
    teams = check.texts(spec, "teams_affected", path)
    check.text(spec, "notes", path)
    if minutes is not None and per_month is not None:
        hours = total_hours(minutes, per_month)
        if hours > MAX_HOURS:
            check.add((*path, "occurrences_per_month"), f"{hours:,.0f} hours a month is more than any team has; "
                                                        "check the minutes and the occurrences")
            return None
        given = spec.get("total_hours_per_month")
        if given is not None and (isinstance(given, bool) or not isinstance(given, (int, float))
                                  or abs(float(given) - hours) > 0.05):
            check.add((*path, "total_hours_per_month"),
                      f"is {hours:g} hours ({minutes:g} min × {per_month:g} a month / 60); leave it out or fix it")
        if value is not None and value > hours + 1e-9:
            check.add((*path, "automation_value"), f"automating saves at most the {hours:g} hours the toil takes "
                                                   f"a month, not {value:g}")
            value = None
        if difficulty:
            score = priority_score(hours if value is None else value, difficulty)
            given_score = spec.get("priority_score")
            if given_score is not None and (isinstance(given_score, bool) or not isinstance(given_score, (int, float))
                                            or abs(float(given_score) - score) > 0.05):
                check.add((*path, "priority_score"), f"is {score:g} (value / difficulty); leave it out or fix it")
    if not (name and difficulty and minutes is not None and per_month is not None):
        return None
    return ToilItem(name=name, category=category, frequency=frequency, minutes=minutes, per_month=per_month,
                    difficulty=difficulty, value_hours=value, teams=teams)


def validate(data: object) -> tuple[ToilInventory | None, list[Issue]]:
    """A toil file: the team, its hours a month and the inventory; every problem with its field path."""
    check = Checker()
    if data is None:
        return None, [((), "the file is empty; see sample_data/toil/ for the shape")]
    body = check.mapping(data, (), "a toil inventory (team, team_hours_per_month, items)")
    if body is None:
        return None, check.issues
    check.keys(body, (), TOP_KEYS, ("team", "items"))
    team = check.name(body, "team", ())
    team_hours = check.number(body, "team_hours_per_month", (), low=1, high=MAX_HOURS * 10,
                              what="team hours a month")
    raw = body.get("items")
    items: list[ToilItem] = []
    if raw is not None and not isinstance(raw, list):
        check.add(("items",), f"must be a list of toil items, not {type_name(raw)}")
        raw = []
    names: set[str] = set()
    for index, entry in enumerate(raw or []):
        item = check_item(check, entry, ("items", index))
        if item is None:
            continue
        if item.name.casefold() in names:
            check.add(("items", index, *unwrap(entry, "toil_item")[1], "name"),
                      f"the toil item '{item.name}' is given twice")
            continue
        names.add(item.name.casefold())
        items.append(item)
    if check.issues or not team:
        return None, check.issues
    return ToilInventory(team, team_hours, items), []


def item_yaml(item: ToilItem) -> list[str]:
    """The lines of one inventory entry as it is appended under ``items:`` (values quoted as JSON, which YAML
    reads back exactly)."""
    import json

    lines = ["  - toil_item:", f"      name: {json.dumps(item.name, ensure_ascii=False)}"]
    if item.category:
        lines.append(f"      category: {item.category}")
    if item.frequency:
        lines.append(f"      frequency: {item.frequency}")
    lines += [f"      time_per_occurrence_min: {item.minutes:g}", f"      occurrences_per_month: {item.per_month:g}",
              f"      total_hours_per_month: {round(item.total_hours, 2):g}"]
    if item.teams:
        lines.append(f"      teams_affected: {json.dumps(list(item.teams), ensure_ascii=False)}")
    lines.append(f"      automation_difficulty: {item.difficulty}")
    if item.value_hours is not None:
        lines.append(f"      automation_value: {item.value_hours:g}")
    lines.append(f"      priority_score: {round(item.score, 2):g}")
    return lines


def report(inventory: ToilInventory, team_hours: float | None = None) -> dict[str, Any]:
    """The ranked inventory and the budget verdict, as data for the CLI, the screen and --json."""
    hours = team_hours if team_hours is not None else inventory.team_hours
    rows = [{"name": i.name, "category": i.category, "frequency": i.frequency, "difficulty": i.difficulty,
             "total_hours_per_month": round(i.total_hours, 2), "automation_value": round(i.value, 2),
             "priority_score": round(i.score, 2), "value_band": i.band, "cell": i.cell}
            for i in ranked(inventory.items)]
    out: dict[str, Any] = {"team": inventory.team, "items": rows,
                           "toil_hours_per_month": round(sum(i.total_hours for i in inventory.items), 2)}
    if hours:
        verdict = budget(inventory.items, hours)
        out["budget"] = {"team_hours_per_month": hours, "pct_of_team_time": round(verdict.pct, 1),
                         "limit_pct": TOIL_BUDGET_PCT, "over": verdict.over, "sentence": verdict.sentence()}
    return out


def merge(inventories: Sequence[ToilInventory]) -> Mapping[str, ToilInventory]:
    """Inventories by team (files of one team are read as one inventory)."""
    teams: dict[str, ToilInventory] = {}
    for inv in inventories:
        found = teams.setdefault(inv.team, ToilInventory(inv.team, inv.team_hours))
        found.items.extend(inv.items)
        if found.team_hours is None:
            found.team_hours = inv.team_hours
    return teams
