"""The services screen (V): the catalog with tier, owner, rotation, budget state, open and last incidents,
readiness and maturity; the selected service's details below (dependencies and their open incidents, the
multi-region guide, the assessment trend, required postmortems); r walks its production readiness review.
The weekly SRE review (W) is here too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import DataTable, Markdown, Static
from textual.widgets.data_table import ColumnKey

from cockpit.domain import readiness as rd
from cockpit.domain.weekly import to_markdown as weekly_md
from cockpit.domain.weekly import week_label, week_window
from cockpit.errors import CockpitError
from cockpit.service.catalog import CatalogService, ServiceView, open_catalog
from cockpit.service.incidents import IncidentService
from cockpit.textsafe import control_characters, literal, one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.screens.dialogs import Confirm, CopyView, TextPrompt


def catalog_for(app: CockpitHost, svc: IncidentService) -> CatalogService:
    """The catalog joined with the store (run in a worker: it reads files)."""
    config = app.config
    return open_catalog(svc, config.service_dirs, config.slo_dirs, config.runbook_dirs)


NO_CATALOG = ("No service catalog: add service_dirs to the config file (or set COCKPIT_SERVICE_DIRS); "
              "`cockpit demo` shows the sample one.")
#: (label, width); narrow terminals keep the first ones, the details below always show everything.
#: Each width is the longest sample value plus one column of gap.
COLUMNS: tuple[tuple[str, int], ...] = (("SERVICE", 22), ("TIER", 10), ("BUDGET", 10), ("OPEN", 8),
                                        ("READINESS", 13), ("MATURITY", 9), ("OWNER", 14), ("ROTATION", 19),
                                        ("LAST", 11))


class ServicesScreen(Screen[None]):
    DEFAULT_CSS = """
    ServicesScreen #services-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    ServicesScreen #services { height: 12; max-height: 50%; }
    ServicesScreen #service-detail { height: 1fr; border-top: solid $primary; padding: 0 1; }
    """

    BINDINGS = [
        Binding("r", "readiness", "Readiness walk", id="services.readiness"),
        Binding("y", "copy", "Copy details", id="services.copy"),
        Binding("escape", "back", "Back", id="services.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.views: list[ServiceView] = []
        self.problems: list[str] = []

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(Text("Services · ↑↓ picks one · r walks its readiness review · W weekly review"),
                     id="services-title")
        table: DataTable[Text] = DataTable(id="services", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield table
        with VerticalScroll(id="service-detail"):
            yield Static(id="service-text")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self._add_columns()
        self.load()
        self.query_one(DataTable).focus()

    def load(self) -> None:
        def work(svc: IncidentService) -> tuple[list[ServiceView], list[str]]:
            catalog = catalog_for(self.cockpit, svc)
            return catalog.views(), [str(p) for p in catalog.catalog.problems]

        self.cockpit.call_service(work, self._loaded)

    def _columns(self) -> tuple[tuple[str, int], ...]:
        room = self.size.width - 2 if self.size.width else 80
        shown, used = [], 0
        for label, width in COLUMNS:
            if used + width > room:
                break
            shown.append((label, width))
            used += width
        return tuple(shown)

    def _add_columns(self) -> None:
        table = self.query_one(DataTable)
        for label, width in self._columns():
            table.add_column(label, key=label, width=width)

    def on_resize(self) -> None:
        table = self.query_one(DataTable)
        if len(table.columns) != len(self._columns()) or ColumnKey("SERVICE") not in table.columns:
            table.clear(columns=True)
            self._add_columns()
            self._fill()

    def _loaded(self, result: tuple[list[ServiceView], list[str]]) -> None:
        self.views, self.problems = result
        if self.problems:
            self.notify(f"{len(self.problems)} problem(s) in the catalog files; first: {self.problems[0]}",
                        severity="warning", timeout=10)
        self._fill()

    def _cells(self, view: ServiceView) -> dict[str, Text]:
        row = view.row
        e = row.entry
        worst = min((s for _r, _t, s in row.open_incidents), default=None)
        open_text = Text("none") if worst is None else Text(
            f"{len(row.open_incidents)} {worst.label}", style="bold reverse" if worst.value <= 2 else "bold")
        maturity = "—" if row.maturity is None else f"{row.maturity}/40"
        return {"SERVICE": Text(one_line(e.name)), "TIER": Text(e.tier), "BUDGET": Text(row.budget_state or "—"),
                "OPEN": open_text, "READINESS": Text(_short_readiness(row.readiness)), "MATURITY": Text(maturity),
                "OWNER": Text(one_line(e.owner_team)), "ROTATION": Text(one_line(e.oncall_rotation)),
                "LAST": Text(f"{row.last_incident:%Y-%m-%d}" if row.last_incident else "never")}

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        selected = table.cursor_row
        table.clear()
        labels = [label for label, _ in self._columns()]
        for view in self.views:
            cells = self._cells(view)
            table.add_row(*[cells[label] for label in labels], key=view.row.entry.name)
        if self.views:
            table.move_cursor(row=min(max(selected, 0), len(self.views) - 1))
            self._show(self.views[table.cursor_row])
        else:
            self.query_one("#service-text", Static).update(Text(NO_CATALOG))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.views):
            self._show(self.views[event.cursor_row])

    def selected(self) -> ServiceView | None:
        row = self.query_one(DataTable).cursor_row
        return self.views[row] if 0 <= row < len(self.views) else None

    def _show(self, view: ServiceView) -> None:
        self.query_one("#service-text", Static).update(detail_text(view))

    def action_readiness(self) -> None:
        view = self.selected()
        if view is None:
            self.notify(NO_CATALOG, severity="warning")
            return
        self.app.push_screen(ReadinessScreen(view.row.entry.name))

    def action_copy(self) -> None:
        view = self.selected()
        if view is not None:
            text = detail_text(view).plain
            self.app.copy_to_clipboard(text)
            self.app.push_screen(CopyView(f"{view.row.entry.name} (also: cockpit service show NAME)", text))

    def action_back(self) -> None:
        self.app.pop_screen()


def _short_readiness(status: str) -> str:
    if status.startswith("not ready"):
        return "NOT READY"
    if status.startswith("incomplete"):
        return "incomplete"
    return status


def detail_text(view: ServiceView) -> Text:
    row, e = view.row, view.row.entry
    text = Text()
    text.append(f"{one_line(e.name)}", style="bold")
    text.append(f" ({e.tier}) · owner {one_line(e.owner_team)} · on-call {one_line(e.oncall_rotation)}\n")
    facts = [f"{label} {one_line(value)}" for label, value in (
        ("data", e.data_classification), ("deploys", e.deployment_frequency), ("arch", e.architecture),
        ("lang", e.language), ("infra", e.infra), ("traffic", e.traffic_pattern)) if value]
    text.append(" · ".join(facts) + f" · peak {e.peak_rps:g} rps\n")
    text.append(f"Calls: {', '.join(e.upstream) or '—'} · called by: {', '.join(e.downstream) or '—'}\n")
    for line in view.neighbours:
        text.append(f"! {one_line(line)}\n", style="bold")
    opened = ", ".join(f"{s.label} {ref} {one_line(title)}" for ref, title, s in row.open_incidents) or "none"
    last = f"{row.last_incident:%Y-%m-%d}" if row.last_incident else "never"
    text.append(f"Open incidents: {opened} · last incident {last}\n")
    text.append(f"Error budget: {row.budget_state or 'no figures (SLO files + a Prometheus source)'}\n")
    if view.region is None:
        text.append("Multi-region: no SLO target (no SLO file names this service)\n")
    else:
        r = view.region
        text.append(f"Multi-region (SLO {view.slo_target:g}%, {r.rule}): {r.strategy} · complexity {r.complexity} · "
                    f"RTO {r.rto} · cost {r.cost}\n")
    text.append(f"Maturity: {view.trend}\n")
    if view.latest is not None:
        band, advice = view.latest.band
        text.append(f"  {band}: {advice} · quality {view.latest.quality:g}/100\n")
    if view.review is None:
        text.append("Readiness: not reviewed (r walks the checklist)\n")
    else:
        text.append(f"Readiness: {view.review.status} · {view.review.on.isoformat()} by "
                    f"{one_line(view.review.reviewer) or '?'}\n")
        for check in view.review.failing:
            text.append(f"  FAIL {check.category}: {check.text}\n")
    for due in view.postmortems:
        style = "bold reverse" if due.state == "missing" else ""
        text.append(f"Postmortem {due.state.upper() if due.state == 'missing' else due.state}: ", style=style)
        text.append(f"{due.ref} {one_line(due.title)} ({'; '.join(due.reasons)})\n")
    text.rstrip()
    return text


# --- the readiness walk ---------------------------------------------------------------------------------
STATUS_KEYS = {"pass": "pass", "fail": "fail", "na": "n/a"}


class ReadinessScreen(Screen[None]):
    """The production readiness review walked item by item: p pass, f fail, n n/a, e evidence; items the store
    can check arrive pre-filled (marked ?) for the reviewer to confirm. ctrl+s writes the file after asking."""

    DEFAULT_CSS = """
    ReadinessScreen #prr-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    ReadinessScreen #prr-items { height: 1fr; }
    ReadinessScreen #prr-item { height: auto; max-height: 7; border-top: solid $primary; padding: 0 1; }
    """

    BINDINGS = [
        Binding("p", "verdict('pass')", "Pass", id="readiness.pass"),
        Binding("f", "verdict('fail')", "Fail", id="readiness.fail"),
        Binding("n", "verdict('na')", "N/A", id="readiness.na"),
        Binding("e", "evidence", "Evidence", id="readiness.evidence"),
        Binding("ctrl+s", "save", "Save file", id="readiness.save", priority=True),
        Binding("y", "copy", "Copy Markdown", id="readiness.copy"),
        Binding("escape", "back", "Back", id="readiness.back"),
    ]

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self.review: rd.Review | None = None
        self.catalog: CatalogService | None = None
        self.changed = False
        self.saved_to: str | None = None

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="prr-title")
        table: DataTable[Text] = DataTable(id="prr-items", cursor_type="row", cell_padding=0)
        yield table
        yield Static(id="prr-item")
        yield CockpitFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("", key="STATUS", width=7)
        table.add_column("", key="CAT", width=11)
        table.add_column("", key="CHECK", width=max(20, self.size.width - 20))
        table.show_header = False
        table.focus()

        def work(svc: IncidentService) -> tuple[CatalogService, rd.Review]:
            catalog = catalog_for(self.cockpit, svc)
            return catalog, catalog.readiness_start(self.service, self.cockpit.responder)

        self.cockpit.call_service(work, self._loaded)

    def _loaded(self, result: tuple[CatalogService, rd.Review]) -> None:
        self.catalog, self.review = result
        table = self.query_one(DataTable)
        for check in rd.CHECKLIST:
            table.add_row(*self._cells(check), key=check.id)
        self._show()

    def _cells(self, check: rd.Check) -> list[Text]:
        assert self.review is not None
        answer = self.review.answers.get(check.id)
        if answer is None:
            status = Text("  —  ")
        else:
            word = {"pass": "PASS", "fail": "FAIL", "n/a": "N/A"}[answer.status] + ("?" if answer.prefilled else "")
            status = Text(f" {word:<5}", style="bold reverse" if answer.status == "fail" else "bold")
        return [status, Text(check.category), Text(check.text)]

    def current(self) -> rd.Check | None:
        row = self.query_one(DataTable).cursor_row
        return rd.CHECKLIST[row] if self.review is not None and 0 <= row < len(rd.CHECKLIST) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show()

    def _show(self) -> None:
        review, check = self.review, self.current()
        if review is None or check is None:
            return
        answered = len(rd.CHECKLIST) - len(review.unanswered)
        pending = sum(1 for a in review.answers.values() if a.prefilled)
        title = Text(f"{self.service}: {review.status} · item {rd.CHECKLIST.index(check) + 1}/{len(rd.CHECKLIST)} · "
                     f"{answered} answered, {pending} to confirm (?)" + (" · unsaved" if self.changed else ""),
                     no_wrap=True, overflow="ellipsis")
        self.query_one("#prr-title", Static).update(title)
        answer = review.answers.get(check.id)
        text = Text()
        text.append(f"{check.category}: {check.text}\n", style="bold")
        if answer is None:
            text.append("Not answered: p pass · f fail · n n/a (then e adds the evidence)")
        else:
            origin = "pre-filled from the store: p/f/n confirms it" if answer.prefilled else "answered"
            text.append(f"{answer.status.upper()} ({origin})\nEvidence: ")
            text.append(answer.evidence or "none yet: e adds it")
        self.query_one("#prr-item", Static).update(text)

    def _update_row(self, check: rd.Check) -> None:
        table = self.query_one(DataTable)
        for column, cell in zip(("STATUS", "CAT", "CHECK"), self._cells(check), strict=True):
            table.update_cell(check.id, column, cell)

    def action_verdict(self, key: str) -> None:
        review, check = self.review, self.current()
        if review is None or check is None:
            return
        status = STATUS_KEYS[key]
        old = review.answers.get(check.id)
        evidence = old.evidence if old is not None else ""
        review.answers[check.id] = rd.Answer(status, evidence)
        self.changed = True
        self._update_row(check)
        self._show()
        if status in ("pass", "fail") and (not evidence or (old is not None and old.status != status)):
            self.action_evidence(then_next=True)  # a new verdict asks for its evidence (the old one offered)
        else:
            self._next()

    def _next(self) -> None:
        table = self.query_one(DataTable)
        if table.cursor_row < len(rd.CHECKLIST) - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_evidence(self, then_next: bool = False) -> None:
        review, check = self.review, self.current()
        if review is None or check is None:
            return
        old = review.answers.get(check.id)
        if old is None:
            self.notify("Answer it first: p pass, f fail, n n/a.", severity="warning")
            return

        def typed(text: str | None) -> None:
            if text is None or self.review is None:
                return
            if found := control_characters(text):  # the file would not read back
                self.notify(f"The evidence contains a control character ({found}); type it as plain text.",
                            severity="error")
                return
            current = self.review.answers[check.id]
            self.review.answers[check.id] = rd.Answer(current.status, " ".join(text.split()))
            self.changed = True
            self._update_row(check)
            self._show()
            if then_next:
                self._next()

        self.app.push_screen(TextPrompt(f"Evidence for “{check.text}” ({old.status})",
                                        "what shows it: a link, a ticket, a date", old.evidence), typed)

    def _to_write(self) -> rd.Review:
        assert self.review is not None
        confirmed = {k: a for k, a in self.review.answers.items() if not a.prefilled}
        return rd.Review(self.review.service, self.cockpit.clock().date(), self.cockpit.responder, confirmed)

    def action_save(self) -> None:
        if self.review is None or self.catalog is None:
            return
        made = self._to_write()
        missing = [c.text for c in rd.CHECKLIST if c.id in made.answers and made.answers[c.id].status != "n/a"
                   and not made.answers[c.id].evidence]
        if missing:
            self.notify(f"{len(missing)} answer(s) need an evidence note first (e): {missing[0]}", severity="error")
            return
        if not made.answers:
            self.notify("Nothing confirmed yet: p, f or n on an item answers it.", severity="warning")
            return
        left_out = sum(1 for a in self.review.answers.values() if a.prefilled)
        folder = self.catalog.folder_of(self.service) / "readiness"
        question = (f"Write the readiness review of {self.service} ({len(made.answers)} of {len(rd.CHECKLIST)} "
                    f"answered, {made.status}) as a new file in {folder}?"
                    + (f" {left_out} pre-filled item(s) not confirmed are left out." if left_out else ""))
        catalog = self.catalog

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                path = catalog.write_review(made)
            except CockpitError as exc:
                self.notify(str(exc), severity="error")
                return
            self.changed = False
            self.saved_to = str(path)
            self.notify(f"Written to {path}; commit it with the team's repository.")
            self._show()

        self.app.push_screen(Confirm(question), confirmed)

    def action_copy(self) -> None:
        if self.review is None:
            return
        text = rd.to_markdown(self.review)
        self.app.copy_to_clipboard(text)
        self.app.push_screen(CopyView("Readiness review Markdown (also: cockpit prr SERVICE --format md)", text))

    def action_back(self) -> None:
        if not self.changed:
            self.app.pop_screen()
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        self.app.push_screen(Confirm("Leave the readiness walk? The answers given here are not saved (ctrl+s "
                                     "writes them)."), confirmed)


# --- the weekly SRE review ------------------------------------------------------------------------------
class WeeklyScreen(Screen[None]):
    """The seed's weekly SRE review agenda for one ISO week, from the store; ←/→ move a week, g goes to one."""

    DEFAULT_CSS = """
    WeeklyScreen #weekly-week { height: 1; background: $panel; padding: 0 1; }
    WeeklyScreen #weekly-body { height: 1fr; }
    """

    BINDINGS = [
        Binding("left", "week(-1)", "Previous week", id="weekly.previous"),
        Binding("right", "week(1)", "Next week", id="weekly.next"),
        Binding("g", "go_to_week", "Go to week", id="weekly.go"),
        Binding("t", "this_week", "This week", id="weekly.this_week"),
        Binding("y", "copy", "Copy Markdown", id="weekly.copy"),
        Binding("escape", "back", "Back", id="weekly.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.label = ""
        self.markdown = ""

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="weekly-week")
        with VerticalScroll(id="weekly-body"):
            from cockpit.tui.markdown import safe_markdown

            yield Markdown(id="weekly-text", parser_factory=safe_markdown, open_links=False)
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.action_this_week()

    def _load(self) -> None:
        from cockpit.service.reviews import Reviews

        label, today = self.label, self.cockpit.clock().date()
        start, end = week_window(label)
        picker = Text(" ◀ ← ", style="bold")
        picker.append(f" {label} ({start:%d %b} – {end - timedelta(days=1):%d %b %Y}) ", style="bold reverse")
        picker.append(" → ▶", style="bold")
        picker.append("   g goes to a week · t this week")
        self.query_one("#weekly-week", Static).update(picker)
        self.cockpit.call_service(lambda svc: Reviews(catalog_for(self.cockpit, svc)).weekly(label, today),
                                  self._show)

    def _show(self, data: dict[str, Any]) -> None:
        self.markdown = weekly_md(data)
        self.query_one("#weekly-text", Markdown).update(literal(self.markdown))

    def action_week(self, step: int) -> None:
        start, _ = week_window(self.label)
        self.label = week_label((start + timedelta(days=7 * step)).date())
        self._load()

    def action_this_week(self) -> None:
        self.label = week_label(self.cockpit.clock().date())
        self._load()

    def action_go_to_week(self) -> None:
        def chosen(text: str | None) -> None:
            if not text:
                return
            try:
                week_window(text)
            except CockpitError as exc:
                self.notify(str(exc), severity="error")
                return
            self.label = text.strip()
            self._load()

        self.app.push_screen(TextPrompt("Go to week", "YYYY-Www, for example 2026-W48", self.label), chosen)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.markdown)
        self.app.push_screen(CopyView("Weekly review Markdown (also: cockpit review weekly)", self.markdown))

    def action_back(self) -> None:
        self.app.pop_screen()


class ServiceSuggester(Suggester):
    """Completes the service being typed in a comma-separated list from the catalog's names (→ accepts)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.names = sorted(names)

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed:
            return None
        taken = {p.strip() for p in head.split(",")}
        for name in self.names:
            if name.startswith(typed.lower()) and name != typed and name not in taken:
                return value[: len(value) - len(typed)] + name
        return None


def catalog_names(app: CockpitHost, svc: IncidentService) -> list[str]:
    from cockpit.service.catalog import load_catalog, service_folders

    return sorted(load_catalog(service_folders(app.config.service_dirs)).services)
