"""The key footer, restyled once per change of keys instead of twice per key.

Textual's ``FooterKey`` starts compact and is then bound to its footer's (not compact): every key gains the
``-compact`` class on mount and loses it a moment later, and each change restyles the key. The footer is built
again whenever the keys change (a focus change does it), so on the incident screen that was two restyles for each of
its keys, about a tenth of the first frame. Each key bound to its footer here starts as the footer is; nothing
else differs (the command palette's key is not bound to it and stays as Textual makes it).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class CockpitFooter(Footer):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget
