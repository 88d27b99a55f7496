"""After the incident: the handoff editor (saved as you type), the postmortem view, the monthly report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from markdown_it import MarkdownIt
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Markdown, Static, TextArea

from cockpit.domain import postmortem as pm
from cockpit.domain.handoff import SECTIONS, Handoff, check_acknowledge
from cockpit.domain.report import month_window
from cockpit.domain.report import to_markdown as report_md
from cockpit.errors import CockpitError
from cockpit.service.aftercare import Aftercare
from cockpit.service.handoffs import Handoffs
from cockpit.service.runbooks import library_folders, load_library
from cockpit.textsafe import literal
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.screens.dialogs import Confirm, CopyView, TextPrompt
from cockpit.tui.screens.header import IncidentHeaderScreen

SEPARATOR = " | "
SAVE_DELAY_S = 0.3


def section_text(items: list[dict[str, str]], fields: tuple[str, ...]) -> str:
    """One item per line, its fields separated by " | " (what the editor shows)."""
    return "\n".join(SEPARATOR.join(item.get(f, "") for f in fields).rstrip(" |") for item in items)


def parse_section(text: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|", len(fields) - 1)]
        items.append({f: parts[i] if i < len(parts) else "" for i, f in enumerate(fields)})
    return items


class HandoffScreen(Screen[None]):
    """The newest open handoff (a draft, or signed and waiting for the incoming engineer); ctrl+n starts a new one.

    What you type is written to a local draft file at once and to the database a moment later, when the focus
    leaves a section, and on quit: a crash, ctrl+q or a kill -9 loses nothing, and the next start restores it.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save now", id="handoff.save", priority=True),
        Binding("ctrl+g", "sign", "Sign off", id="handoff.sign", priority=True),
        Binding("ctrl+y", "acknowledge", "Acknowledge", id="handoff.ack", priority=True),
        Binding("ctrl+n", "new", "New handoff", id="handoff.new", priority=True),
        Binding("escape", "back", "Back", id="handoff.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.handoff: Handoff | None = None
        self.ready = False  # the newest open handoff (or none) has been looked up
        self._timer: Timer | None = None
        self._loading = True
        self._stored: dict[str, str] = {}

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="handoff-head")
        with VerticalScroll(id="handoff-form"):
            yield Label(Text("For (the incoming engineer, who acknowledges it)"), classes="section-title")
            yield Input(id="recipient", placeholder="name of the incoming on-call engineer")
            for key, title, fields in SECTIONS:
                yield Label(Text(f"{title}  ·  one per line: {SEPARATOR.join(fields)}"), classes="section-title")
                yield TextArea(id=f"section-{key}", soft_wrap=True, classes="section")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#handoff-form").display = False
        self.query_one("#handoff-head", Static).update(Text("On-call handoff · loading…", style="bold"))
        self.cockpit.call_service(lambda svc: Handoffs(svc).newest_open() or next(iter(Handoffs(svc).list()), None),
                                  self._show)

    # --- showing ------------------------------------------------------------------------
    def _show(self, handoff: Handoff | None) -> None:
        self.ready = True
        self.handoff = handoff
        form = self.query_one("#handoff-form")
        if handoff is None:
            form.display = False
            self.query_one("#handoff-head", Static).update(Text(
                "No handoff in progress. ctrl+n starts one, prefilled from the store: open incidents (most severe "
                "first), open action items, the last 7 days' changes, runbook updates, and the known risks of the "
                "previous handoff.", style="bold"))
            self.refresh_bindings()
            return
        form.display = True
        self._loading = True
        texts = self._stored_texts(handoff)
        restored = self._local_draft(handoff, texts)
        for key, _, _fields in SECTIONS:
            area = self.query_one(f"#section-{key}", TextArea)
            area.load_text((restored or texts)[key])
            area.read_only = handoff.state == "acknowledged"
        recipient = self.query_one("#recipient", Input)
        recipient.value = (restored or texts)["recipient"]
        recipient.disabled = handoff.state == "acknowledged"
        self._stored = texts  # what the database holds: a change event that brings nothing new saves nothing
        self._loading = False
        self._head("opened")
        self.refresh_bindings()
        if restored is not None:
            self.notify(f"{handoff.key}: restored what you typed that was not saved when the cockpit last stopped.")
            self.action_save()
        if handoff.state != "acknowledged":
            self.query_one("#section-open_issues", TextArea).focus()

    def _stored_texts(self, handoff: Handoff) -> dict[str, str]:
        texts = {key: section_text(handoff.sections.get(key, []), fields) for key, _, fields in SECTIONS}
        texts["recipient"] = handoff.recipient or ""
        return texts

    def _local_draft(self, handoff: Handoff, stored: dict[str, str]) -> dict[str, str] | None:
        """Typing kept in the local draft file that the database does not hold yet."""
        if handoff.state == "acknowledged":
            self.cockpit.drafts.clear(f"handoff-{handoff.key}")
            return None
        data = self.cockpit.drafts.read(f"handoff-{handoff.key}")
        texts = data.get("texts") if data else None
        if not isinstance(texts, dict) or not all(isinstance(texts.get(k), str) for k in stored):
            return None
        if all(texts[k] == stored[k] for k in stored):
            self.cockpit.drafts.clear(f"handoff-{handoff.key}")
            return None
        return {k: str(texts[k]) for k in stored}

    def _head(self, note: str) -> None:
        h = self.handoff
        if h is None:
            return
        state = {"draft": "draft — ctrl+g signs it off", "signed": f"signed off by {h.author} — the incoming "
                 "engineer acknowledges with ctrl+y", "acknowledged": f"acknowledged by {h.acknowledged_by} — "
                 "ctrl+n starts the next handoff"}[h.state]
        minutes = self.cockpit.config.handoff_ack_minutes
        flag = (f"  ⚠ NOT ACKNOWLEDGED within {minutes} min"
                if h.overdue_ack(self.cockpit.clock(), timedelta(minutes=minutes)) else "")
        whom = f" for {h.recipient}" if h.recipient else ""
        self.query_one("#handoff-head", Static).update(
            Text(f"On-call handoff {h.key} from {literal(h.author)}{literal(whom)} · {literal(state)} · "
                 f"{note}{flag}", style="bold"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "sign", "acknowledge"):
            return self.handoff is not None and self.handoff.state != "acknowledged"
        return True

    # --- saving -------------------------------------------------------------------------
    def _texts(self) -> dict[str, str]:
        texts = {key: self.query_one(f"#section-{key}", TextArea).text for key, _, _ in SECTIONS}
        texts["recipient"] = self.query_one("#recipient", Input).value
        return texts

    def _sections(self, texts: dict[str, str]) -> dict[str, list[dict[str, str]]]:
        return {key: parse_section(texts[key], fields) for key, _, fields in SECTIONS}

    def _editable(self) -> bool:
        return not self._loading and self.handoff is not None and self.handoff.state != "acknowledged"

    def _changed(self) -> None:
        """A keystroke: into the local draft now (synchronously), into the database a moment later."""
        if not self._editable():
            return
        assert self.handoff is not None
        if self._texts() == self._stored:
            return
        if not self.cockpit.drafts.write(f"handoff-{self.handoff.key}", {"texts": self._texts()}):
            self._head("⚠ the local draft folder is not writable; saving to the database only")
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SAVE_DELAY_S, self.action_save)

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        self._changed()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "recipient":
            self._changed()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """Leaving a section saves it at once."""
        if isinstance(event.widget, TextArea | Input) and self._editable() and self._texts() != self._stored:
            self.action_save()

    def action_save(self) -> None:
        if not self._editable():
            return
        assert self.handoff is not None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        key, texts = self.handoff.key, self._texts()
        sections, recipient = self._sections(texts), texts["recipient"]
        self.cockpit.call_service(lambda svc: Handoffs(svc).save(key, sections, recipient),
                                  lambda saved: self._saved(saved, texts), group="handoff-save")

    def flush_unsaved(self) -> None:
        """On quit: store what is on screen now, on this thread (the local draft already holds it if this fails)."""
        if not self._editable() or self._texts() == self._stored:
            return
        assert self.handoff is not None
        texts = self._texts()
        Handoffs(self.cockpit.service).save(self.handoff.key, self._sections(texts), texts["recipient"])
        self.cockpit.drafts.clear(f"handoff-{self.handoff.key}")

    def _saved(self, handoff: Handoff, texts: dict[str, str]) -> None:
        self.handoff = handoff
        self._stored = texts
        if self._texts() == texts:  # nothing typed since: the database holds everything
            self.cockpit.drafts.clear(f"handoff-{handoff.key}")
        self._head(f"saved {handoff.updated_at.astimezone(UTC):%H:%M:%S}Z")

    # --- sign, acknowledge, new -----------------------------------------------------------------
    def action_sign(self) -> None:
        h = self.handoff
        if h is None:
            return
        if h.state != "draft":
            self.notify(f"{h.key} is already signed off.", severity="warning")
            return
        texts = self._texts()
        key, sections, recipient = h.key, self._sections(texts), texts["recipient"]
        whom = f"to {recipient.strip()}" if recipient.strip() else "to the incoming engineer"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(
                    lambda svc: (Handoffs(svc).save(key, sections, recipient), Handoffs(svc).sign(key))[1],
                    self._signed)

        self.app.push_screen(Confirm(f"Sign off {key} as {self.cockpit.responder}, handing over {whom}? They then "
                                     "acknowledge it."), confirmed)

    def _signed(self, handoff: Handoff) -> None:
        self.handoff = handoff
        self.cockpit.drafts.clear(f"handoff-{handoff.key}")
        self.notify(f"{handoff.key} signed off.")
        self._head("signed")

    def action_acknowledge(self) -> None:
        h = self.handoff
        if h is None:
            return
        try:  # say what stands in the way before asking anything
            check_acknowledge(h, self.cockpit.responder)
        except CockpitError as exc:
            self.notify(str(exc), severity="warning", timeout=10)
            return
        key = h.key

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: Handoffs(svc).acknowledge(key), self._acknowledged)

        self.app.push_screen(Confirm(f"{self.cockpit.responder}: acknowledge {key} from {h.author} — you have read "
                                     "it and take the pager?"), confirmed)

    def _acknowledged(self, handoff: Handoff) -> None:
        self._show(handoff)
        self.notify(f"{handoff.key} acknowledged by {handoff.acknowledged_by}.")

    def action_new(self) -> None:
        """A new handoff, prefilled: an explicit choice, never a side effect of opening this screen."""
        if self._editable():
            self.action_save()
        folders = library_folders(self.cockpit.config.runbook_dirs)
        self.cockpit.call_service(lambda svc: Handoffs(svc).draft(load_library(folders).runbooks), self._made)

    def _made(self, handoff: Handoff) -> None:
        self.notify(f"{handoff.key} started" + (f" for {handoff.recipient}." if handoff.recipient else "."))
        self._show(handoff)

    def action_back(self) -> None:
        if self._editable():
            self.action_save()
        self.app.pop_screen()


