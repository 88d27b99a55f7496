"""Comms: the seed's three templates filled from the incident. Copying one (``y``) and recording it as sent
(Enter, after a confirmation) are two separate things: a copy is not a message that went out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.domain.comms import RenderedComms, Template, published_text, sent_text
from cockpit.domain.statuspage import check_publishable
from cockpit.textsafe import literal
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.screens.dialogs import Confirm, CopyView
from cockpit.tui.screens.header import IncidentHeaderScreen

if TYPE_CHECKING:
    from cockpit.service.incidents import IncidentService

TEMPLATES = tuple(Template)


class CommsScreen(IncidentHeaderScreen):
    BINDINGS = [
        Binding("1", "choose(0)", "Initial", id="comms.initial"),
        Binding("2", "choose(1)", "Customer", id="comms.customer"),
        Binding("3", "choose(2)", "Resolution", id="comms.resolution"),
        Binding("y", "copy", "Copy", id="comms.copy"),
        Binding("enter", "record", "Record as sent", id="comms.record"),
        Binding("P", "publish", "Publish", id="comms.publish"),
        Binding("escape", "back", "Back", id="comms.back"),
    ]

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.chosen = 0
        self.rendered: dict[Template, RenderedComms] = {}

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="comms-tabs")
        with VerticalScroll(id="comms-body"):
            yield Static(id="comms-text")
        yield Static(id="comms-note")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.start_header()

        def render_all(svc: IncidentService) -> dict[Template, RenderedComms]:
            return {t: svc.render_comms(self.incident_id, t) for t in TEMPLATES}

        self.cockpit.call_service(render_all, self._rendered)

    def _rendered(self, rendered: dict[Template, RenderedComms]) -> None:
        self.rendered = rendered
        self._show()

    def _show(self) -> None:
        tabs = Text()
        for index, template in enumerate(TEMPLATES):
            label = f" {index + 1} {template.title} "
            tabs.append(label, "reverse bold" if index == self.chosen else "")
            tabs.append(" ")
        self.query_one("#comms-tabs", Static).update(tabs)
        rendered = self.rendered.get(TEMPLATES[self.chosen])
        if rendered is None:
            return
        self.query_one("#comms-text", Static).update(Text(literal(rendered.text)))
        note = rendered.draft_note or ("y copies it · Enter records it as sent (restarts the check-in countdown) · "
                                       "P publishes it to the status page (customer and resolution only)")
        self.query_one("#comms-note", Static).update(Text(note))

    def action_choose(self, index: int) -> None:
        self.chosen = index
        self._show()

    def action_copy(self) -> None:
        rendered = self.rendered.get(TEMPLATES[self.chosen])
        if rendered is None:
            return
        self.app.copy_to_clipboard(rendered.text)
        self.app.push_screen(CopyView(rendered.template.title, rendered.text),
                             lambda _: self.notify("Enter records it as sent, once it went out."))

    def action_record(self) -> None:
        template = TEMPLATES[self.chosen]
        rendered = self.rendered.get(template)
        if rendered is None:
            return
        text = rendered.text

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: svc.record_comms_sent(self.incident_id, template, text),
                                          lambda _entry: self.notify(f"Recorded as sent: {template.title}. The "
                                                                     "check-in countdown restarted."))

        self.app.push_screen(Confirm(f"Record the {template.title.lower()} as sent? It counts as a status update "
                                     "(restarts the check-in countdown).", writes=sent_text(template, text)),
                             confirmed)

    def action_publish(self) -> None:
        """Make the chosen message public (logged as sent too) and rebuild the status page if one is set up."""
        from cockpit.web.settings import page_settings
        from cockpit.web.statuspage import publish_and_rebuild

        template = TEMPLATES[self.chosen]
        rendered = self.rendered.get(template)
        if rendered is None:
            return
        text, config = rendered.text, self.cockpit.config

        def done(result: Any) -> None:
            notice, page = result
            self.notify(f"Published “{notice.public_title}” to the status page"
                        + (f"; {page} rebuilt." if page else "; no status page folder is set (status_page.dir)."))

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: publish_and_rebuild(
                    svc, self.incident_id, template, page_settings(config.raw, config.path), text=text), done)

        def ask(_: None) -> None:
            self.app.push_screen(Confirm(f"Publish the {template.title.lower()} to the public status page? "
                                         "Customers will read it; it is also recorded as sent.",
                                         writes=published_text(template, text)), confirmed)

        # what can never be published is refused before anything is asked
        def publishable(svc: IncidentService) -> None:
            snap = svc.get(self.incident_id, with_timeline=False).snapshot
            check_publishable(template, snap.phase, snap.ref)

        self.cockpit.call_service(publishable, ask)

    def action_back(self) -> None:
        self.app.pop_screen()
