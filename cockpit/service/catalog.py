"""The service catalog, assessments and readiness reviews: files from the folders under ``service_dirs`` (the
team's git repository), checked with file:line:column, and the store's evidence for each service.

A folder holds catalog files at its top (``service:`` or ``services:``), assessments under ``assessments/`` and
readiness reviews under ``readiness/``; any of them may also sit at the top, told apart by their first key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from cockpit.domain import assessment as am
from cockpit.domain import discipline as dc
from cockpit.domain import readiness as rd
from cockpit.domain.catalog import RegionAdvice, ServiceEntry, cross_check, region_strategy, validate_catalog
from cockpit.domain.severity import Severity
from cockpit.errors import InvalidInput, NotFound
from cockpit.service.alert_figures import alert_figures
from cockpit.service.incidents import IncidentService
from cockpit.store.models import ActionItemRow, Incident, Page, Shift
from cockpit.yamldoc import Problem, YamlDocument, read_yaml

SUFFIXES = (".yaml", ".yml")
SUBFOLDERS = ("assessments", "readiness")
CURRENT_RUNBOOK = timedelta(days=180)


@dataclass
class Catalog:
    services: dict[str, ServiceEntry] = field(default_factory=dict)
    assessments: dict[str, list[am.Assessment]] = field(default_factory=dict)
    reviews: dict[str, list[rd.Review]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    files: int = 0

    def find(self, name: str) -> ServiceEntry:
        if name in self.services:
            return self.services[name]
        known = ", ".join(sorted(self.services)) or "the catalog is empty: set service_dirs in the config"
        raise NotFound(f"No service '{name}' in the catalog (known: {known}).")

    def latest_assessment(self, name: str) -> am.Assessment | None:
        history = self.assessments.get(name, [])
        return max(history, key=lambda a: a.on) if history else None

    def latest_review(self, name: str) -> rd.Review | None:
        history = self.reviews.get(name, [])
        return max(history, key=lambda r: r.on) if history else None


def service_folders(configured: Sequence[Path]) -> list[Path]:
    """``COCKPIT_SERVICE_DIRS`` (path-separated) when set, else the config file's ``service_dirs``."""
    env = os.environ.get("COCKPIT_SERVICE_DIRS", "").strip()
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    return list(configured)


