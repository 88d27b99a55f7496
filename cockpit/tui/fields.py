"""Text fields that take every key in the order it was typed.

Textual hands a printable key to the focused field, which inserts it at once, while a key the field knows as a
binding (ctrl+u, backspace, the arrows, Enter) bubbles up through the field's parents and comes back to the field's
binding later. Keys that arrive together (typed faster than a busy cockpit draws, seen in tmux under load) were
then applied out of order: ctrl+u followed by new words wiped the new words, a backspace removed the letter typed
after it. These fields act on their own bindings when the key reaches them, before the keys behind it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from textual import events
from textual.actions import parse
from textual.binding import BindingsMap
from textual.widget import Widget
from textual.widgets import Input, TextArea


@cache
def own_bindings(widget_class: type[Widget]) -> Mapping[str, str]:
    """Each key a field class binds, and its action (a subclass's binding over its base's, as Textual merges them)."""
    actions: dict[str, str] = {}
    for klass in reversed(widget_class.__mro__):
        declared = klass.__dict__.get("BINDINGS")
        if not declared:
            continue
        for key, bindings in BindingsMap(declared).key_to_bindings.items():
            actions[key] = bindings[0].action
    return actions


async def act_in_order(field: Widget, event: events.Key) -> None:
    """Run the field's own binding for this key now (and stop the key), when it has one that is available."""
    action = own_bindings(type(field)).get(event.key)
    if action is None:
        return
    _, name, parameters = parse(action)
    if field.check_action(name, parameters) is not True:
        return  # unavailable here: the key goes on up, as Textual would send it
    event.stop()
    event.prevent_default()
    await field.run_action(action)


class Field(Input):
    """A one-line field whose editing keys act in the order they were typed."""

    async def on_key(self, event: events.Key) -> None:
        await act_in_order(self, event)


class NotesArea(TextArea):
    """A text area whose editing keys act in the order they were typed."""

    async def on_key(self, event: events.Key) -> None:
        await act_in_order(self, event)

