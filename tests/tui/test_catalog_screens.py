"""The services screen (V), the readiness walk (r), the weekly review (W), the postmortem meeting timer (M), the
declare form's catalog services and the incident screen's neighbours: the real app with Pilot, the sample data
in a real SQLite file, the sample catalog copied to a folder the walk may write to."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from textual.widgets import DataTable, Input

from cockpit.domain import readiness as rd
from cockpit.service.catalog import load_catalog
from cockpit.service.sample import SAMPLE_DIR
from cockpit.tui.screens.dialogs import Confirm, CopyView, TextPrompt
from cockpit.tui.screens.meeting import MeetingScreen
from cockpit.tui.screens.services import ReadinessScreen, ServicesScreen, WeeklyScreen
from tests.tui.conftest import settle, wait_until

SIZE = (100, 32)


@pytest.fixture
def services_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "services"
    shutil.copytree(SAMPLE_DIR / "services", folder)
    monkeypatch.setenv("COCKPIT_SERVICE_DIRS", str(folder))
    monkeypatch.setenv("COCKPIT_SLO_DIRS", str(SAMPLE_DIR / "slos"))
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(SAMPLE_DIR / "runbooks"))
    return folder


def shown(app: Any) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static"))


async def started(pilot: Any) -> None:
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "IncidentScreen")
    await settle(pilot)


async def open_services(pilot: Any) -> ServicesScreen:
    await started(pilot)
    await pilot.press("V")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ServicesScreen) and bool(pilot.app.screen.views))
    await settle(pilot)
    return pilot.app.screen  # type: ignore[no-any-return]


async def test_services_screen_lists_the_catalog(make_app, sample_db: Path, services_dir: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_services(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 10
        names = [v.row.entry.name for v in screen.views]
        assert names[:6] == ["api-gateway", "checkout-api", "identity-api", "orders-db", "payment-gateway",
                             "web-frontend"]  # critical first, then by name
        await pilot.press("down")
        await settle(pilot)
        text = shown(app)
        assert "checkout-api (critical) · owner payments · on-call payments-primary" in text
        assert "Multi-region (SLO 99.95%, SLO 99.9-99.95%): Active-passive with automated failover" in text
        assert "Maturity: 2026-08-03 18/40 (47) → 2026-11-02 24/40 (62)" in text
        assert "FAIL Monitoring: Distributed tracing enabled" in text
        row = table.get_row_at(1)
        assert [str(c) for c in row] == ["checkout-api", "critical", "—", "1 SEV1", "NOT READY", "24/40",
                                         "payments", "payments-primary", "2026-11-22"]


async def test_readiness_walk_end_to_end(make_app, sample_db: Path, services_dir: Path, snapshot: Any) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_services(pilot)
        await pilot.press("down", "r")  # checkout-api
        await wait_until(pilot, lambda: isinstance(app.screen, ReadinessScreen) and app.screen.review is not None)
        await settle(pilot)
        walk: ReadinessScreen = app.screen  # type: ignore[assignment]
        assert walk.review is not None
        # pre-filled items carry evidence checked against the sample files: runbooks naming checkout-api
        books = [p for p in (SAMPLE_DIR / "runbooks").glob("*.yaml")
                 if "checkout-api" in yaml.safe_load(p.read_text())["runbook"].get("services", [])]
        top5 = walk.review.answers["incidents.top5_runbooks"]
        assert top5.prefilled and top5.evidence == f"runbooks for top 5 failure modes: {len(books)} found"
        assert walk.review.answers["slos.slis_measured"].evidence == \
            "2 of 2 SLO(s) measured with Prometheus queries"  # sample_data/slos/checkout-api.yaml: 2 SLOs
        for index, check in enumerate(rd.CHECKLIST):
            assert walk.current() == check
            await pilot.press("f" if check.id in ("deploy.canary", "incidents.top5_runbooks") else
                              "n" if check.id == "data.retention" else "p")
            await settle(pilot)
            if isinstance(app.screen, TextPrompt):
                app.screen.query_one(Input).value = ""
                await pilot.press(*f"seen {index}", "enter")
                await settle(pilot)
        assert walk.review.status == "not ready (2 failing)"
        assert not any(a.prefilled for a in walk.review.answers.values())  # every item confirmed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "28 of 28 answered, not ready (2 failing)" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert walk.saved_to is not None
        stored = load_catalog([services_dir]).latest_review("checkout-api")
        assert stored is not None and stored.reviewer == "ic-tester"
        assert [c.id for c in stored.failing] == ["incidents.top5_runbooks", "deploy.canary"]
        assert stored.answers["deploy.rollback"].evidence.startswith("rollback of v2.14.2")  # kept from the file
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CopyView)
        assert app.screen.text == rd.to_markdown(walk.review)
        assert app.screen.text == snapshot


async def test_leaving_an_unsaved_walk_asks_and_writes_nothing(make_app, sample_db: Path,
                                                               services_dir: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_services(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ReadinessScreen) and app.screen.review is not None)
        await pilot.press("n")  # n/a needs no evidence
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ServicesScreen)
    assert sorted(p.name for p in (services_dir / "readiness").iterdir()) == [
        "checkout-api-2026-11-20.yaml", "payment-gateway-2026-10-20.yaml"]


async def test_weekly_review_screen(make_app, sample_db: Path, services_dir: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("W")
        await wait_until(pilot, lambda: isinstance(app.screen, WeeklyScreen) and bool(app.screen.markdown))
        screen: WeeklyScreen = app.screen  # type: ignore[assignment]
        assert screen.label == "2026-W47"  # the test clock: 2026-11-22
        assert screen.markdown.startswith("# Weekly SRE Review: 2026-W47 (2026-11-16 to 2026-11-22)")
        assert "- Alert volume from the alerts feed: not available" in screen.markdown
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.markdown.startswith("# Weekly SRE Review: 2026-W46"))
        await pilot.press("g")
        await settle(pilot)
        field = app.screen.query_one(Input)
        field.value = ""
        await pilot.press(*"2026-W54", "enter")
        await settle(pilot)
        assert screen.label == "2026-W46"  # refused, with the sentence as a notice
        assert any("2026 has 53 ISO weeks" in str(n.message) for n in app._notifications)


async def test_meeting_timer_counts_each_part(make_app, sample_db: Path, services_dir: Path, tui_clock) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        entries = len(app.service.get(app.screen.incident_id).timeline)
        await pilot.press("p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PostmortemScreen")
        await settle(pilot)
        await pilot.press("M")
        await wait_until(pilot, lambda: isinstance(app.screen, MeetingScreen))
        meeting: MeetingScreen = app.screen  # type: ignore[assignment]
        await pilot.press("space")
        tui_clock.advance(minutes=4)
        meeting.show()
        assert "1. Opening (5 min): 01:00 left · running" in shown(app)
        await pilot.press("n")
        tui_clock.advance(minutes=16)
        meeting.show()
        assert "2. Timeline (15 min): over by 01:00 · running · 20 of 60 min in" in shown(app)
        await pilot.press("space")  # pause: time stands still
        tui_clock.advance(minutes=5)
        meeting.show()
        assert "2. Timeline (15 min): over by 01:00 · paused" in shown(app)
        await pilot.press("b")
        meeting.show()
        assert "1. Opening (5 min): 01:00 left" in shown(app)
        assert len(app.service.get(meeting.incident_id).timeline) == entries  # nothing written


async def test_declare_offers_catalog_services(make_app, sample_db: Path, services_dir: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("n")
        await settle(pilot)
        field = app.screen.query_one("#services", Input)
        await wait_until(pilot, lambda: field.suggester is not None)
        assert field.placeholder.startswith("10 in the catalog, e.g. api-gateway, catalog-api, catalog-cache")
        field.focus()
        await pilot.press(*"orders-db, chec")
        await wait_until(pilot, lambda: field._suggestion == "orders-db, checkout-api")
        await pilot.press("right")
        assert field.value == "orders-db, checkout-api"


async def test_incident_screen_names_open_incidents_around(make_app, sample_db: Path, services_dir: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        banner = app.screen.query_one("#around")
        await wait_until(pilot, lambda: banner.has_class("-shown"))
        # 06 (checkout-api, orders-db) is open; notifications-service calls orders-db and has the open SEV3
        text = str(banner.render())
        assert text.startswith("Around: orders-db is called by notifications-service, which has an open SEV3 (INC-")


async def test_without_a_catalog_the_screens_say_how(make_app, sample_db: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCKPIT_SERVICE_DIRS", raising=False)
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert not app.screen.query_one("#around").has_class("-shown")
        await pilot.press("V")
        await wait_until(pilot, lambda: isinstance(app.screen, ServicesScreen))
        await wait_until(pilot, lambda: "No service catalog: add service_dirs" in shown(app))


# --- looks ---------------------------------------------------------------------------------------------
async def _services(pilot: Any) -> None:
    await open_services(pilot)
    await pilot.press("down")
    await settle(pilot)


async def _readiness(pilot: Any) -> None:
    await open_services(pilot)
    await pilot.press("down", "r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReadinessScreen)
                     and pilot.app.screen.review is not None)
    await pilot.press(*["down"] * 9)
    await settle(pilot)


async def _weekly(pilot: Any) -> None:
    await started(pilot)
    await pilot.press("W")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, WeeklyScreen) and bool(pilot.app.screen.markdown))
    await settle(pilot, rounds=3)


async def _meeting(pilot: Any) -> None:
    await started(pilot)
    await pilot.press("p")
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "PostmortemScreen")
    await settle(pilot)
    await pilot.press("M")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, MeetingScreen))
    await pilot.press("space")
    pilot.app.clock.advance(minutes=3, seconds=20)
    pilot.app.screen.show()
    await settle(pilot)
    from cockpit.tui.panes.status import StatusLine

    # the status line ticks once a second: wait for it to show the advanced clock too (2:08:00 + 3:20)
    await wait_until(pilot, lambda: "2:11:20" in str(pilot.app.screen.query_one(StatusLine).render()))
    await settle(pilot)


LOOKS = {"services": _services, "readiness": _readiness, "weekly": _weekly, "meeting": _meeting}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("screen", list(LOOKS))
def test_looks(snap_compare: Any, make_app: Any, sample_db: Path, services_dir: Path, screen: str,
               size: tuple[int, int]) -> None:
    app = make_app(sample_db, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=LOOKS[screen])


async def test_the_walker_shows_auto_remediation_and_runs_none(make_app, sample_db: Path,
                                                               services_dir: Path) -> None:
    from cockpit.tui.screens.dialogs import Pick
    from cockpit.tui.screens.runbook import RunbookScreen

    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, RunbookScreen) and app.screen.loaded)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, Pick))
        ids = [choice[0] for choice in app.screen.choices]
        await pilot.press(*["down"] * ids.index("db-connection-pool-exhausted"), "enter")
        await wait_until(pilot, lambda: "Auto-remediation" in shown(app))
        text = shown(app)
        assert ("connection_pool_exhausted: available_connections = 0 → Kill idle connections, increase pool "
                "temporarily · escalate if Pool exhausted again within 1 hour") in text
        assert "the cockpit never runs it" in text


async def test_in_a_browser_the_walk_reads_and_writes_no_file(make_app, sample_db: Path, services_dir: Path) -> None:
    from cockpit.tui.readonly import SENTENCE

    app = make_app(sample_db, read_only=True)
    said: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        said.append(message)
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await open_services(pilot)
        await pilot.press("down", "r")  # reading the review is fine
        await wait_until(pilot, lambda: isinstance(app.screen, ReadinessScreen) and app.screen.review is not None)
        walk: ReadinessScreen = app.screen  # type: ignore[assignment]
        before = dict(walk.review.answers)  # type: ignore[union-attr]
        await pilot.press("p", "f", "n", "e", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen) and walk.review is not None
        assert walk.review.answers == before and not walk.changed
        await pilot.press("y")  # copying the Markdown is reading
        await settle(pilot)
        assert isinstance(app.screen, CopyView)
    for name in ("Pass", "Fail", "N/A", "Evidence", "Save file"):
        assert f"“{name}” is off: {SENTENCE}" in said, name
    assert sorted(p.name for p in (services_dir / "readiness").iterdir()) == [
        "checkout-api-2026-11-20.yaml", "payment-gateway-2026-10-20.yaml"]



async def test_weekly_slo_figures_are_never_cut_at_80_columns() -> None:
    """The SLO table of the weekly review, drawn at 80x24: every budget figure whole (one read "-31.…")."""
    from textual.app import App, ComposeResult
    from textual.widgets import Markdown

    from cockpit.domain.weekly import slo_table
    from cockpit.tui.markdown import safe_markdown

    rows = [{"service": "checkout-api", "slo": "availability", "remaining_pct": -31.14, "state": "exhausted",
             "firing": ["fast_burn", "medium_burn", "slow_burn"]},
            {"service": "notifications-service", "slo": "delivery-latency", "remaining_pct": 42.9,
             "state": "postpone-risky", "firing": []}]

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Markdown("\n".join(slo_table(rows)), parser_factory=safe_markdown)

    app = Bare()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = app.export_screenshot().replace("&#160;", " ")
    for figure in ("-31.14%", "42.9%", "postpone-risky", "exhausted"):
        assert figure in shown, figure
