"""A theme file holding an impossible date (issue #17, item 9): the cockpit still starts, with that theme skipped
and reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import ROOT, settle


async def test_the_cockpit_starts_with_a_theme_holding_an_impossible_date_skipped(make_app, sample_db: Path,
                                                                                  tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "dated.yaml").write_text("name: dated\nprimary: 2026-02-30\n")
    app = make_app(sample_db, theme="dated", theme_dirs=[ROOT / "themes", themes])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.is_running and app.theme == "cockpit-dark"
        messages = " ".join(n.message for n in app._notifications)
        assert f"{themes / 'dated.yaml'}:2:10: primary: '2026-02-30' is not a real date" in messages
        assert "Theme 'dated' was not found; using cockpit-dark." in messages
