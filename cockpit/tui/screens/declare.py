"""Declare an incident: title, services, impact, scope, triggers, when impact began, IC → the SEV and why.

One field per line, so the whole form and its Declare button fit an 80×24 terminal; ctrl+s declares from any
field.
"""

from __future__ import annotations

from datetime import UTC

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.severity import IMPACTS, SCOPES, TRIGGER_LABELS, Impact, Scope, Triggers, classify
from cockpit.domain.when import parse_started
from cockpit.errors import InvalidInput
from cockpit.textsafe import one_line
from cockpit.tui.fields import Field
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of

TRIGGER_SHORT = {"data_loss": "Data loss", "security_pii": "PII breach", "revenue": "Revenue",
                 "sla_breach": "SLA breach"}


class TickBox(Checkbox):
    """A checkbox whose mark is a character, not only a colour: "X" when ticked, blank when not (NO_COLOR)."""

    @property
    def _button(self) -> Content:
        button_style = self.get_visual_style("toggle--button")
        side_style = Style(foreground=button_style.background, background=self.background_colors[1])
        return Content.assemble((self.BUTTON_LEFT, side_style),
                                (self.BUTTON_INNER if self.value else " ", button_style),
                                (self.BUTTON_RIGHT, side_style))


class DeclareScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+s", "declare", "Declare", id="declare.submit", priority=True),
        Binding("escape", "cancel", "Cancel", id="declare.cancel"),
        # Tab moves focus before the next key is handed on: a non-priority Tab is queued behind the keys typed
        # ahead of it on a busy machine, so "title<Tab>service" put the service into the title
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True, id="declare.next"),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True,
                id="declare.previous"),
    ]

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="preview")
        with VerticalScroll(id="declare-form"):
            yield Label("Declare an incident · Tab moves · ctrl+s declares · Esc cancels", classes="form-title")
            with Horizontal(classes="form-row"):
                yield Label("Title")
                yield Field(placeholder="What is wrong, in a few words", id="title", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Services")
                yield Field(placeholder="checkout-api, orders-db (comma-separated)", id="services", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Impact")
                yield Select([(i.label, i.value) for i in IMPACTS], value=Impact.DEGRADED.value,
                             allow_blank=False, id="impact", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Scope")
                yield Select([(s.label, s.value) for s in SCOPES], value=Scope.LT25.value,
                             allow_blank=False, id="scope", compact=True)
            with Horizontal(classes="form-row triggers"):
                yield Label("Triggers")
                for name in TRIGGER_LABELS:
                    yield TickBox(TRIGGER_SHORT[name], id=f"trigger-{name}", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Impact began")
                yield Field(placeholder="15 min ago · 14:03 · blank if unknown", id="started", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Commander")
                yield Field(value=self.cockpit.responder, id="ic", compact=True)
            with Horizontal(classes="form-row buttons"):
                yield Label("")
                yield Button("Declare (ctrl+s)", variant="error", id="declare", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self._preview()
        from cockpit.service.catalog import service_folders

        if service_folders(self.cockpit.config.service_dirs):  # the catalog offers its services (#11)
            from cockpit.tui.screens.services import catalog_names

            self.cockpit.call_service(lambda svc: catalog_names(self.cockpit, svc), self._offer_services,
                                      group="poll", quiet=True)

    def _offer_services(self, names: list[str]) -> None:
        if not names:
            return
        from cockpit.tui.screens.services import ServiceSuggester

        field = self.query_one("#services", Input)
        field.suggester = ServiceSuggester(names)
        shown = ", ".join(names[:3])
        field.placeholder = f"{len(names)} in the catalog, e.g. {shown} (→ completes; comma-separated)"

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The field being filled in is pointed at, so it is clear where the next keys go."""
        for row in self.query(".form-row"):
            label = row.query_one(Label)
            text = str(label.content).lstrip("› ")
            label.update(f"› {text}" if event.widget in row.query("*") else text)

    def _triggers(self) -> Triggers:
        return Triggers(**{name: self.query_one(f"#trigger-{name}", Checkbox).value for name in TRIGGER_LABELS})

    def _choice(self) -> tuple[Impact, Scope]:
        impact = self.query_one("#impact", Select).value
        scope = self.query_one("#scope", Select).value
        return Impact(str(impact)), Scope(str(scope))

    def _preview(self) -> None:
        impact, scope = self._choice()
        result = classify(impact, scope, self._triggers())
        sev = result.severity
        text = Text()
        text.append(f" {sev.label} ", style=f"bold {self.app.theme_variables.get(f'sev{sev.value}-text', 'white')} "
                                             f"on {self.app.theme_variables.get(f'sev{sev.value}', 'red')}")
        text.append(f"  {result.explanation}")
        self.query_one("#preview", Static).update(text)

    def on_select_changed(self, _event: Select.Changed) -> None:
        self._preview()

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        self._preview()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "declare":
            self.action_declare()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_cancel(self) -> None:
        self.app.pop_screen()

    def action_declare(self) -> None:
        title = self.query_one("#title", Input).value
        services = [s.strip() for s in self.query_one("#services", Input).value.split(",") if s.strip()]
        commander = self.query_one("#ic", Input).value.strip() or None
        impact, scope = self._choice()
        triggers = self._triggers()
        started_text = self.query_one("#started", Input).value.strip()
        try:  # a bare clock time is the person's local time, as the timeline shows it
            now = self.cockpit.clock()
            started = parse_started(started_text, now, now.astimezone().tzinfo or UTC) if started_text else None
        except InvalidInput as exc:
            self.notify(str(exc), severity="error")
            self.query_one("#started", Input).focus()
            return

        def opened(snapshot: IncidentSnapshot) -> None:
            self.notify(f"Declared {snapshot.ref}: {one_line(snapshot.severity_reason)}")
            self.cockpit.open_incident(snapshot.id)

        self.cockpit.call_service(
            lambda svc: svc.open_incident(title, impact, scope, triggers, services, commander=commander,
                                          started_at=started), opened)