def expand(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            for sub in SUBFOLDERS:
                if (path / sub).is_dir():
                    found += sorted(p for p in (path / sub).iterdir() if p.suffix in SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def _problems(doc: YamlDocument, issues: Sequence[tuple[tuple[str | int, ...], str]]) -> tuple[list[Problem],
                                                                                             list[Problem]]:
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for path, message in issues:
        problem = doc.problem(path, message, at_key=message.startswith("unknown"))
        (warnings if message.startswith("warning:") else errors).append(problem)
    return errors, warnings


def load_catalog(paths: Sequence[Path]) -> Catalog:
    """Every catalog, assessment and readiness file under ``paths``; a broken file is reported and skipped."""
    catalog = Catalog()
    where: dict[str, str] = {}
    for path in expand(paths):
        if not path.exists():
            catalog.problems.append(Problem(str(path), 1, 1, "", "no such file or folder"))
            continue
        catalog.files += 1
        doc, problems = read_yaml(path, str(path))
        if doc is None:
            catalog.problems += problems
            continue
        data = doc.data
        kind = next(iter(data), None) if isinstance(data, dict) and data else None
        if kind in ("service", "services"):
            made, issues = validate_catalog(data, str(path))
            errors, _ = _problems(doc, issues)
            catalog.problems += errors
            for entry, entry_path in made.entries:
                line, _col = doc.where(entry_path)
                if entry.name in where:
                    catalog.problems.append(doc.problem((*entry_path, "name"), f"the service {entry.name} is also "
                                                                               f"defined in {where[entry.name]}"))
                    continue
                where[entry.name] = f"{path}:{line}"
                catalog.services[entry.name] = _with_line(entry, line)
        elif kind == "assessment":
            made_a, issues = am.validate_assessment(data, str(path))
            catalog.problems += _problems(doc, issues)[0]
            if made_a is not None:
                catalog.assessments.setdefault(made_a.service, []).append(made_a)
        elif kind == "readiness":
            made_r, issues = rd.validate_review(data, str(path))
            catalog.problems += _problems(doc, issues)[0]
            if made_r is not None:
                catalog.reviews.setdefault(made_r.service, []).append(made_r)
        else:
            catalog.problems.append(doc.problem((), "not a catalog, assessment or readiness file: it starts with "
                                                    "service:, services:, assessment: or readiness:"))
    for entry, name, message in cross_check(list(catalog.services.values())):
        catalog.warnings.append(Problem(entry.source, entry.line, 1, f"{entry.name}.{name}", message))
    for kind_name, table in (("assessment", catalog.assessments), ("readiness review", catalog.reviews)):
        for service, items in table.items():
            if catalog.services and service not in catalog.services:
                for item in items:
                    catalog.problems.append(Problem(item.source, 1, 1, f"{kind_name.split()[0]}.service",
                                                    f"'{service}' is not in the catalog"))
    for table_a in catalog.assessments.values():
        table_a.sort(key=lambda a: a.on)
    for table_r in catalog.reviews.values():
        table_r.sort(key=lambda r: r.on)
    return catalog


def _with_line(entry: ServiceEntry, line: int) -> ServiceEntry:
    from dataclasses import replace

    return replace(entry, line=line)


# --- what the store knows about a service -----------------------------------------------------------------
@dataclass(frozen=True)
class ServiceRow:
    entry: ServiceEntry
    budget_state: str | None
    open_incidents: tuple[tuple[str, str, Severity], ...]  # (ref, title, severity)
    last_incident: datetime | None
    readiness: str
    maturity: int | None
    quality: float | None
    band: str | None


@dataclass(frozen=True)
class ServiceView:
    row: ServiceRow
    slo_target: float | None
    region: RegionAdvice | None
    trend: str
    latest: am.Assessment | None
    review: rd.Review | None
    postmortems: list[dc.PostmortemDue]
    neighbours: list[str]


class CatalogService:
    """The catalog joined with the store: figures for the services screen, the evidence for assessments and
    readiness reviews, and the open incidents around an incident's services."""

    def __init__(self, incidents: IncidentService, catalog: Catalog, slos: object | None = None,
                 runbooks: object | None = None) -> None:
        self.incidents = incidents
        self.catalog = catalog
        self.slos = slos  # cockpit.service.slo_files.SloLibrary
        self.runbooks = runbooks  # cockpit.service.runbooks.Library

    # --- the overview -------------------------------------------------------------------------------
    def _states(self) -> dict[str, str]:
        from cockpit.service.signals import Signals

        order = {"exhausted": 0, "critical": 1, "warning": 2, "healthy": 3}
        worst: dict[str, str] = {}
        for reading in Signals(self.incidents).readings():
            if reading.evaluation is None:
                continue
            state = reading.evaluation.state
            if reading.service not in worst or order.get(state, 9) < order.get(worst[reading.service], 9):
                worst[reading.service] = state
        return worst

    def rows(self) -> list[ServiceRow]:
        states = self._states()
        summaries = self.incidents.list_incidents(include_closed=True)
        out = []
        for name in sorted(self.catalog.services, key=_tier_order(self.catalog)):
            entry = self.catalog.services[name]
            mine = [s for s in summaries if name in s.services]
            open_ = tuple((s.ref, s.title, s.severity) for s in mine if s.phase.is_open)
            last = max((s.declared_at for s in mine), default=None)
            review = self.catalog.latest_review(name)
            latest = self.catalog.latest_assessment(name)
            out.append(ServiceRow(entry, states.get(name), open_, last, review.status if review else "not reviewed",
                                  latest.maturity_total if latest else None, latest.quality if latest else None,
                                  latest.band[0] if latest else None))
        return out

    def neighbours(self, services: Sequence[str]) -> list[str]:
        """"checkout-api calls orders-db, which has an open SEV2 (INC-...)" for the services around ``services``."""
        summaries = [s for s in self.incidents.list_incidents() if s.phase.is_open]
        lines: list[str] = []
        for name in services:
            entry = self.catalog.services.get(name)
            if entry is None:
                continue
            for verb, others in (("calls", entry.upstream), ("is called by", entry.downstream)):
                for other in others:
                    if other in services:
                        continue
                    for s in summaries:
                        if other in s.services and name not in s.services:
                            lines.append(f"{name} {verb} {other}, which has an open {s.severity.label} "
                                         f"({s.ref}: {s.title})")
        return list(dict.fromkeys(lines))

    def views(self) -> list[ServiceView]:
        """Everything the services screen shows, for every service (the store read once)."""
        dues = self.postmortems()
        out = []
        for row in self.rows():
            name = row.entry.name
            target = self.slo_target(name)
            out.append(ServiceView(
                row=row, slo_target=target, region=region_strategy(target) if target is not None else None,
                trend=am.trend(self.catalog.assessments.get(name, [])).text(),
                latest=self.catalog.latest_assessment(name), review=self.catalog.latest_review(name),
                postmortems=[d for d in dues if name in d.services], neighbours=self.neighbours([name])))
        return out

    # --- evidence ------------------------------------------------------------------------------------
    def _slo_counts(self, name: str) -> tuple[int, int, int, float | None]:
        slos = self.slos.for_services([name]) if self.slos is not None else []  # type: ignore[attr-defined]
        measured = sum(1 for s in slos if s.measure is not None)
        linked = sum(1 for s in slos if s.runbook)
        target = max((s.target for s in slos), default=None)
        return len(slos), measured, linked, target

    def slo_target(self, name: str) -> float | None:
        return self._slo_counts(name)[3]

    def service_runbooks(self, name: str) -> list[object]:
        books = self.runbooks.runbooks if self.runbooks is not None else []  # type: ignore[attr-defined]
        return [b for b in books if name in b.services]

    def postmortems(self, name: str | None = None) -> list[dc.PostmortemDue]:
        """The incidents (of ``name``, or all) that need a postmortem, and whether it is written."""
        return postmortem_dues(self.incidents, name)

    def _pages(self, name: str, since: datetime, until: datetime) -> tuple[int | None, int]:
        with self.incidents.store.read() as session:
            pages = session.exec(select(Page).where(Page.service == name)).all()
            shifts = session.exec(select(Shift).where(Shift.position == "primary")).all()
        inside = [s for s in shifts if s.starts_at < until and s.ends_at > since]
        if not inside:
            return None, 0
        return sum(1 for p in pages if since <= p.at < until), len(inside)

    def _orphans(self, name: str) -> int:
        with self.incidents.store.read() as session:
            ids = [i.id for i in session.exec(select(Incident)).all() if name in (i.services or [])]
            rows = session.exec(select(ActionItemRow)).all()
        return sum(1 for a in rows if a.incident_id in ids and a.status != "done"
                   and dc.orphan_gaps(a.owner, date.fromisoformat(a.deadline) if a.deadline else None, a.ticket))

    def facts(self, name: str) -> am.Facts:
        entry = self.catalog.find(name)
        now = self.incidents.clock()
        slos, measured, linked, _ = self._slo_counts(name)
        books = self.service_runbooks(name)
        current = sum(1 for b in books if _updated_within(getattr(b, "last_updated", ""), now.date()))
        dues = self.postmortems(name)
        pages, shifts = self._pages(name, now - timedelta(days=28), now)
        figures = alert_figures(self.incidents, name, now - timedelta(days=28), now)
        review = self.catalog.latest_review(name)
        return am.Facts(
            service=name, slos=slos, slos_measured=measured, slos_with_runbook=linked,
            budget_state=self._states().get(name), runbooks=len(books), runbooks_current=current,
            auto_remediations=sum(len(getattr(b, "auto_remediation", ())) for b in books),
            postmortems_required=sum(1 for d in dues if d.state != "due after resolution"),
            postmortems_missing=sum(1 for d in dues if d.state == "missing"),
            orphan_actions=self._orphans(name), pages=pages, shifts=shifts,
            deployment_frequency=entry.deployment_frequency,
            alert_lint=figures.lint_text if figures else None,
            readiness={k: a.status for k, a in review.answers.items()} if review else {},
            readiness_date=review.on.isoformat() if review else "",
        )

    def readiness_facts(self, name: str) -> rd.ReadinessFacts:
        entry = self.catalog.find(name)
        slos, measured, linked, _ = self._slo_counts(name)
        with self.incidents.store.read() as session:
            shifts = len(session.exec(select(Shift)).all())
        now = self.incidents.clock()
        figures = alert_figures(self.incidents, name, now - timedelta(days=28), now)
        books = self.service_runbooks(name)
        return rd.ReadinessFacts(
            slos=slos, slos_measured=measured, slos_with_runbook=linked, rotation=entry.oncall_rotation,
            rotation_shifts=shifts,
            runbooks=tuple((b.id, b.alert_name, b.escalation.contact) for b in books),  # type: ignore[attr-defined]
            alert_lint=figures.lint_text if figures else None)

    def readiness_start(self, name: str, reviewer: str) -> rd.Review:
        """A review to walk: the latest stored answers, then the store's pre-filled ones for the rest."""
        self.catalog.find(name)
        stored = self.catalog.latest_review(name)
        answers = rd.merged(stored.answers if stored else None, rd.prefill(self.readiness_facts(name)))
        return rd.Review(name, self.incidents.clock().date(), reviewer, answers)

    # --- writing files (the team commits them) --------------------------------------------------------
    def folder_of(self, name: str) -> Path:
        entry = self.catalog.find(name)
        return Path(entry.source).parent if entry.source else Path.cwd()

    def write_assessment(self, made: am.Assessment) -> Path:
        return _write_new(self.folder_of(made.service) / "assessments", f"{made.service}-{made.on.isoformat()}",
                          am.to_yaml_text(made))

    def write_review(self, review: rd.Review) -> Path:
        return _write_new(self.folder_of(review.service) / "readiness", f"{review.service}-{review.on.isoformat()}",
                          rd.to_yaml_text(review))


def postmortem_dues(incidents: IncidentService, name: str | None = None,
                    only_missing: bool = False) -> list[dc.PostmortemDue]:
    """The incidents (of service ``name``, or all) whose postmortem is required, with its state; ``only_missing``
    looks only at resolved incidents not in review (cheap enough for a list that refreshes)."""
    from cockpit.domain.lifecycle import Phase

    now = incidents.clock()
    out = []
    for summary in incidents.list_incidents(include_closed=True):
        if name is not None and name not in summary.services:
            continue
        if only_missing and summary.phase is not Phase.RESOLVE:
            continue
        detail = incidents.get(summary.id)  # the timeline: a person may have flagged it #near-miss
        reasons = dc.postmortem_reasons(detail.snapshot, now, dc.flags_in(detail.timeline))
        state = dc.postmortem_state(detail.snapshot, reasons)
        if state is not None:
            out.append(dc.PostmortemDue(summary.ref, summary.title, tuple(reasons), state, summary.services))
    return out


def _write_new(folder: Path, stem: str, text: str) -> Path:
    """A new file, never over an old one (``-2``, ``-3``... when the name is taken)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            path = folder / (f"{stem}.yaml" if n == 1 else f"{stem}-{n}.yaml")
            try:
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(text)
                return path
            except FileExistsError:
                continue
    except OSError as exc:
        raise InvalidInput(f"Could not write to {folder}: {exc.strerror or exc}.") from None
    raise InvalidInput(f"Too many files named {stem} in {folder}; tidy the folder.")


def _updated_within(text: str, today: date) -> bool:
    try:
        return today - date.fromisoformat(str(text)[:10]) <= CURRENT_RUNBOOK
    except ValueError:
        return False


def _tier_order(catalog: Catalog) -> Callable[[str], tuple[int, str]]:
    order = {"critical": 0, "important": 1, "standard": 2, "experimental": 3}

    def key(name: str) -> tuple[int, str]:
        return order.get(catalog.services[name].tier, 9), name

    return key


def open_catalog(incidents: IncidentService, service_dirs: Sequence[Path], slo_dirs: Sequence[Path],
                 runbook_dirs: Sequence[Path]) -> CatalogService:
    """The catalog (``service_dirs`` or COCKPIT_SERVICE_DIRS) joined with the store, SLO files and runbooks (their
    own folders or environment variables), for the CLI and the screens alike."""
    from cockpit.service.runbooks import library_folders, load_library
    from cockpit.service.slo_files import load_library as load_slos
    from cockpit.service.slo_files import slo_folders

    return CatalogService(incidents, load_catalog(service_folders(service_dirs)), load_slos(slo_folders(slo_dirs)),
                          load_library(library_folders(runbook_dirs)))
