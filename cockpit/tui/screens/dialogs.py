"""Small modal dialogs: ask for a line of text, confirm a step, pick from a list, read one entry in full."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from cockpit.domain.evidence import MAX_EVIDENCE_BYTES
from cockpit.domain.incident import LOCAL_MARK, Entry
from cockpit.textsafe import clipboard_text, literal
from cockpit.tui.fields import Field


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
            yield Field(value=self.value, placeholder=self.placeholder, id="prompt-input")
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
    """A yes/no question; ``y`` confirms, ``n`` or Escape declines (Enter does nothing: a stray Enter after the
    key that opened it must not say yes). ``writes`` is what a yes adds to the append-only timeline, shown
    word for word so the person knows what will be recorded."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, writes: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.writes = writes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-title")
            if self.writes is not None:
                yield Static(Text("Writes to the timeline:"), classes="dialog-help")
                yield Static(Text(literal(self.writes[:2000])), classes="dialog-writes")
            yield Static(Text("y to confirm · n or Esc to decline"), classes="dialog-keys")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


def entry_facts(entry: Entry) -> str:
    """What the tracker got of an entry, and an evidence entry's hash: "sent to tracker with 2 redactions: …"."""
    facts = [f"{LOCAL_MARK} {entry.sharing}" if entry.local_only else entry.sharing] if entry.sharing else []
    facts += [f"SHA-256 of the input: {entry.sha256}"] if entry.sha256 else []
    return " · ".join(facts)


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
            if entry.sharing or entry.sha256:
                yield Static(Text(entry_facts(entry)), classes="dialog-help")
            with VerticalScroll(classes="entry-body"):
                yield Static(Text(literal(entry.text[:MAX_EVIDENCE_BYTES + 200])))
            yield Static(Text("Esc to close"), classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)


class Pick(ModalScreen[str | None]):
    """Choose one item from a list: arrows and Enter pick, Esc cancels. ``choices`` are (id, label) pairs."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, Text]], help_text: str = "") -> None:
        super().__init__()
        self.prompt_title = title
        self.choices = choices
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(self.prompt_title), classes="dialog-title")
            if self.help_text:
                yield Static(Text(self.help_text), classes="dialog-help")
            yield OptionList(*[Option(label, id=key) for key, label in self.choices], id="pick-list")
            yield Static(Text("↑/↓ choose · Enter picks · Esc cancels"), classes="dialog-keys")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.choices:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickSeveral(ModalScreen[list[str] | None]):
    """Tick any number of items: Space ticks, Enter applies (nothing ticked: all), Esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("enter", "apply", "Apply", id="dialog.apply", priority=True),
    ]

    def __init__(self, title: str, choices: list[tuple[str, str]], chosen: set[str]) -> None:
        super().__init__()
        self.prompt_title = title
        self.choices = choices
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.prompt_title), classes="dialog-title")
            yield SelectionList[str](*[(label, key, key in self.chosen) for key, label in self.choices],
                                     id="pick-several")
            yield Static(Text("Space ticks · Enter applies · Esc cancels"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        self.dismiss(list(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


class CopyView(ModalScreen[None]):
    """What a copy sent, shown plain from the first column, so it can be selected by hand when the terminal (or
    tmux, whose default drops OSC 52) never put it on the clipboard."""

    BINDINGS = [Binding("escape,q,enter", "close", "Close", id="copy.close")]

    def __init__(self, what: str, text: str) -> None:
        super().__init__()
        self.what = what
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-view"):
            yield Static(Text(f"{self.what}: sent to the terminal clipboard (OSC 52). Not every terminal takes it "
                              "(tmux drops it unless set-clipboard is on): if a paste gives nothing, select the text "
                              "below by hand (Shift+drag in most terminals). Esc closes.", style="bold"),
                         id="copy-note")
            with VerticalScroll(id="copy-text"):
                yield Static(Text(clipboard_text(self.text)))

    def action_close(self) -> None:
        self.dismiss(None)
