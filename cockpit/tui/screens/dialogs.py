"""Small modal dialogs: ask for a line of text, confirm a step, read one entry in full."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from cockpit.domain.incident import Entry
from cockpit.textsafe import literal


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line. Enter returns it (an empty answer is refused); Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "", help_text: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.placeholder = placeholder
        self.value = value
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.prompt_title), classes="dialog-title")
            if self.help_text:
                yield Static(Text(self.help_text), classes="dialog-help")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static(Text("Enter to confirm · Esc to cancel"), classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        answer = event.value.strip()
        if answer:
            self.dismiss(answer)
        else:
            self.notify("Type something, or press Esc to cancel.", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question; ``y`` confirms, ``n`` or Escape declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-title")
            yield Static(Text("y to confirm · n or Esc to decline"), classes="dialog-keys")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class EntryDetail(ModalScreen[None]):
    """One timeline entry in full, shown literally."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="entry.close")]

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        entry = self.entry
        header = (f"{entry.at.astimezone():%Y-%m-%d %H:%M:%S %Z} · {entry.at:%H:%M:%S} UTC · {entry.kind} · "
                  f"{literal(entry.author)}")
        with Vertical(classes="dialog wide"):
            yield Static(Text(header), classes="dialog-title")
            with VerticalScroll(classes="entry-body"):
                yield Static(Text(literal(entry.text[:200_000])))
            yield Static(Text("Esc to close"), classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)
