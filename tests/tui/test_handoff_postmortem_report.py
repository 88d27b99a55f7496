"""The handoff editor, the postmortem view and the report screen, driven with Pilot."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from cockpit.service.handoffs import Handoffs
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.screens.dialogs import Confirm
from cockpit.tui.screens.handoff import HandoffScreen, parse_section, section_text
from cockpit.tui.screens.postmortem import PostmortemScreen
from cockpit.tui.screens.report import ReportScreen
from tests.tui.conftest import confirm, settle, wait_until


def live_ref(db: Path) -> str:
    return IncidentService(Store.open(db), "reader").list_incidents()[0].ref

SIZE = (120, 40)


def test_section_text_round_trip() -> None:
    fields = ("change", "risk", "rollback")
    items = [{"change": "Deployed v2", "risk": "low", "rollback": "helm rollback"},
             {"change": "Config flag", "risk": "", "rollback": ""}]
    assert parse_section(section_text(items, fields), fields) == items
    assert parse_section("a | b | c | d\n\n  \n", fields) == [{"change": "a", "risk": "b", "rollback": "c | d"}]


async def test_edit_sign_and_acknowledge_a_handoff(make_app, sample_db: Path) -> None:
    app = make_app(sample_db, responder="priya")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, HandoffScreen)
        await wait_until(pilot, lambda: app.screen.ready)
        assert app.screen.handoff is None  # none in progress: a new one is an explicit choice
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.screen.handoff is not None)
        issues = app.screen.query_one("#section-open_issues", TextArea)
        assert "SEV1 MITIGATE: Checkout API returning 500s" in issues.text  # prefilled from the store
        risks = app.screen.query_one("#section-known_risks", TextArea)
        risks.focus()
        await pilot.press(*"Black Friday peak | checkout p99 over 800 ms")
        key = app.screen.handoff.key
        svc = IncidentService(Store.open(sample_db), "reader")
        await wait_until(pilot, lambda: Handoffs(svc).get(key).sections["known_risks"] == [
            {"event": "Black Friday peak", "watch_for": "checkout p99 over 800 ms"}])  # saved as you type
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: Handoffs(svc).get(key).state == "signed")
    incoming = make_app(sample_db, responder="sofia")
    async with incoming.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await wait_until(pilot, lambda: incoming.screen.handoff is not None)
        assert incoming.screen.handoff.key == key  # the signed handoff, not a new draft
        await confirm(pilot, "ctrl+y")
        await settle(pilot)
        await wait_until(pilot, lambda: Handoffs(svc).get(key).state == "acknowledged")
        assert incoming.screen.query_one("#section-known_risks", TextArea).read_only
    done = Handoffs(svc).get(key)
    assert done.acknowledged_by == "sofia" and done.author == "priya"


async def test_postmortem_view(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PostmortemScreen)
        await wait_until(pilot, lambda: bool(app.screen.markdown))
        head = str(app.screen.query_one("#pm-head").render())
        assert "DRAFT OF AN UNRESOLVED INCIDENT" in head and "SEV1" in head
        assert app.screen.markdown.startswith("> **Draft of an unresolved incident**")
        assert "## Action Items" in app.screen.markdown and "(proposed)" in app.screen.markdown
        markdown = app.screen.markdown
        await pilot.press("y")
        assert app.clipboard == markdown


async def test_report_screen_with_chart(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        await wait_until(pilot, lambda: "2026-11" in str(app.screen.query_one("#report-chart").render()))
        chart = str(app.screen.query_one("#report-chart").render())
        assert "SEV1 1" in chart and "legend:" in chart
        assert "| Pages per shift |" in app.screen.query_one("#report-text").source  # rendered as a table
        await pilot.press("left")
        await wait_until(pilot, lambda: "2026-10" in str(app.screen.query_one("#report-chart").render()))


async def test_action_items_are_editable_from_the_postmortem_view(make_app, sample_db: Path) -> None:
    from cockpit.service.aftercare import Aftercare

    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.draft is not None)
        proposed = [a for a in app.screen.draft.action_items if a.proposed]
        assert proposed
        await pilot.press("a")
        assert isinstance(app.screen, Confirm)  # accepting writes to the timeline: it asks, listing them
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.draft is not None
                         and not any(a.proposed for a in app.screen.draft.action_items))
        await pilot.press("n", *"Load-test checkout before Black Friday", "enter")
        await settle(pilot)
        await pilot.press("d", *proposed[0].key, "enter")
        await settle(pilot)
    svc = IncidentService(Store.open(sample_db), "reader")
    items = Aftercare(svc).actions(query=live_ref(sample_db), include_done=True)
    assert [a.description for a in items[: len(proposed)]] == [a.description for a in proposed]
    assert [(a.owner, a.priority) for a in items[: len(proposed)]] == [(a.owner, a.priority) for a in proposed]
    assert items[0].status == "done" and items[-1].description == "Load-test checkout before Black Friday"


def test_the_ack_window_comes_from_the_config(tmp_path: Path) -> None:
    from cockpit.config import load_config

    path = tmp_path / "c.yaml"
    path.write_text("handoff_ack_minutes: 15\n")
    assert load_config(path).handoff_ack_minutes == 15
    path.write_text("handoff_ack_minutes: soon\n")
    import pytest

    from cockpit.errors import InvalidInput

    with pytest.raises(InvalidInput, match="handoff_ack_minutes: must be minutes"):
        load_config(path)
