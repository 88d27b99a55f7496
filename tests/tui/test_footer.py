"""The key footer is built again whenever the keys change (a focus change does it): each key is styled once, not
given the compact class and then had it taken away (two restyles a key, about a tenth of the first frame)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.dom import DOMNode
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from cockpit.tui.footer import CockpitFooter
from cockpit.tui.screens.incident import IncidentScreen
from tests.tui.conftest import settle, wait_until


async def incident_footer(pilot: Any) -> CockpitFooter:
    """The incident screen's footer, once the screen shows its incident and has settled."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
    await settle(pilot)
    return app.screen.query_one(CockpitFooter)


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
        footer = await incident_footer(pilot)
        keys = {key.key for key in footer.query(FooterKey)}
        assert {"e", "s", "slash"} <= keys  # the incident screen's keys are there
        await pilot.press("e")  # the entry line takes the focus: other keys, the footer built again
        await settle(pilot)
        bound = [key for key in footer.query(FooterKey) if not key.has_class("-command-palette")]
        assert bound and not any(key.has_class("-compact") for key in bound)
    assert compacted == []


async def test_the_footer_is_built_once_per_change_of_keys_and_not_when_they_stay(
        make_app: Any, sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a focus change told the footer twice that its keys may have changed, and it was built twice (about 40 ms of
    # CPU each on the incident screen); a screen that refreshes its keys without changing them had it built again
    builds: list[int] = []
    build = Footer.recompose

    async def counting(self: Footer) -> None:
        builds.append(1)
        await build(self)

    monkeypatch.setattr(Footer, "recompose", counting)
    app = make_app(sample_db)
    async with app.run_test(size=(80, 24)) as pilot:
        footer = await incident_footer(pilot)

        def shown() -> list[str]:
            return [key.key for key in footer.query(FooterKey) if not key.has_class("-command-palette")]

        def expected() -> list[str]:
            first: dict[str, str] = {}  # one key an action, as Textual's footer shows it
            for _node, binding, _enabled, _tip in app.screen.active_bindings.values():
                if binding.show:
                    first.setdefault(binding.action, binding.key)
            return list(first.values())

        for pane in ("2", "1", "3", "1"):
            builds.clear()
            before = shown()
            await pilot.press(pane)
            await settle(pilot)
            assert len(builds) == 1, (pane, builds)  # once for the one change
            assert shown() == expected() and shown() != before  # and it shows the focused pane's keys
        kept = list(footer.query(FooterKey))
        builds.clear()
        app.screen.refresh_bindings()  # told again, nothing changed: the same keys stay, not built again
        await settle(pilot)
        assert builds == [] and list(footer.query(FooterKey)) == kept
