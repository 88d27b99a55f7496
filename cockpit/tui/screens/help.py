"""``?``: every key of the screen below, its pane widgets and the app, with binding ids for remapping."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from cockpit.tui.host import host_of


def bindings_of(node: DOMNode) -> list[Binding]:
    found: list[Binding] = []
    for cls in type(node).__mro__:
        for item in cls.__dict__.get("BINDINGS", []):
            if isinstance(item, Binding) and item.id and all(item.id != b.id for b in found):
                found.append(item)
    return found


def all_bindings(screen: Screen[object] | None, app: DOMNode) -> list[tuple[str, list[Binding]]]:
    groups: list[tuple[str, list[Binding]]] = []
    if screen is not None:
        groups.append((type(screen).__name__.replace("Screen", "") or "Screen", bindings_of(screen)))
        seen: set[type] = set()
        for widget in screen.query("*"):
            if type(widget) in seen:
                continue
            seen.add(type(widget))
            own = [b for b in bindings_of(widget) if b.id and b.id.split(".")[0] not in {"app"}]
            if own and type(widget).__module__.startswith("cockpit"):
                groups.append((type(widget).__name__.replace("Pane", "").replace("View", ""), own))
    groups.append(("Everywhere", bindings_of(app)))
    return groups


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, target: Screen[object] | None) -> None:
        super().__init__()
        self.target = target
        self.rows: list[tuple[str, str, str]] = []  # (keys, what it does, binding id)

    def compose(self) -> ComposeResult:
        cockpit = host_of(self.app)
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        table.add_column("Binding id (remap in config.yaml → keymap)", no_wrap=True)
        for group, bindings in all_bindings(self.target, self.app):
            table.add_row(Text(group, style="bold underline"), "", "")
            for binding in bindings:
                keys = _pretty(cockpit.keymap.get(binding.id or "", binding.key))
                does = binding.description or binding.action
                self.rows.append((keys, does, binding.id or ""))
                table.add_row(Text(keys), Text(does), Text(binding.id or ""))
        with VerticalScroll(classes="dialog wide", id="help"):
            yield Static(Text("Keys · the IC coordinates, the cockpit keeps the record", style="bold"))
            yield Static(table)
            yield Static(Text("Esc closes · ctrl+p opens the command palette · ctrl+q quits"))

    def action_close(self) -> None:
        self.dismiss(None)


def _pretty(keys: str) -> str:
    names = {"right_square_bracket": "]", "left_square_bracket": "[", "slash": "/", "question_mark": "?"}
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))
