"""Declare an incident: title, services, impact, scope, triggers → the resulting SEV and why, then confirm."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.severity import IMPACTS, SCOPES, TRIGGER_LABELS, Impact, Scope, Triggers, classify
from cockpit.textsafe import one_line

if TYPE_CHECKING:
    from cockpit.tui.app import CockpitApp


class DeclareScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+s", "declare", "Declare", id="declare.submit", priority=True),
        Binding("escape", "cancel", "Cancel", id="declare.cancel"),
    ]

    @property
    def cockpit(self) -> CockpitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="preview")
        with VerticalScroll(id="declare-form"):
            yield Label("Declare an incident", classes="form-title")
            yield Label("Title")
            yield Input(placeholder="What is wrong, in a few words", id="title")
            yield Label("Services (comma-separated)")
            yield Input(placeholder="checkout-api, orders-db", id="services")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Impact")
                    yield Select([(i.label, i.value) for i in IMPACTS], value=Impact.DEGRADED.value,
                                 allow_blank=False, id="impact")
                with Vertical():
                    yield Label("Scope")
                    yield Select([(s.label, s.value) for s in SCOPES], value=Scope.LT25.value,
                                 allow_blank=False, id="scope")
            with Horizontal(classes="form-row triggers"):
                for name, label in TRIGGER_LABELS.items():
                    yield Checkbox(label, id=f"trigger-{name}")
            yield Label("Incident Commander")
            yield Input(value=self.cockpit.responder, id="ic")
            with Horizontal(classes="form-row"):
                yield Button("Declare (ctrl+s)", variant="error", id="declare")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self._preview()

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
        text.append(f"  {result.explanation}  ·  ctrl+s declares, Esc cancels")
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

        def opened(snapshot: IncidentSnapshot) -> None:
            self.notify(f"Declared {snapshot.ref}: {one_line(snapshot.severity_reason)}")
            self.cockpit.open_incident(snapshot.id)

        self.cockpit.call_service(
            lambda svc: svc.open_incident(title, impact, scope, triggers, services, commander=commander), opened)
