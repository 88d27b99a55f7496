"""The handoff editor: sections saved as you type, signed off and acknowledged with a key that asks first."""

from __future__ import annotations

from datetime import UTC, timedelta

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Static, TextArea

from cockpit.domain.handoff import SECTIONS, Handoff, check_acknowledge
from cockpit.errors import CockpitError
from cockpit.service.handoffs import Handoffs
from cockpit.service.runbooks import library_folders, load_library
from cockpit.textsafe import literal
from cockpit.tui.fields import Field, NotesArea
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of
from cockpit.tui.screens.dialogs import Confirm

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
            yield Field(id="recipient", placeholder="name of the incoming on-call engineer")
            for key, title, fields in SECTIONS:
                yield Label(Text(f"{title}  ·  one per line: {SEPARATOR.join(fields)}"), classes="section-title")
                yield NotesArea(id=f"section-{key}", soft_wrap=True, classes="section")
        yield CockpitFooter()

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
