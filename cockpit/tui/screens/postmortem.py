"""The postmortem view: the document drafted from the store, its action items, the meeting timer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from cockpit.domain import postmortem as pm
from cockpit.service.aftercare import Aftercare
from cockpit.textsafe import literal
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.markdown import safe_markdown
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.screens.dialogs import Confirm, CopyView, TextPrompt
from cockpit.tui.screens.header import IncidentHeaderScreen

if TYPE_CHECKING:
    from cockpit.service.incidents import IncidentService


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
        yield CockpitFooter()

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

        def accept(svc: IncidentService) -> int:
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