def safe_markdown() -> MarkdownIt:
    """The parser for shown Markdown: no raw HTML, so text from people and trackers stays text."""
    return MarkdownIt("gfm-like", {"html": False})


class PostmortemScreen(IncidentHeaderScreen):
    """The postmortem draft of one incident, rendered, with the blameless check; y copies the Markdown."""

    BINDINGS = [
        Binding("y", "copy", "Copy Markdown", id="postmortem.copy"),
        Binding("f", "toggle_full", "Full/quick", id="postmortem.full"),
        Binding("a", "accept", "Accept proposed", id="postmortem.accept"),
        Binding("n", "new_action", "New action", id="postmortem.new_action"),
        Binding("d", "done", "Action done", id="postmortem.done"),
        Binding("M", "meeting", "Meeting", id="postmortem.meeting"),
        Binding("escape", "back", "Back", id="postmortem.back"),
    ]

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.full: bool | None = None
        self.markdown = ""
        self.draft: pm.Postmortem | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="pm-head")
        with VerticalScroll(id="pm-body"):
            yield Markdown(id="pm-text", parser_factory=safe_markdown, open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.start_header()
        self._load()

    def _load(self) -> None:
        full = self.full
        self.cockpit.call_service(lambda svc: Aftercare(svc).postmortem(self.incident_id, full=full), self._show)

    def _show(self, draft: pm.Postmortem) -> None:
        self.draft = draft
        self.markdown = pm.to_markdown(draft)
        head = Text(f"Postmortem draft · {draft.severity} · {'quick' if draft.quick else 'full'} template",
                    style="bold")
        if draft.unresolved:
            head.append(" · DRAFT OF AN UNRESOLVED INCIDENT", style="bold reverse")
        if draft.blame_flags:
            head.append(f" · blameless check: {len(draft.blame_flags)} sentence(s) to reframe")
        self.query_one("#pm-head", Static).update(head)
        self.query_one("#pm-text", Markdown).update(literal(self.markdown))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.markdown)
        self.app.push_screen(CopyView("Postmortem Markdown (also: cockpit postmortem REF)", self.markdown))

    def _changed(self, message: str) -> None:
        self.notify(message)
        self._load()

    def action_accept(self) -> None:
        """Store every proposed action item (from action entries) as a real one."""
        proposed = [a for a in (self.draft.action_items if self.draft else []) if a.proposed]
        if not proposed:
            self.notify("No proposed action items left.", severity="warning")
            return
        listing = "\n".join(pm.action_entry_text(a) for a in proposed)
        incident_id = self.incident_id

        def accept(svc: Any) -> int:
            return len(Aftercare(svc).accept_proposed(incident_id))

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(accept, lambda n: self._changed(f"{n} action item(s) added."))

        self.app.push_screen(Confirm(f"Accept {len(proposed)} proposed action item(s) as real ones (owner, priority "
                                     "and due date: cockpit action add/list)?", writes=listing), confirmed)

    def action_new_action(self) -> None:
        def made(text: str | None) -> None:
            if text:
                self.cockpit.call_service(lambda svc: Aftercare(svc).add_action(text, query=self.incident_id),
                                          lambda item: self._changed(f"{item.key} added."))

        self.app.push_screen(TextPrompt("New action item (owner, priority and date: cockpit action add)",
                                        "what must change"), made)

    def action_done(self) -> None:
        def done(key: str | None) -> None:
            if key:
                self.cockpit.call_service(lambda svc: Aftercare(svc).set_status(key, "done"),
                                          lambda item: self._changed(f"{item.key} done."))

        self.app.push_screen(TextPrompt("Mark which action item done?", "AI-001"), done)

    def action_meeting(self) -> None:
        from cockpit.tui.screens.meeting import MeetingScreen

        title = f"Postmortem: {self.draft.title}" if self.draft is not None else ""
        self.app.push_screen(MeetingScreen(self.incident_id, title))

    def action_toggle_full(self) -> None:
        self.full = not (self.full if self.full is not None else "Quick Postmortem" not in self.markdown)
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()


