"""The key footer is built again whenever the keys change (a focus change does it): each key is styled once, not
given the compact class and then had it taken away (two restyles a key, about a tenth of the first frame)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.dom import DOMNode
from textual.widgets._footer import FooterKey

from cockpit.tui.footer import CockpitFooter
from cockpit.tui.screens.incident import IncidentScreen
from tests.tui.conftest import settle, wait_until


async def test_footer_keys_are_not_made_compact_and_back(make_app: Any, sample_db: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    compacted: list[str] = []
    add_class = DOMNode.add_class

    def counting(self: DOMNode, *names: str, update: bool = True) -> DOMNode:
        if isinstance(self, FooterKey) and "-compact" in names and "-compact" not in self.classes \
                and not self.has_class("-command-palette"):  # (not bound to the footer: compact, as Textual makes it)
            compacted.append(self.key)
        return add_class(self, *names, update=update)

    monkeypatch.setattr(DOMNode, "add_class", counting)
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
        await settle(pilot)
        footer = app.screen.query_one(CockpitFooter)
        keys = {key.key for key in footer.query(FooterKey)}
        assert {"e", "s", "slash"} <= keys  # the incident screen's keys are there
        await pilot.press("e")  # the entry line takes the focus: other keys, the footer built again
        await settle(pilot)
        bound = [key for key in footer.query(FooterKey) if not key.has_class("-command-palette")]
        assert bound and not any(key.has_class("-compact") for key in bound)
    assert compacted == []
