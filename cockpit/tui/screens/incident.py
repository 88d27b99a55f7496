"""The incident commander's main screen: status line, phase bar, timeline, role board, severity matrix."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from cockpit.domain.incident import LOCAL_MARK
from cockpit.domain.lifecycle import PHASE_STATUS, Phase, plan_transition
from cockpit.domain.roles import Role
from cockpit.domain.severity import Severity, classify
from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentDetail
from cockpit.textsafe import is_number_text, literal, one_line
from cockpit.tui.fields import Field
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.panes.budget import ErrorBudgetPane
from cockpit.tui.panes.phase import PhaseBar
from cockpit.tui.panes.roles import RolesPane
from cockpit.tui.panes.severity import SeverityPane
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.panes.timeline import KIND_CHOICES, TimelineView
from cockpit.tui.screens.dialogs import Confirm, EntryDetail, PickSeveral, TextPrompt, entry_facts

if TYPE_CHECKING:
    from cockpit.domain.incident import Entry
    from cockpit.service.incidents import IncidentService
    from cockpit.service.role_watch import RoleWatchState
    from cockpit.service.runs import RunState

#: How many of the newest entries the first frame reads; the older ones follow in the background (issue #19).
NEWEST_FIRST = 500

#: Quick prefixes in the entry line: "/d Roll back" logs a decision.
PREFIXES: dict[str, str] = {"/d": "decision", "/a": "action", "/s": "status", "/n": "note", "/c": "change",
                            "/p": "deploy"}


def parse_entry_line(line: str) -> tuple[str, str]:
    """Split "/d text" into (kind, text); no prefix means a note."""
    stripped = line.strip()
    head, _, rest = stripped.partition(" ")
    if head.lower() in PREFIXES:
        return PREFIXES[head.lower()], rest.strip()
    if stripped.startswith("/") and len(head) == 2:
        known = ", ".join(f"{p} {k}" for p, k in PREFIXES.items())
        raise InvalidInput(f"'{head}' is not a prefix: use {known}.")
    return "note", stripped


class EntryLine(Field):
    """The entry line. Textual's Input sets its scrollable width on every keystroke and on clearing, and that size
    lays the whole screen out (at 120×40 most of the time between a key and the frame showing it). The line has
    no scrollbar and a fixed height, so its scrolling needs no layout: the size is kept without one.

    While an entry is being stored the line keeps its words (a refused write leaves them there), and the keys
    typed behind them are held, then applied in order once the entry is stored: the next line does not run onto
    the end of the one being stored, and its Enter is not lost."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, *args: Any, keep: Callable[[str, str], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[events.Key | events.Paste] | None = None
        self._keep = keep  # given the line and the held text when the line closes with keys held

    def on_unmount(self) -> None:
        if self._keep is not None and (held := self.held_text()):
            self._keep(self.value, held)

    def hold(self) -> None:
        """Hold the keys typed from now on (an entry is being stored)."""
        if self._held is None:
            self._held = []

    def held_text(self) -> str:
        """What the held keys would type (an Enter as a space): kept as a draft when the cockpit quits or the screen
        closes before the entry is stored."""
        parts: list[str] = []
        for event in self._held or []:
            if isinstance(event, events.Paste):
                parts.append(event.text.splitlines()[0] if event.text else "")
            elif event.key == "enter":
                parts.append(" ")
            elif event.is_printable and event.character:
                parts.append(event.character)
        return "".join(parts).strip()

    def take_held_text(self) -> str:
        """The held keys' text (see held_text), no longer held: the screen keeps it elsewhere."""
        text, self._held = self.held_text(), None
        return text

    def release(self, *, with_enter: bool) -> None:
        """Apply the held keys in the order they were typed, each as the key it was (a binding of the screen or
        the app, such as Esc or ctrl+l, acts as it would have). Behind a refused entry they go in without their
        Enters (a later line would otherwise be logged before the refused one), after a space."""
        held, self._held = self._held or [], None
        typed = any(isinstance(e, events.Paste) or e.is_printable for e in held)
        if not with_enter and typed and self.value[-1:].strip() and self.cursor_position == len(self.value):
            self.insert_text_at_cursor(" ")  # the refused words and the line typed behind them stay apart
        for event in held:
            if isinstance(event, events.Paste):
                again: events.Key | events.Paste = events.Paste(event.text)
            elif with_enter or event.key != "enter":
                again = events.Key(event.key, event.character)
            else:
                continue
            # as the app hands on a key from the terminal: it comes back up to the bindings if the line leaves it
            self._forward_event(again.set_sender(self.app))

    async def on_key(self, event: events.Key) -> None:
        if self._held is not None:
            self._held.append(event)
            event.stop()
            event.prevent_default()
        elif event.key == "enter":  # it submits the line: the keys behind it wait for the screen's answer (the
            self.hold()             # screen releases them at once when the line is not an entry to store)

    def on_paste(self, event: events.Paste) -> None:
        if self._held is not None:
            self._held.append(event)
            event.stop()
            event.prevent_default()