SEV_BLOCKS = {"SEV1": "█", "SEV2": "▓", "SEV3": "▒", "SEV4": "░"}
_SEV_COLOURS = {"SEV1": "red", "SEV2": "dark_orange", "SEV3": "yellow", "SEV4": "blue"}


def chart(weeks: list[dict[str, Any]], colours: dict[str, str] | None = None) -> Text:
    """Incidents per week, one bar per week, each severity its own pattern and colour (the legend too), with
    counts written out, so the chart reads without colour."""
    colours = colours or _SEV_COLOURS
    text = Text()
    for week in weeks:
        text.append(f"{week['week_of']} ")
        for sev in ("SEV1", "SEV2", "SEV3", "SEV4"):
            text.append(SEV_BLOCKS[sev] * 2 * int(week[sev]), style=f"bold {colours[sev]}")
        counts = " ".join(f"{sev} {week[sev]}" for sev in ("SEV1", "SEV2", "SEV3", "SEV4") if week[sev])
        text.append(f"  {counts or 'none'}\n")
    text.append("legend: ")
    for sev, glyph in SEV_BLOCKS.items():
        text.append(glyph * 2, style=f"bold {colours[sev]}")
        text.append(f" {sev}  ")
    text.rstrip()
    return text


class ReportScreen(Screen[None]):
    """The monthly reliability report, rendered, with a chart of incidents per week; ←/→ or g pick the month."""

    BINDINGS = [
        Binding("left", "month(-1)", "Previous month", id="report.previous"),
        Binding("right", "month(1)", "Next month", id="report.next"),
        Binding("g", "go_to_month", "Go to month", id="report.go"),
        Binding("t", "this_month", "This month", id="report.this_month"),
        Binding("escape", "back", "Back", id="report.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.year, self.month = 0, 0

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="report-month")
        with VerticalScroll(id="report-body"):
            yield Static(id="report-chart")
            yield Markdown(id="report-text", parser_factory=safe_markdown, open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.action_this_month()

    def _load(self) -> None:
        period = f"{self.year:04d}-{self.month:02d}"
        today = self.cockpit.clock().date()
        name = datetime(self.year, self.month, 1).strftime("%B %Y")
        picker = Text(" ◀ ← ", style="bold")
        picker.append(f" {name} ", style="bold reverse")
        picker.append(" → ▶", style="bold")
        picker.append("   g goes to a month (YYYY-MM) · t this month")
        self.query_one("#report-month", Static).update(picker)
        self.cockpit.call_service(lambda svc: Aftercare(svc).monthly_report(period, today), self._show)

    def _show(self, data: dict[str, Any]) -> None:
        body = data["monthly_report"]
        title = Text(f"Incidents per week, {body['period']}\n", style="bold")
        variables = self.app.theme_variables
        title.append_text(chart(body["weekly_incidents"],
                                {f"SEV{n}": variables.get(f"sev{n}", _SEV_COLOURS[f"SEV{n}"]) for n in range(1, 5)}))
        self.query_one("#report-chart", Static).update(title)
        self.query_one("#report-text", Markdown).update(literal(report_md(data)))

    def action_month(self, step: int) -> None:
        index = self.year * 12 + (self.month - 1) + step
        self.year, self.month = divmod(index, 12)
        self.month += 1
        self._load()

    def action_this_month(self) -> None:
        today = self.cockpit.clock().date()
        self.year, self.month = today.year, today.month
        self._load()

    def action_go_to_month(self) -> None:
        def chosen(text: str | None) -> None:
            if not text:
                return
            try:
                start, _ = month_window(text)
            except CockpitError as exc:
                self.notify(str(exc), severity="error")
                return
            self.year, self.month = start.year, start.month
            self._load()

        self.app.push_screen(TextPrompt("Go to month", "YYYY-MM, for example 2026-10",
                                        f"{self.year:04d}-{self.month:02d}"), chosen)

    def action_back(self) -> None:
        self.app.pop_screen()
