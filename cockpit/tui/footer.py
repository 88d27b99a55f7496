"""The key footer, built once per change of keys, and restyled once per build.

Textual's ``Footer`` is built again (every key removed, new keys mounted and styled) each time the screen says its
keys may have changed: a focus change says so twice, and so do keys that change nothing. On the incident screen a
build costs about 40 ms of CPU, so moving between panes cost about 100 ms a key. This footer builds again only when
what it shows would differ: the keys, their labels, which are enabled, their tooltips and the palette's key.

Textual's ``FooterKey`` also starts compact and is then bound to its footer's (not compact): every key gains the
``-compact`` class on mount and loses it a moment later, and each change restyles the key. Each key bound to its
footer here starts as the footer is; nothing else differs (the command palette's key is not bound to it and stays
as Textual makes it).
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class CockpitFooter(Footer):
    _built_for: tuple[Hashable, ...] | None = None

    def shown(self) -> tuple[Hashable, ...]:
        """Everything the footer's build depends on, to compare with what it was last built for."""
        app = self.app
        keys = tuple(
            (name, binding.key, app.get_key_display(binding), binding.action, binding.description, binding.show,
             binding.group, enabled, tooltip)
            for name, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items())
        return keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE, self.combine_groups

    def compose(self) -> ComposeResult:
        shown = self.shown()
        built = False
        for widget in super().compose():
            built = True
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget
        self._built_for = shown if built else None  # nothing built (the keys not known yet): build next time

    async def recompose(self) -> None:
        if self._built_for is not None and self.is_attached and self.shown() == self._built_for:
            return
        await super().recompose()
