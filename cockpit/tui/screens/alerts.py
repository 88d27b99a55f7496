"""The alerts screen (``A``): firing alerts grouped as Alertmanager groups them, each with the seed's P0–P3 level and
response target, its age, whether the local library has its runbook, and the incident it belongs to.

From an alert: declare an incident (d), attach it to the incident (a), acknowledge it with a silence (k), mark it not
actionable (x). Each asks first, saying what will be written. The list draws only the rows on screen, so 10,000
firing alerts scroll as fast as ten. Everything shown from the server is shown literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from cockpit.domain.when import age_words
from cockpit.textsafe import one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.screens.dialogs import Confirm

if TYPE_CHECKING:
    from cockpit.service.alerts import LoggedAlert
    from cockpit.service.incidents import IncidentService

SHORT_RESPONSE = {"P0": "<5m", "P1": "<30m", "P2": "next day", "P3": "weekly"}


def labels_line(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={one_line(v)}" for k, v in sorted(labels.items()))


class AlertList(ScrollView, can_focus=True):
    """A virtual list of group rows and alert rows: ``render_line`` draws one row; nothing off screen is built."""

    COMPONENT_CLASSES = {"alerts--group", "alerts--cursor", "alerts--p0", "alerts--p1", "alerts--p2", "alerts--p3",
                         "alerts--dim", "alerts--incident", "alerts--empty"}
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="alerts.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="alerts.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="alerts.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="alerts.page_down"),
        Binding("home", "jump(0)", "First", show=False, id="alerts.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="alerts.last"),
    ]

    cursor = reactive(0, always_update=True)

    class Selected(Message):
        def __init__(self, alert: LoggedAlert | None) -> None:
            super().__init__()
            self.alert = alert

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.alerts: list[LoggedAlert] = []
        self.rows: list[int] = []  # >= 0: an alert index; -1 - i: the group header before alert i
        self.group_sizes: dict[str, int] = {}
        self.runbooks: set[str] = set()
        self.now: datetime | None = None
        self.empty_text = "No firing alerts."

    def set_alerts(self, alerts: Sequence[LoggedAlert], now: datetime, runbooks: set[str]) -> None:
        keep = self.selected.fingerprint if self.selected is not None else None
        self.alerts, self.now, self.runbooks = list(alerts), now, runbooks
        self.rows, self.group_sizes = [], {}
        last = None
        for i, alert in enumerate(self.alerts):
            self.group_sizes[alert.group_key] = self.group_sizes.get(alert.group_key, 0) + 1
            if alert.group_key != last:
                self.rows.append(-1 - i)
                last = alert.group_key
            self.rows.append(i)
        self.virtual_size = Size(self.size.width, len(self.rows))
        target = next((r for r, code in enumerate(self.rows) if code >= 0 and self.alerts[code].fingerprint == keep),
                      None) if keep else None
        self._move_to(target if target is not None else self._first_alert_row(0, 1))
        self.refresh()

    @property
    def selected(self) -> LoggedAlert | None:
        if 0 <= self.cursor < len(self.rows) and self.rows[self.cursor] >= 0:
            return self.alerts[self.rows[self.cursor]]
        return None

    def _first_alert_row(self, start: int, step: int) -> int:
        row = start
        while 0 <= row < len(self.rows):
            if self.rows[row] >= 0:
                return row
            row += step
        return min(max(start, 0), max(0, len(self.rows) - 1))

    def _move_to(self, row: int) -> None:
        if not self.rows:
            self.cursor = 0
            self.post_message(self.Selected(None))
            return
        row = max(0, min(row, len(self.rows) - 1))
        if self.rows[row] < 0:  # a group header: the alert below it (or above, at the end)
            below = self._first_alert_row(row, 1)
            row = below if self.rows[below] >= 0 else self._first_alert_row(row, -1)
        self.cursor = row
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if row < top + 1:
            self.scroll_to(y=max(0, row - 1), animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)
        self.post_message(self.Selected(self.selected))

    def action_cursor(self, step: int) -> None:
        row = self.cursor + step
        while 0 <= row < len(self.rows) and self.rows[row] < 0:
            row += step
        if 0 <= row < len(self.rows):
            self._move_to(row)

    def action_page(self, step: int) -> None:
        self._move_to(self.cursor + step * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, where: int) -> None:
        self._move_to(0 if where == 0 else len(self.rows) - 1)

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self.rows:
            if y == 0:
                style = self.get_component_rich_style("alerts--empty", partial=True)
                return Strip([Segment(self.empty_text, style)]).apply_style(base).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if row >= len(self.rows):
            return Strip.blank(width, base)
        code = self.rows[row]
        if code < 0:
            alert = self.alerts[-1 - code]
            count = self.group_sizes.get(alert.group_key, 0)
            label = f"▸ {one_line(alert.group_key)} ({count} alert{'s' if count != 1 else ''}) "
            style = self.get_component_rich_style("alerts--group", partial=True)
            return Strip([Segment(label[:width] + "─" * max(0, width - len(label)), style)]).apply_style(
                base).crop_extend(0, width, base)
        alert = self.alerts[code]
        now = self.now or alert.last_seen_at
        level = alert.level.value if alert.level else "P?"
        level_style = self.get_component_rich_style(f"alerts--{level.lower()}", partial=True) \
            if alert.level else self.get_component_rich_style("alerts--dim", partial=True)
        dim = self.get_component_rich_style("alerts--dim", partial=True)
        state = {"silenced": "silenced ", "resolved": "resolved "}.get(alert.state, "")
        right = []
        if alert.incident_ref:
            right.append(alert.incident_ref)
        right.append("runbook" if alert.name.casefold() in self.runbooks else "no runbook")
        tail = " " + " · ".join(right)
        head = [Segment(f"  {level} ", level_style),
                Segment(f"{SHORT_RESPONSE.get(level, '?'):<8} ", dim),
                Segment(f"{age_words(alert.starts_at, now):>6} ", None),
                Segment(state, dim)]
        used = sum(s.cell_length for s in head) + len(tail)
        room = max(4, width - used)
        summary = one_line(alert.summary)
        summary = summary if len(summary) <= room else summary[: room - 1] + "…"
        segments = [*head, Segment(f"{summary:<{room}}"),
                    Segment(tail, self.get_component_rich_style("alerts--incident", partial=True))]
        if row == self.cursor and self.has_focus:
            cursor = self.get_component_rich_style("alerts--cursor", partial=True)
            segments = list(Segment.apply_style(segments, post_style=cursor))
            base = base + cursor
        return Strip(segments).apply_style(base).crop_extend(0, width, base)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    def watch_has_focus(self, _focused: bool) -> None:
        self.refresh()


class AlertsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Back", id="alerts.back"),
        Binding("d", "declare", "Declare", id="alerts.declare"),
        Binding("a", "attach", "Attach", id="alerts.attach"),
        Binding("k", "acknowledge", "Ack (silence)", id="alerts.ack"),
        Binding("x", "not_actionable", "Not actionable", id="alerts.false_positive"),
        Binding("enter", "open_incident", "Open incident", show=False, id="alerts.open"),
        Binding("r", "poll", "Poll now", show=False, id="alerts.poll"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runbooks: set[str] = set()
        self.runbook_ids: dict[str, str] = {}  # alert_name (folded) -> runbook id
        self.proposed: str | None = None  # the open incident the selected alert would join
        self.proposed_ref: str | None = None
        self.loads = 0
        self._loading = False

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="alerts-head")
        listing = AlertList(id="alerts-list")
        listing.border_title = "Alerts · level · response · age · summary · incident · runbook"
        yield listing
        yield Static(id="alerts-detail")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.query_one(AlertList).focus()
        poller = self.cockpit.alerts
        if poller is not None:
            poller.seen()
        from cockpit.service.runbooks import library_folders, load_library

        folders = library_folders(self.cockpit.config.runbook_dirs)
        self.cockpit.call_service(
            lambda _svc: {b.alert_name.casefold(): b.id for b in load_library(folders).runbooks if b.alert_name},
            self._runbooks_loaded, group="alerts-runbooks", quiet=True)
        self.load()

    def _runbooks_loaded(self, names: dict[str, str]) -> None:
        self.runbook_ids = names
        self.runbooks = set(names)
        self.load()

    # --- data ---------------------------------------------------------------------------------
    def alerts_changed(self) -> None:
        self.load()

    def load(self) -> None:
        if self._loading:
            return
        self._loading = True
        poller = self.cockpit.alerts

        def read(_svc: IncidentService) -> tuple[list[LoggedAlert], Any]:
            log = poller.log() if poller is not None else _default_log(self.cockpit)
            return log.current(), log.status()

        self.cockpit.call_service(read, self._show, group="alerts", on_error=lambda _e: self._done())

    def _done(self) -> None:
        self._loading = False

    def _show(self, result: tuple[list[LoggedAlert], Any]) -> None:
        self._loading = False
        self.loads += 1
        alerts, status = result
        now = self.cockpit.clock()
        poller = self.cockpit.alerts
        if poller is not None:
            poller.seen()
        firing = sum(1 for a in alerts if a.state == "firing")
        groups = len({a.group_key for a in alerts})
        silenced = sum(1 for a in alerts if a.state == "silenced")
        note = poller.note if poller is not None else ""
        state = status.age_text(now)
        if status.attempted_at is None and note:
            state = note
        head = Text()  # the counts first, then the source's state: on a narrow screen it wraps, never cut off
        head.append(f" {firing} firing in {groups} group{'s' if groups != 1 else ''}"
                    + (f" · {silenced} silenced" if silenced else ""), "bold")
        if status.quarantined:
            head.append(f" · {status.set_aside:,} unreadable record(s) set aside", "yellow")
        head.append(" · Alertmanager: ")
        head.append(one_line(state), "bold red" if status.error or note else "green")
        self.query_one("#alerts-head", Static).update(head)
        listing = self.query_one(AlertList)
        listing.empty_text = ("No firing alerts." if status.last_ok_at else
                              "No alerts known yet. " + (one_line(note) if note else "Waiting for the first poll."))
        listing.set_alerts(alerts, now, self.runbooks)

    def on_alert_list_selected(self, message: AlertList.Selected) -> None:
        self._detail(message.alert)

    def _detail(self, alert: LoggedAlert | None) -> None:
        detail = self.query_one("#alerts-detail", Static)
        self.proposed = self.proposed_ref = None
        if alert is None:
            detail.update(Text("Select an alert: d declares an incident from it, a attaches it, k acknowledges it "
                               "(a silence), x marks it not actionable."))
            return
        text = Text(no_wrap=False)
        level = alert.level
        text.append(f"{level.label if level else 'no severity level'}", "bold")
        text.append(f" · respond {level.response if level else '—'} · {alert.state} since "
                    f"{alert.starts_at:%Y-%m-%d %H:%M}Z · fingerprint {alert.fingerprint}\n")
        text.append("labels: ", "bold")
        text.append(labels_line(alert.labels)[:600] + "\n")
        if alert.annotations:
            text.append("annotations: ", "bold")
            text.append(labels_line(alert.annotations)[:600] + "\n")
        book = self.runbook_ids.get(alert.name.casefold())
        text.append("runbook: ", "bold")
        text.append(f"{one_line(book)} (offered on declaring)\n" if book else "none in the local library\n")
        detail.update(text)
        poller = self.cockpit.alerts

        def where(_svc: IncidentService) -> tuple[str | None, str | None]:
            log = poller.log() if poller is not None else _default_log(self.cockpit)
            found = log.open_incident_for(alert)
            if found is None:
                return None, None
            return found, self.cockpit.service.get(found, with_timeline=False).snapshot.ref

        def shown(result: tuple[str | None, str | None]) -> None:
            selected = self.query_one(AlertList).selected
            if selected is None or selected.fingerprint != alert.fingerprint:
                return
            self.proposed, self.proposed_ref = result
            if result[1] and not alert.incident_ref:
                text.append(f"belongs with the open incident {result[1]}: a attaches it there", "bold yellow")
                detail.update(text)

        self.cockpit.call_service(where, shown, group="alerts-detail", quiet=True)

    # --- actions ------------------------------------------------------------------------------
    def _selected(self) -> LoggedAlert | None:
        alert = self.query_one(AlertList).selected
        if alert is None:
            self.notify("No alert selected.", severity="warning")
        return alert

    def _log(self) -> Any:
        poller = self.cockpit.alerts
        return poller.log() if poller is not None else _default_log(self.cockpit)

    def action_declare(self) -> None:
        alert = self._selected()
        if alert is None:
            return
        if self.proposed_ref is not None:
            self.notify(f"An alert of this group belongs to the open incident {self.proposed_ref}: press a to "
                        "attach it there.", severity="warning", timeout=8)
            return
        log = self._log()
        proposal = log.proposal(alert)
        count = self.query_one(AlertList).group_sizes.get(alert.group_key, 1)
        question = (f"Declare an incident from this alert? Title: {proposal.title} · service: "
                    f"{', '.join(proposal.services) or 'none'} · impact {proposal.impact.label}, {proposal.scope.label}"
                    f" (change them afterwards on the severity pane).")
        writes = (f"Incident declared: {proposal.title}\nAlert declared from: {alert.name} (the {count} alert(s) of "
                  f"its group {alert.group_key} attached)")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda _svc: log.declare(alert.fingerprint
                                                                   if count == 1 else alert.group_key),
                                          self._declared)

        self.app.push_screen(Confirm(question, writes), confirmed)

    def _declared(self, result: tuple[Any, Any]) -> None:
        snapshot, proposal = result
        book = self.runbook_ids.get(proposal.alert_name.casefold())
        self.notify(f"Declared {snapshot.ref}: {snapshot.title}"
                    + (f" · runbook {book} offered" if book else " · no runbook has this alert_name"))
        self.cockpit.open_incident(snapshot.id)
        if book:
            from cockpit.tui.screens.runbook import RunbookScreen

            self.app.push_screen(RunbookScreen(snapshot.id))

    def action_attach(self) -> None:
        alert = self._selected()
        if alert is None:
            return
        target_id = self.proposed or self.cockpit.last_incident_id
        if target_id is None:
            self.notify("No incident to attach to: open one first (l), or declare from the alert (d).",
                        severity="warning")
            return
        if alert.incident_id == target_id:
            self.notify("Already attached to that incident.")
            return
        log = self._log()

        def ask(ref: str) -> None:
            writes = f"Alert attached: {alert.name} {{{labels_line(alert.labels)[:300]}}}"

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.cockpit.call_service(lambda _svc: log.attach(alert.fingerprint, target_id),
                                              lambda r: self._after(f"Attached to {r[0]}."))

            self.app.push_screen(Confirm(f"Attach this alert to {ref}?", writes), confirmed)

        self.cockpit.call_service(lambda svc: svc.get(target_id, with_timeline=False).snapshot.ref, ask)

    def action_acknowledge(self) -> None:
        alert = self._selected()
        if alert is None:
            return
        poller = self.cockpit.alerts
        settings = poller.settings if poller is not None else None
        hours = settings.silence_hours if settings is not None else 12.0
        target = alert.incident_id or self.proposed
        if target is None:
            self.notify("Declare an incident from this alert (d) or attach it (a) first: the silence's comment "
                        "carries the incident reference.", severity="warning", timeout=8)
            return
        log = self._log()
        from cockpit.domain.alerts import group_labels

        matchers = group_labels(alert.labels, log.group_by) or alert.labels
        shown = ", ".join(f'{k}="{one_line(v)}"' for k, v in sorted(matchers.items()))
        question = (f"Acknowledge: create a silence in Alertmanager for {{{shown}}} for {hours:g} h, created by "
                    f"{self.cockpit.responder}, its comment naming the incident? It expires when the incident "
                    "resolves. Offline, it waits and is sent once.")
        writes = f"Acknowledged {alert.name}: silence of {{{shown}}} for {hours:g} h requested"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda _svc: log.acknowledge(alert.fingerprint, target, hours),
                                          self._acknowledged)

        self.app.push_screen(Confirm(question, writes), confirmed)

    def _acknowledged(self, record: Any) -> None:
        self.notify(f"Acknowledged for {record.reference}: the silence is sent with the next poll.")
        poller = self.cockpit.alerts
        if poller is not None:
            poller.round()
        self.load()

    def action_not_actionable(self) -> None:
        alert = self._selected()
        if alert is None:
            return
        if alert.false_positive:
            self.notify("Already marked not actionable.")
            return
        log = self._log()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda _svc: log.mark_false_positive(alert.fingerprint),
                                          lambda _n: self._after("Marked not actionable."))

        writes = (f"Alert marked not actionable (false positive): {alert.name}" if alert.incident_id else None)
        self.app.push_screen(Confirm(f"Mark {alert.name} not actionable (a false positive, counted in on-call "
                                     "health)?", writes), confirmed)

    def _after(self, message: str) -> None:
        self.notify(message)
        self.load()

    def action_open_incident(self) -> None:
        alert = self._selected()
        if alert is not None and alert.incident_id:
            self.cockpit.open_incident(alert.incident_id)
        elif alert is not None:
            self.notify("This alert belongs to no incident yet: d declares one, a attaches it.")

    def action_poll(self) -> None:
        poller = self.cockpit.alerts
        if poller is None or poller.settings is None:
            self.notify(poller.note if poller is not None and poller.note else "No Alertmanager configured.",
                        severity="warning")
            return
        poller.round()

    def action_close(self) -> None:
        self.dismiss(None)


def _default_log(app: CockpitHost) -> Any:
    from cockpit.service.alerts import AlertLog

    return AlertLog(app.service)
