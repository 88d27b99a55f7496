"""Comms: the seed's three templates filled from the incident; copy one (OSC 52) and log it as sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from cockpit.domain.comms import RenderedComms, Template
from cockpit.textsafe import literal

if TYPE_CHECKING:
    from cockpit.tui.app import CockpitApp

TEMPLATES = tuple(Template)


class CommsScreen(Screen[None]):
    BINDINGS = [
        Binding("1", "choose(0)", "Initial", id="comms.initial"),
        Binding("2", "choose(1)", "Customer", id="comms.customer"),
        Binding("3", "choose(2)", "Resolution", id="comms.resolution"),
        Binding("y,enter", "send", "Copy & log sent", id="comms.send"),
        Binding("P", "publish", "Publish", id="comms.publish"),
        Binding("escape", "back", "Back", id="comms.back"),
    ]

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.chosen = 0
        self.rendered: dict[Template, RenderedComms] = {}

    @property
    def cockpit(self) -> CockpitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="comms-tabs")
        with VerticalScroll(id="comms-body"):
            yield Static(id="comms-text")
        yield Static(id="comms-note")
        yield Footer()

    def on_mount(self) -> None:
        def render_all(svc: Any) -> dict[Template, RenderedComms]:
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
        note = rendered.draft_note or ("y / Enter: copy to the clipboard and log it as sent (restarts the check-in)."
                                       "  P: publish it to the status page (customer and resolution only).")
        self.query_one("#comms-note", Static).update(Text(note))

    def action_choose(self, index: int) -> None:
        self.chosen = index
        self._show()

    def action_send(self) -> None:
        template = TEMPLATES[self.chosen]
        rendered = self.rendered.get(template)
        if rendered is None:
            return
        self.app.copy_to_clipboard(rendered.text)
        text = rendered.text
        self.cockpit.call_service(lambda svc: svc.record_comms_sent(self.incident_id, template, text),
                                  lambda _entry: self.notify(f"{template.title} copied and logged as sent."))

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

        self.cockpit.call_service(lambda svc: publish_and_rebuild(
            svc, self.incident_id, template, page_settings(config.raw, config.path), text=text), done)

    def action_back(self) -> None:
        self.app.pop_screen()