class IncidentScreen(Screen[None]):
    BINDINGS = [
        Binding("1", "focus_pane('timeline')", "Timeline", show=False, id="main.focus_timeline"),
        Binding("2", "focus_pane('roles')", "Roles", show=False, id="main.focus_roles"),
        Binding("3", "focus_pane('severity')", "Severity", show=False, id="main.focus_severity"),
        Binding("4", "focus_pane('phase')", "Phase", show=False, id="main.focus_phase"),
        Binding("5", "budget", "Budget", show=False, id="main.budget"),
        # a priority key: it moves the focus before the letters typed behind it are handed on (they would reach the
        # timeline's own keys otherwise); while a text field has the focus it is an ordinary letter (check_action)
        Binding("e,i", "add_entry", "Entry", id="main.add_entry", priority=True),
        Binding("s", "status_update", "Status", id="main.status_update"),
        Binding("c", "comms", "Comms", id="main.comms"),
        Binding("b", "runbooks", "Runbooks", id="main.runbooks"),
        Binding("p", "postmortem", "Postmortem", show=False, id="main.postmortem"),
        Binding("h", "handover", "Hand over IC", show=False, id="main.handover"),
        Binding("right_square_bracket", "phase_next", "Phase+", id="main.phase_next"),
        Binding("left_square_bracket", "phase_back", "Phase back", show=False, id="main.phase_back"),
        Binding("slash", "search", "Search", id="main.search"),
        Binding("f", "choose_kinds", "Filter kinds", show=False, id="main.filter"),
        Binding("escape", "clear", "Clear", show=False, id="main.clear"),
        Binding("ctrl+l", "toggle_local_only", "Local only", show=False, id="main.local_only"),
    ]

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.detail: IncidentDetail | None = None
        self.token: tuple[str, int] | None = None
        self.last_hlc = 0
        self.earlier = 0  # entries older than those shown, still being read (the first frame shows the newest)
        self._loads = 0  # timelines set so far: an older part read for a timeline since replaced is dropped
        self.polls = 0
        self._poll_sent: float | None = None  # when the poll in flight was sent (monotonic), None when none is
        self._poll_again = False  # asked for while one was out (after a write): sent as soon as it answers
        self.kinds: frozenset[str] = frozenset()
        self.search_text = ""
        self.runs: list[RunState] = []
        self._sending = False
        self.local_only = False  # the entry being typed stays on this machine (ctrl+l in the entry line)
        self._mounted = False
        self._early: IncidentDetail | None = None  # the first read, when it came before the widgets were mounted
        self._preview: Entry | None = None  # the entry the preview shows next, after the frame (when due)
        self._preview_due = False

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        # the first read runs while the widgets are composed and styled: the first frame has the incident on it
        self.cockpit.call_service(lambda svc: svc.get_newest(self.incident_id, NEWEST_FIRST), self._first_loaded)
        self._width_classes()
        yield StatusLine(id="status")
        phase = PhaseBar(id="phase")
        phase.border_title = "[4] Phase"
        yield phase
        yield Static(id="escalation")
        yield Static(id="around")
        with Horizontal(id="body"):
            pane = Vertical(id="timeline-pane", classes="pane")
            pane.border_title = "[1] Timeline"
            with pane:
                yield TimelineView(id="timeline")
            with Horizontal(id="side"):
                roles = RolesPane(id="roles")
                roles.border_title = "[2] Roles"
                yield roles
                severity = SeverityPane(id="severity")
                severity.border_title = "[3] Severity"
                yield severity
                budget = ErrorBudgetPane(id="budget")
                budget.border_title = "[5] Error budget"
                yield budget
                preview = VerticalScroll(id="preview-pane", classes="pane")
                preview.border_title = "Selected entry"
                with preview:
                    yield Static(id="preview-entry")
        with Horizontal(id="entry-row"):
            yield Static(" ", id="entry-mark")  # "›" while the entry line has focus: where typing goes, in any colour
            yield EntryLine(placeholder=self._entry_hint(focused=False), id="entry", keep=self._keep_held)
        yield Static(id="hint")
        yield CockpitFooter()

    def on_mount(self) -> None:
        try:
            self.query_one(TimelineView).focus()
        except NoMatches:  # the screen was replaced before it finished mounting
            return
        self._mounted = True
        if self._early is not None:
            self.apply_detail(self._early)
            self._early = None
        self.set_interval(self.cockpit.poll_interval, self.poll)
        self.set_interval(1.0, self.tick)
        self.set_interval(2.0, self.load_budget)
        self.set_interval(max(self.cockpit.poll_interval, 1.0), self.refresh_role_watch)

    # --- data in ------------------------------------------------------------------------
    def _width_classes(self) -> None:
        """The app's width classes (-wide, -narrow, -tiny) before the widgets exist: given at the first resize
        instead, they restyle every widget of the screen a second time."""
        breakpoints = self.HORIZONTAL_BREAKPOINTS if self.HORIZONTAL_BREAKPOINTS is not None else (
            self.app.HORIZONTAL_BREAKPOINTS)
        if breakpoints and self.app.size.width:
            self.add_class(*self._get_breakpoint_classes(self.app.size.width, breakpoints), update=False)

    def _first_loaded(self, detail: IncidentDetail) -> None:
        """The first read: the newest entries only (the rest follows once the frame is up)."""
        if self._mounted:
            self.apply_detail(detail)
        else:  # read before the widgets were all mounted: shown as they are
            self._early = detail

    def reload(self) -> None:
        """The whole timeline again (an entry that arrived late sorts somewhere among those shown)."""
        self.cockpit.call_service(lambda svc: svc.get(self.incident_id), self.apply_detail)

    def poll(self) -> None:
        """Ask what changed since the screen's last look. Never before the first load has landed (it would read
        the whole timeline a second time), and never while the previous poll is still out (a slow database
        would pile them up); a poll lost to a bug no longer counts as out after ten intervals."""
        if self.detail is None:
            return
        now = time.monotonic()
        if self._poll_sent is not None and now - self._poll_sent < 10 * max(self.cockpit.poll_interval, 0.1):
            self._poll_again = True  # the one out may have looked before a write: look again when it answers
            return
        self._poll_again = False
        self._poll_sent = now
        self.polls += 1
        # the sync slot changes slowly: look every fifth poll (never in a demo, which does not sync)
        refresh_sync = self.polls % 5 == 1 and self.cockpit.sync_interval > 0

        def check(svc: IncidentService) -> tuple[tuple[str, int], IncidentDetail | None, list[Any], int]:
            if refresh_sync:
                from cockpit.sync.control import status_line
                from cockpit.sync.settings import trackers_path

                try:
                    sync_state = status_line(svc) if trackers_path().exists() else "local only"
                except Exception:
                    sync_state = "sync settings unreadable"
                if sync_state != self.cockpit.sync_state:
                    self.cockpit.sync_state = sync_state
                    self.token = None  # redraw the status line
            token = svc.change_token(self.incident_id)
            if token == self.token:
                return token, None, [], 0
            return token, svc.get(self.incident_id, with_timeline=False), svc.timeline_since(
                self.incident_id, self.last_hlc), svc.timeline_count(self.incident_id)

        self.cockpit.call_service(check, self.apply_changes, group="poll", quiet=True, on_error=self._poll_failed)

    def _poll_failed(self, _error: Exception) -> None:
        self._poll_sent = None
        self._poll_answered()

    def _poll_answered(self) -> None:
        if self._poll_again:
            self.poll()

    def apply_detail(self, detail: IncidentDetail) -> None:
        first = self.detail is None
        self.detail = detail
        if first:
            self._restore_draft()
        self._loads += 1
        self.earlier = detail.earlier
        self.query_one(TimelineView).set_entries(detail.timeline)
        self.last_hlc = detail.timeline[-1].hlc if detail.timeline else 0
        self.token = None
        self._show_header(detail, reset=True)
        if first:  # the first frame is painted before anything else is asked for (no worker competes with it)
            self.call_after_refresh(self._after_first_frame)
        else:
            self.poll()
            self.load_budget()

    def _after_first_frame(self) -> None:
        self._load_earlier()
        self.poll()
        self.load_budget()
        if self.detail is not None:
            self._load_around(self.detail.snapshot.services)
            self.refresh_role_watch()
        self.cockpit.warm_up()

    def _load_earlier(self) -> None:
        """The entries before those the first frame read, in the background; put in front when they arrive."""
        view = self.query_one(TimelineView)
        if not self.earlier or not view.entries:
            return
        load, first = self._loads, view.entries[0]
        self.cockpit.call_service(lambda svc: svc.timeline_before(self.incident_id, first),
                                  lambda older: self._earlier_loaded(load, older), group="earlier")

    def _earlier_loaded(self, load: int, older: list[Entry]) -> None:
        if load != self._loads:  # the timeline was read again meanwhile (whole): this part is in it
            return
        self.earlier = 0
        self.query_one(TimelineView).prepend_entries(older)
        self._update_timeline_title()

    def apply_changes(self, result: tuple[tuple[str, int], IncidentDetail | None, list[Any], int]) -> None:
        token, header, new_entries, count = result
        self._poll_sent = None
        self.call_after_refresh(self._poll_answered)
        self.token = token
        if header is None:
            return
        self.detail = header
        # two polls may overlap: keep only entries newer than what the screen already shows
        new_entries = [e for e in new_entries if e.hlc > self.last_hlc]
        view = self.query_one(TimelineView)
        # an entry arrived late (it sorts among those shown): the part still being read counts as shown
        if count > len(view.entries) + self.earlier + len(new_entries):
            self.reload()
            return
        view.append_entries(new_entries)
        if new_entries:
            self.last_hlc = new_entries[-1].hlc
        self._show_header(header, reset=False)
        self._load_runs()  # something changed: a run may have started, moved on or been escalated

    def _show_header(self, detail: IncidentDetail, reset: bool) -> None:
        snap = detail.snapshot
        self.query_one(StatusLine).show(snap, self.cockpit.clock(), self.cockpit.sync_state, self.cockpit.responder)
        self.query_one(PhaseBar).show(snap.phase, self.cockpit.responder)
        roles = self.query_one(RolesPane)
        roles.show(snap, detail.warnings)
        roles.tick(self.cockpit.clock())
        severity = self.query_one(SeverityPane)
        severity.show(snap, reset=reset or not severity.pending)
        self._update_timeline_title()
        self.refresh_bindings()  # the phase keys grey out in the first and last phase

    def tick(self) -> None:
        now = self.cockpit.clock()
        self.query_one(StatusLine).tick(now)
        self.query_one(RolesPane).tick(now)
        self._show_escalation()

    def refresh_role_watch(self) -> None:
        """Handover advice and check-ins: read from the timeline, and what fell due written once (see
        ``service/role_watch.py`` for who writes it)."""
        if self.detail is None:
            return
        minutes, read_only = self.cockpit.config.ic_handover_minutes, self.cockpit.read_only

        def work(svc: IncidentService) -> tuple[RoleWatchState, list[Entry]]:
            # imported in the worker: it brings the ORM, and on the screen's thread that held up the first keys
            # after the first frame for a third of a second
            from cockpit.service.role_watch import RoleWatch

            watch = RoleWatch(svc, timedelta(minutes=minutes))
            return (watch.state(self.incident_id), []) if read_only else watch.record_due(self.incident_id)

        self.cockpit.call_service(work, self._roles_watched, group="watch", quiet=True)

    def _roles_watched(self, result: tuple[RoleWatchState, list[Entry]]) -> None:
        state, written = result
        self.query_one(RolesPane).show_watch(state.advice, state.checkins)
        if written:
            self.poll()

    def _load_runs(self) -> None:
        def work(svc: IncidentService) -> list[RunState]:
            from cockpit.service.runs import RunbookRuns  # in the worker: it brings the ORM

            return RunbookRuns(svc).runs(self.incident_id)

        self.cockpit.call_service(work, self._runs_loaded, group="poll", quiet=True)

    def _runs_loaded(self, runs: list[RunState]) -> None:
        self.runs = runs
        self._show_escalation()

    def _show_escalation(self) -> None:
        """A runbook escalation that fell due shows here too, not only inside the walker."""
        banner = self.query_one("#escalation", Static)
        due = []
        if self.runs:  # (with none, nothing is due: the walker's module and the ORM stay unimported)
            from cockpit.service.runbooks import Library
            from cockpit.tui.screens.runbook import due_runs

            due = due_runs(self.runs, Library(), self.cockpit.clock())
        if not due:
            if banner.has_class("-due"):
                banner.update("")
                banner.remove_class("-due")
            return
        _index, _state, book = due[0]
        more = f" (+{len(due) - 1} more)" if len(due) > 1 else ""
        banner.update(Text(f"ESCALATE NOW: runbook '{one_line(book.title)}' passed {book.escalation.after_minutes} "
                           f"min{more} · contact {one_line(book.escalation.contact)} · b opens the walker, E records "
                           "it", no_wrap=True, overflow="ellipsis"))
        banner.add_class("-due")

    def _load_around(self, services: tuple[str, ...]) -> None:
        """The open incidents of the services this incident's services call or are called by (the catalog)."""
        if not services:
            return
        service_dirs = self.cockpit.config.service_dirs

        def work(svc: IncidentService) -> list[str]:  # the catalog only: no SLO or runbook file is read for this line
            from cockpit.service.catalog import CatalogService, load_catalog, service_folders  # (in the worker)

            folders = service_folders(service_dirs)
            return CatalogService(svc, load_catalog(folders)).neighbours(list(services)) if folders else []

        self.cockpit.call_service(work, self._show_around, group="poll", quiet=True)

    def _show_around(self, lines: list[str]) -> None:
        banner = self.query_one("#around", Static)
        if not lines:
            banner.remove_class("-shown")
            return
        more = f" (+{len(lines) - 1} more: V services)" if len(lines) > 1 else ""
        banner.update(Text(f"Around: {one_line(lines[0])}{more}", no_wrap=True, overflow="ellipsis"))
        banner.add_class("-shown")

    # --- error budget ---------------------------------------------------------------------
    def load_budget(self) -> None:
        """The SLO figures of the incident's services, from the store (a refresh in the background fills it)."""
        if self.detail is None:
            return
        from cockpit.tui.screens.budget import load_readings

        load_readings(self.cockpit, self.detail.snapshot.services, self._show_budget)

    def _show_budget(self, readings: list[Any]) -> None:
        from datetime import timedelta

        from cockpit.domain.slo import breach_reasons

        if self.detail is None:
            return
        now = self.cockpit.clock()
        note = self.cockpit.signals.note if self.cockpit.signals else ""
        self.query_one(ErrorBudgetPane).show(readings, self.detail.snapshot.services, now, note)
        horizon = timedelta(hours=self.cockpit.config.slo_breach_horizon_hours)
        reasons = breach_reasons([r.evaluation for r in readings if r.evaluation is not None],
                                 self.detail.snapshot.services, horizon, now)
        self.query_one(SeverityPane).set_proposal(tuple(reasons))

    def action_budget(self) -> None:
        pane = self.query_one(ErrorBudgetPane)
        if pane.display and pane.size.width:
            self.set_focus(pane)
            return
        from cockpit.tui.screens.budget import BudgetScreen

        self.app.push_screen(BudgetScreen(self.detail.snapshot.services if self.detail else ()))

    # --- actions ------------------------------------------------------------------------
    # Keys move the focus at once (Screen.set_focus), not after the keys already queued (Widget.focus): a note
    # typed right behind its e would otherwise reach the timeline's keys, letter by letter.
    def action_focus_pane(self, name: str) -> None:
        self.set_focus(self.query_one(f"#{name}"))

    def action_add_entry(self) -> None:
        self.set_focus(self.query_one("#entry", Input))

    def action_clear(self) -> None:
        entry = self.query_one("#entry", Input)
        if entry.has_focus:  # a half-typed entry stays as a draft: e (or i) comes back to it
            self.set_focus(self.query_one(TimelineView))
            if entry.value.strip():
                self.notify("Entry kept as a draft: e returns to it, ctrl+u clears it.")
        elif self.search_text or self.kinds:
            self.search_text, self.kinds = "", frozenset()
            self._apply_filter()

    def _entry_hint(self, focused: bool) -> str:
        who = one_line(self.cockpit.responder)
        if self.local_only:
            return f"LOCAL ONLY: never sent to a tracker (ctrl+l shares it) · as {who} · Enter logs it"
        if focused:
            return f"writing as {who}: Enter logs it · /d decision /a action /s status /c change /p deploy · Esc"
        return f"e: add an entry (as {who}) · /d decision /a action /s status /c change · Enter to log"

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id == "entry":
            self._show_entry_mode()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget.id == "entry":
            self._show_entry_mode()

    def _show_entry_mode(self) -> None:
        """The entry line's mark and hint: › where typing goes; ⌂ (and a warning colour) while it is local-only."""
        entry = self.query_one("#entry", Input)
        focused = entry.has_focus
        entry.placeholder = self._entry_hint(focused=focused)
        entry.set_class(self.local_only, "local-only")
        self.query_one("#entry-mark", Static).update(LOCAL_MARK if self.local_only else "›" if focused else " ")

    def action_toggle_local_only(self) -> None:
        """ctrl+l: the entry being typed is kept on this machine (never sent to a tracker), or shared again."""
        entry = self.query_one("#entry", Input)
        if not entry.has_focus:
            self.set_focus(entry)
        self.local_only = not self.local_only
        self._show_entry_mode()
        if entry.value.strip():  # the draft keeps the mark with the words
            self.cockpit.drafts.write(self._draft_key, {"text": entry.value, "local_only": self.local_only})
        self.notify("This entry stays on this machine: never sent to a tracker." if self.local_only
                    else "This entry will be shared with the tracker.", timeout=4)

    @property
    def _draft_key(self) -> str:
        return f"entry-{self.incident_id}"

    def on_input_changed(self, event: Input.Changed) -> None:
        """Every keystroke of the entry line goes to the local draft at once: quitting or a crash loses nothing."""
        if event.input.id != "entry":
            return
        if event.value.strip():
            self.cockpit.drafts.write(self._draft_key, {"text": event.value, "local_only": self.local_only})
        else:
            self.cockpit.drafts.clear(self._draft_key)

    def _restore_draft(self) -> None:
        data = self.cockpit.drafts.read(self._draft_key)
        text = data.get("text") if data else None
        entry = self.query_one("#entry", Input)
        if isinstance(text, str) and text.strip() and not entry.value:
            entry.value = text
            self.local_only = data is not None and data.get("local_only") is True
            self._show_entry_mode()
            self.notify("Your unsent entry was kept in the entry line: e then Enter logs it, ctrl+u clears it.")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "entry":
            return
        event.stop()
        line = self.query_one("#entry", EntryLine)
        if self._sending:
            return  # the previous Enter is still being stored (the keys behind it are held, so not reached)
        try:
            kind, text = parse_entry_line(event.value)
        except InvalidInput as exc:
            line.release(with_enter=True)
            self.notify(str(exc), severity="error")
            return
        if not text:
            line.release(with_enter=True)
            self.notify("Type the entry text after the prefix.", severity="warning")
            return
        sent = event.value
        local_only = self.local_only
        self._sending = True
        # the line clears only once the entry is stored: a refused write (database busy) keeps the words, and
        # the keys typed behind it are held until then (EntryLine)
        self.cockpit.call_service(lambda svc: svc.add_entry(self.incident_id, text, kind, local_only=local_only),
                                  lambda stored: self._entry_stored(sent, stored), on_error=self._entry_failed)

    def _entry_stored(self, sent: str, stored: Entry) -> None:
        self._sending = False
        entry = self.query_one("#entry", EntryLine)
        if self not in self.app.screen_stack:  # closed meanwhile: what was typed behind the entry is the draft
            if held := entry.take_held_text():
                self._keep_held("", held)  # the line's own words are stored
            elif entry.value == sent:
                self.cockpit.drafts.clear(self._draft_key)
            return
        if entry.value == sent:
            entry.value = ""
            if self.local_only:  # the mark was for that entry: the next one is shared unless marked again
                self.local_only = False
                self._show_entry_mode()
        entry.release(with_enter=True)
        self._show_own(stored)

    def _show_own(self, stored: Entry) -> None:
        """The entry just written shows from the write's own answer, without waiting for a poll; the poll then
        brings the header, and an entry someone else wrote meanwhile (the count tells, and the timeline reloads)."""
        if self.detail is not None and stored.hlc > self.last_hlc:
            self.query_one(TimelineView).append_entries([stored])
            self.last_hlc = stored.hlc
        self.call_after_refresh(self.poll)  # after the frame with the entry: its answer lays the header out

    def flush_unsaved(self) -> None:
        """On quit: the keys held behind an entry not yet stored go into the local draft with the line."""
        try:
            line = self.query_one("#entry", EntryLine)
        except NoMatches:
            return
        self._keep_held(line.value, line.held_text())

    def _keep_held(self, value: str, held: str) -> None:
        """The line and the keys held behind its entry, as the draft (whether that entry gets stored is not known
        yet: nothing is lost, the draft may repeat it)."""
        if held:
            text = f"{value.rstrip()} {held}".strip()
            self.cockpit.drafts.write(self._draft_key, {"text": text, "local_only": self.local_only})

    def _entry_failed(self, _error: Exception) -> None:
        self._sending = False
        entry = self.query_one("#entry", EntryLine)
        if self not in self.app.screen_stack:  # closed meanwhile: the line and what was typed behind it
            self._keep_held(entry.value, entry.take_held_text())
            return
        entry.release(with_enter=False)

    def _written(self, _result: object = None) -> None:
        self.poll()

    def action_status_update(self) -> None:
        detail = self.detail
        suggestion = f"e.g. {PHASE_STATUS[detail.snapshot.phase]}: what changed, what's next" if detail else ""

        def post(text: str | None) -> None:
            if text:
                self.cockpit.call_service(lambda svc: svc.add_entry(self.incident_id, text, "status"),
                                          self._status_posted)

        # the suggestion is only a grey placeholder: Enter on an empty line posts nothing
        self.app.push_screen(TextPrompt("Status update (kind: status; restarts the check-in countdown)",
                                        suggestion or "What changed, what's next"), post)

    def _status_posted(self, stored: Entry) -> None:
        self.notify("Status update posted; the check-in countdown restarted.")
        self._show_own(stored)

    def action_comms(self) -> None:
        from cockpit.tui.screens.comms import CommsScreen

        self.app.push_screen(CommsScreen(self.incident_id), lambda _: self.poll())

    def action_runbooks(self) -> None:
        from cockpit.tui.screens.runbook import RunbookScreen

        self.app.push_screen(RunbookScreen(self.incident_id), lambda _: self.poll())

    def action_postmortem(self) -> None:
        from cockpit.tui.screens.postmortem import PostmortemScreen

        self.app.push_screen(PostmortemScreen(self.incident_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A phase key that cannot move now (the incident still loading, already in its first or last phase) is
        greyed in the footer and the palette, and does nothing. The entry key is a letter while a field is typed in."""
        if action == "add_entry" and isinstance(self.focused, Input | TextArea):
            return False
        if action in ("phase_next", "phase_back"):
            phase = self.detail.snapshot.phase if self.detail is not None else None
            if phase is None or (phase.next() if action == "phase_next" else phase.previous()) is None:
                return None
        return True

    def action_phase_next(self) -> None:
        """From the phase on screen (two ICs pressing ] at once do not skip a phase), after a confirmation that
        says what goes into the timeline."""
        detail = self.detail
        shown = detail.snapshot.phase if detail else None
        target = shown.next() if shown else None
        if detail is None or shown is None or target is None:
            self.notify("Already in the last phase." if shown else "Still loading.", severity="warning")
            return
        transition = plan_transition(shown, target)
        consequence = {Phase.TRIAGE: "It records the acknowledgement.",
                       Phase.MITIGATE: "It records the time to mitigate.",
                       Phase.RESOLVE: "The incident closes: check-ins stop and the time to resolve is recorded.",
                       Phase.REVIEW: "The incident moves to its postmortem review."}.get(target, "")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: svc.set_phase(self.incident_id, target), self._phase_done)

        self.app.push_screen(Confirm(f"Move {detail.snapshot.ref} from {shown.value} to {target.value}? "
                                     f"{consequence}".strip(), writes=transition.description), confirmed)

    def action_phase_back(self) -> None:
        detail = self.detail
        previous = detail.snapshot.phase.previous() if detail else None
        if detail is None or previous is None:
            self.notify("Already in the first phase." if detail else "Still loading.", severity="warning")
            return
        transition = plan_transition(detail.snapshot.phase, previous)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: svc.set_phase(self.incident_id, previous), self._phase_done)

        self.app.push_screen(Confirm(f"Step back from {detail.snapshot.phase.value} to {previous.value}? "
                                     "It is recorded as a relapse.", writes=transition.description), confirmed)

    def _phase_done(self, entry: Any) -> None:
        self.notify(entry.text)
        self.poll()

    def action_search(self) -> None:
        def done(text: str | None) -> None:
            if text is not None:  # Esc keeps the search as it was
                self.search_text = text
                self._apply_filter()

        self.app.push_screen(TextPrompt("Search the timeline (matches are highlighted; Esc on the timeline clears)",
                                        "text or author", self.search_text), done)

    def action_choose_kinds(self) -> None:
        """Show only some kinds of entry: tick any number (none ticked: every kind)."""
        def done(chosen: list[str] | None) -> None:
            if chosen is not None:
                self.kinds = frozenset(chosen)
                self._apply_filter()

        self.app.push_screen(PickSeveral("Show these kinds of entry (none ticked: all)", list(KIND_CHOICES),
                                         set(self.kinds)), done)

    def _apply_filter(self) -> None:
        self.query_one(TimelineView).set_filter(self.kinds, self.search_text)
        self._update_timeline_title()

    def _update_timeline_title(self) -> None:
        view = self.query_one(TimelineView)
        pane = self.query_one("#timeline-pane")
        parts = []
        if self.kinds:
            parts.append(f"kind={','.join(k for k, _ in KIND_CHOICES if k in self.kinds)}")
        if self.search_text:
            parts.append(f"“{one_line(self.search_text)}”")
        total = len(view.entries) + self.earlier
        shown = f"{len(view.shown):,}/{total:,}" if parts else f"{total:,}"
        pane.border_subtitle = Text(" ".join([*parts, shown]))
        pane.border_title = f"[1] Timeline · loading {self.earlier:,} earlier entries…" if self.earlier else (
            "[1] Timeline")

    def on_timeline_view_open_entry(self, message: TimelineView.OpenEntry) -> None:
        self.app.push_screen(EntryDetail(message.entry))

    def on_timeline_view_selected(self, message: TimelineView.Selected) -> None:
        """The wide layout shows the entry under the cursor in full beside the timeline: after the frame that moved
        the cursor (new text in the preview lays the screen out; the timeline's line does not wait for that)."""
        self._preview = message.entry
        if not self._preview_due:
            self._preview_due = True
            self.call_after_refresh(self._show_preview)

    def _show_preview(self) -> None:
        entry, self._preview_due = self._preview, False
        preview = self.query_one("#preview-entry", Static)
        if entry is None:
            preview.update(Text("Move the cursor onto an entry to read it in full here.", style="italic"))
            return
        shown = Text()
        shown.append(f"{entry.at.astimezone():%Y-%m-%d %H:%M:%S} ({entry.at.astimezone(UTC):%H:%MZ}) · {entry.kind} · "
                     f"{one_line(entry.author)}\n", style="bold")
        if entry.local_only or entry.sharing or entry.sha256:
            shown.append(entry_facts(entry) + "\n", style="italic")
        shown.append(literal(entry.text[:5000]))
        preview.update(shown)

    # --- roles --------------------------------------------------------------------------
    def on_roles_pane_requested(self, message: RolesPane.Requested) -> None:
        role = message.role
        if message.action == "assign":
            def assign(name: str | None) -> None:
                if name:
                    self.cockpit.call_service(lambda svc: svc.assign_role(self.incident_id, role, name),
                                              self._role_done)

            self.app.push_screen(TextPrompt(f"Assign {role.title}", "name"), assign)
        elif message.action == "release":
            holders = self.detail.snapshot.holders(role) if self.detail else []
            if len(holders) > 1:
                def release_one(name: str | None) -> None:
                    if name:
                        self.cockpit.call_service(
                            lambda svc: svc.release_role(self.incident_id, role, name), self._role_done)

                self.app.push_screen(TextPrompt(f"Release which {role.title}?", ", ".join(holders)), release_one)
            elif holders:
                holder = holders[0]

                def release(yes: bool | None) -> None:
                    if yes:
                        self.cockpit.call_service(lambda svc: svc.release_role(self.incident_id, role, holder),
                                                  self._role_done)

                self.app.push_screen(Confirm(f"Release {one_line(holder)} as {role.title}? The role is then empty.",
                                             writes=role.release_text(holder)), release)
            else:
                self.notify(f"Nobody holds {role.title}; a assigns someone.", severity="warning")
        elif message.action == "checkin":
            self._ask_checkin(role)

    def _ask_checkin(self, role: Role) -> None:
        """``t`` on a role: minutes, then the note, both typed; the entry says it word for word."""
        def got_minutes(value: str | None) -> None:
            if value is None:
                return
            text = value.strip().removesuffix("m").removesuffix("min").strip()
            if not is_number_text(text) or len(text) > 4:
                self.notify(f"'{one_line(value)[:20]}' is not a number of minutes (0 = checked in).",
                            severity="error")
                return
            minutes = int(text)
            ask = (f"{role.title} checked in: note" if minutes == 0
                   else f"{role.title}, back to you in {minutes} minutes: about what?")

            def got_note(note: str | None) -> None:
                if note:
                    self.cockpit.call_service(
                        lambda svc: RoleWatch(svc).set_checkin(self.incident_id, role, minutes, note),
                        self._role_done)

            self.app.push_screen(TextPrompt(ask, "a few words, written to the timeline"), got_note)

        from cockpit.service.role_watch import RoleWatch

        self.app.push_screen(TextPrompt(f"Check-in for {role.title}: back in how many minutes?",
                                        "minutes (0 = checked in, clears it)"), got_minutes)

    def action_handover(self) -> None:
        """Hand over Incident Commander: from any pane (and the command palette)."""
        current = self.detail.snapshot.commander if self.detail else None

        def incoming(name: str | None) -> None:
            if not name:
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.cockpit.call_service(lambda svc: svc.assign_role(self.incident_id, Role.IC, name),
                                              self._role_done)
                else:
                    self.notify("Handover cancelled: the incoming IC did not confirm.", severity="warning")

            writes = Role.IC.handover_text(current, name) if current else f"{name} is now {Role.IC.title}"
            self.app.push_screen(Confirm(
                f"{one_line(name)}: do you take command of this incident from {one_line(current or 'nobody')}? "
                "(the incoming IC confirms)", writes=writes), confirmed)

        self.app.push_screen(TextPrompt("Hand over Incident Commander to", "incoming IC's name"), incoming)

    def _role_done(self, entry: Any) -> None:
        self.notify(entry.text)
        self.poll()

    # --- severity -----------------------------------------------------------------------
    def on_severity_pane_apply(self, message: SeverityPane.Apply) -> None:
        impact, scope, triggers = message.impact, message.scope, message.triggers
        detail = self.detail
        if detail is None:
            return
        assessment = classify(impact, scope, triggers)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(
                    lambda svc: svc.classify_severity(self.incident_id, impact, scope, triggers), self._severity_done)

        self.app.push_screen(Confirm(f"Apply {assessment.severity} from the matrix?",
                                     writes=assessment.change_text(detail.snapshot.severity)), confirmed)

    def on_severity_pane_override(self, _message: SeverityPane.Override) -> None:
        def got_level(value: str | None) -> None:
            if not value:
                return
            try:
                level = Severity.parse(value)
            except InvalidInput as exc:
                self.notify(str(exc), severity="error")
                return

            def got_reason(reason: str | None) -> None:
                if reason:
                    self.cockpit.call_service(
                        lambda svc: svc.override_severity(self.incident_id, level, reason), self._severity_done)

            self.app.push_screen(TextPrompt(f"Why {level}? (recorded with the change)", "reason"), got_reason)

        self.app.push_screen(TextPrompt("Set severity by hand: 1, 2, 3 or 4", "SEV"), got_level)

    def on_severity_pane_review_proposal(self, message: SeverityPane.ReviewProposal) -> None:
        """The proposed "SLA breach imminent" trigger, applied only when the incident commander confirms the
        exact entry it writes."""
        from cockpit.domain.severity import Triggers, classify

        if self.detail is None:
            return
        snap = self.detail.snapshot
        triggers = Triggers(**{**snap.triggers.as_dict(), "sla_breach": True})
        after = classify(snap.impact, snap.scope, triggers)
        evidence = "; ".join(message.reasons)
        change = f"Severity {snap.severity} → {after.severity}" if after.severity != snap.severity else (
            f"Severity stays {snap.severity}")
        entry = f"{change}: {after.explanation}. Evidence: {evidence}"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: svc.classify_severity(
                    self.incident_id, snap.impact, snap.scope, triggers, evidence), self._severity_done)
            else:
                self.notify("Not applied: the severity is unchanged.", severity="warning")

        self.app.push_screen(Confirm(f"Apply the “SLA breach imminent” trigger? The timeline gets: {one_line(entry)}"),
                             confirmed)

    def _severity_done(self, assessment: Any) -> None:
        self.notify(assessment.explanation)
        self.poll()

