"""The alerts screen (A): alerts from a real Alertmanager reach it within two polls; declaring, acknowledging and
marking not actionable each ask first; server text is shown literally; 10,000 alerts scroll without delay; a new page
shows as a count in the status line, never as a dialog; offline, the last alerts show with their age."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cockpit.domain.alerts import Alert, fingerprint
from cockpit.service.alerts import AlertLog
from cockpit.service.incidents import IncidentService
from cockpit.sources.alert_settings import alerts_path
from cockpit.store.db import Store
from cockpit.tui.screens.alerts import AlertList, AlertsScreen
from cockpit.tui.screens.dialogs import Confirm
from tests.conftest import FakeClock
from tests.tui.conftest import NOW, ROOT, settle, wait_until

SAMPLE_RUNBOOKS = ROOT / "sample_data" / "runbooks"


def screen_text(app: Any) -> str:
    """Every line the alert list draws (visible rows), as plain text."""
    listing = app.screen.query_one(AlertList)
    return "\n".join(listing.render_line(y).text for y in range(listing.scrollable_content_region.height))


def configure(url: str, tag: str | None = None, refresh: float = 1.0) -> None:
    path = alerts_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    filters = f"\n  filters: ['test=\"{tag}\"']" if tag else ""
    path.write_text(f"alertmanager:\n  url: {url}\n  refresh_seconds: {refresh}\n  timeout_seconds: 2{filters}\n",
                    encoding="utf-8")


def an_alert(name: str, service: str = "checkout", severity: str = "page", minutes_ago: int = 12,
             summary: str | None = None, **extra: str) -> Alert:
    labels = {"alertname": name, "service": service, "severity": severity, **extra}
    return Alert(fingerprint(labels), labels, {"summary": summary or f"{name} on {service}"},
                 NOW - timedelta(minutes=minutes_ago), None)


def seeded(db: Path, alerts: list[Alert], clock: FakeClock | None = None, error: str | None = None) -> None:
    store = Store.open(db)
    try:
        log = AlertLog(IncidentService(store, "seed", clock=clock or FakeClock(NOW)))
        log.record_poll(alerts, [], (clock or FakeClock(NOW))())
        if error:
            log.record_failure(error, NOW + timedelta(minutes=12))
    finally:
        store.close()


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.db"
    Store.open(path).close()
    return path


async def test_alerts_from_a_real_alertmanager_appear_within_two_polls_and_declaring_asks_first(
        alertmanager_server: Any, make_app: Callable[..., Any], empty_db: Path, monkeypatch: pytest.MonkeyPatch,
        tui_clock: FakeClock) -> None:
    from datetime import UTC, datetime

    from cockpit.sources.local_alertmanager import alert

    tui_clock.now = datetime.now(UTC)
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(SAMPLE_RUNBOOKS))
    tag = uuid.uuid4().hex[:12]
    configure(alertmanager_server.url, tag, refresh=1.0)
    app = make_app(empty_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertsScreen))
        rounds = app.alerts.rounds
        alertmanager_server.post_alerts([alert(
            {"alertname": "CheckoutErrorRateHigh", "service": "checkout", "severity": "page", "test": tag},
            {"summary": "Checkout error rate above 5 %"})])
        started = time.monotonic()
        await wait_until(pilot, lambda: "Checkout error rate above 5 %" in screen_text(app), timeout=15)
        assert app.alerts.rounds - rounds <= 2, "it took more than two polls"
        assert time.monotonic() - started < 15
        shown = screen_text(app)
        assert "alertname=CheckoutErrorRateHigh,service=checkout (1 alert)" in shown
        assert "P0 <5m" in shown and "runbook" in shown and "no runbook" not in shown
        # d asks first; n declines and nothing is declared
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Title: Checkout error rate above 5 % · service: checkout" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert app.service.list_incidents() == []
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        from cockpit.tui.screens.runbook import RunbookScreen

        await wait_until(pilot, lambda: isinstance(app.screen, RunbookScreen), timeout=10)  # the runbook, offered
        [incident] = app.service.list_incidents()
        assert incident.title == "Checkout error rate above 5 %" and incident.services == ("checkout",)
        texts = [e.text for e in app.service.get(incident.id).timeline if e.kind == "alert"]
        assert texts and texts[0].startswith("Alert declared from: CheckoutErrorRateHigh")


async def test_acknowledging_from_the_screen_asks_and_the_silence_waits_while_offline(
        make_app: Callable[..., Any], empty_db: Path, tui_clock: FakeClock) -> None:
    from cockpit.sources.local_prometheus import free_port

    seeded(empty_db, [an_alert("DiskUsageHigh", service="db", severity="ticket", summary="Disk 91 % full")],
           error="Alertmanager at http://127.0.0.1:9/ is unreachable: connection refused")
    store = Store.open(empty_db)
    AlertLog(IncidentService(store, "seed", clock=FakeClock(NOW))).declare("DiskUsageHigh")
    store.close()
    configure(f"http://127.0.0.1:{free_port()}/", refresh=1.0)
    tui_clock.now = NOW + timedelta(minutes=12)
    app = make_app(empty_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertsScreen) and app.screen.loads > 0)
        await wait_until(pilot, lambda: app.alerts.rounds > 0, timeout=10)
        await wait_until(pilot, lambda: "unreachable" in str(app.screen.query_one("#alerts-head").render()))
        head = str(app.screen.query_one("#alerts-head").render())
        assert "as of 12 min ago" in head
        assert "Disk 91 % full" in screen_text(app)  # the last known alert, with its age
        assert "24m" in screen_text(app)  # firing since 12 min before the last poll, which was 12 min ago
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert 'create a silence in Alertmanager for {alertname="DiskUsageHigh", service="db"}' in \
            app.screen.question
        await pilot.press("escape")
        await settle(pilot)
        log = AlertLog(app.service)
        assert log.silences() == []  # declined: nothing recorded
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_until(pilot, lambda: len(log.silences()) == 1)
        await wait_until(pilot, lambda: app.alerts.rounds > 2, timeout=10)
        assert [s.state for s in log.silences()] == ["pending"]  # waits for Alertmanager


async def test_labels_and_annotations_with_markup_and_escapes_are_shown_literally(
        make_app: Callable[..., Any], empty_db: Path) -> None:
    seeded(empty_db, [an_alert("Evil[bold]", summary="[bold red]pwned[/] \x1b[2J cleared", team="[link=x]y[/link]")])
    app = make_app(empty_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertsScreen) and app.screen.loads > 0)
        await settle(pilot)
        shown = screen_text(app)
        assert "[bold red]pwned[/] \\x1b[2J cleared" in shown
        assert "\x1b" not in shown
        detail = str(app.screen.query_one("#alerts-detail").render())
        assert "team=[link=x]y[/link]" in detail and "alertname=Evil[bold]" in detail


async def test_ten_thousand_alerts_render_only_visible_rows_and_keys_stay_fast(
        make_app: Callable[..., Any], empty_db: Path) -> None:
    many = [an_alert(f"Alert{i % 50}", service=f"svc{i % 20}", severity=("page", "warning", "ticket")[i % 3],
                     pod=str(i)) for i in range(10_000)]
    seeded(empty_db, many)
    app = make_app(empty_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertsScreen) and app.screen.loads > 0, timeout=30)
        listing = app.screen.query_one(AlertList)
        assert len(listing.alerts) == 10_000
        drawn: list[int] = []
        original = listing.render_line

        def counting(y: int) -> Any:
            drawn.append(y)
            return original(y)

        listing.render_line = counting  # type: ignore[method-assign]
        timings = []
        for key in ("down", "pagedown", "pagedown", "end", "home", "down"):
            started = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            timings.append(time.perf_counter() - started)
        assert max(drawn) < 40  # rows of the screen, never the 10,000
        assert sorted(timings)[len(timings) // 2] < 0.5, timings  # the median key (measured ~0.1 s here)
        assert listing.selected is not None and listing.cursor == 1 + 1  # home, then down: second alert row


async def test_a_new_page_while_elsewhere_is_a_count_in_the_status_line_not_a_dialog(
        make_app: Callable[..., Any], sample_db: Path, tui_clock: FakeClock) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        from cockpit.tui.screens.incident import IncidentScreen

        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen))
        tui_clock.advance(minutes=1)
        log = AlertLog(app.service)
        log.record_poll([an_alert("CheckoutErrorRateHigh", minutes_ago=0)], [], tui_clock())
        app.alerts.new_pages = log.pages_since(app.alerts.seen_since)
        await wait_until(pilot, lambda: "1 new page: A" in str(app.screen.query_one("#status").render()))
        assert isinstance(app.screen, IncidentScreen) and app.screen.focused is not None
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertsScreen))
        assert app.alerts.new_pages == 0  # seen


async def test_the_demo_shows_alerts_from_its_own_alertmanager(make_app: Callable[..., Any], sample_db: Path,
                                                               tui_clock: FakeClock) -> None:
    from datetime import UTC, datetime

    from cockpit.sources import local_alertmanager
    from cockpit.sources.local_alertmanager import DEMO_ALERTS, demo_alerts

    if not local_alertmanager.available():
        pytest.skip("Debian's prometheus-alertmanager is not installed")
    tui_clock.now = datetime.now(UTC)
    with demo_alerts() as note:
        assert note.startswith("Demo Alertmanager on http://127.0.0.1:")
        app = make_app(sample_db)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("A")
            await wait_until(pilot, lambda: isinstance(app.screen, AlertsScreen))
            await wait_until(pilot, lambda: len(app.screen.query_one(AlertList).alerts) == len(DEMO_ALERTS),
                             timeout=20)
            assert "Checkout error rate above 5 % for 5 minutes" in screen_text(app)


async def test_at_80_columns_the_page_count_leaves_the_phase_in_the_status_line(
        make_app: Callable[..., Any], sample_db: Path, tui_clock: FakeClock) -> None:
    from cockpit.tui.screens.incident import IncidentScreen

    app = make_app(sample_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
        phase = app.screen.detail.snapshot.phase.value
        tui_clock.advance(minutes=1)
        log = AlertLog(app.service)
        log.record_poll([an_alert("CheckoutErrorRateHigh", minutes_ago=0, pod="1"),
                         an_alert("CheckoutErrorRateHigh", minutes_ago=0, pod="2")], [], tui_clock())
        app.alerts.new_pages = log.pages_since(app.alerts.seen_since)
        await wait_until(pilot, lambda: "2 pages (A)" in str(app.screen.query_one("#status").render()))
        line = str(app.screen.query_one("#status").render())
        assert f" {phase} " in line and "INC-" in line


async def test_attach_from_the_alerts_screen_goes_to_the_incident_it_was_opened_from_and_asks_first(
        make_app: Callable[..., Any], sample_db: Path, tui_clock: FakeClock) -> None:
    from cockpit.tui.screens.incident import IncidentScreen

    seeded(sample_db, [an_alert("PgBouncerPoolSaturated", service="orders-db", severity="warning")])
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.detail is not None)
        incident = app.screen.detail.snapshot
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AlertsScreen) and app.screen.loads > 0)
        await settle(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        assert app.screen.question == f"Attach this alert to {incident.ref}?"
        await pilot.press("y")
        await wait_until(pilot, lambda: AlertLog(app.service).current()[0].incident_id == incident.id)
        texts = [e.text for e in app.service.get(incident.id).timeline if e.kind == "alert"]
        assert texts == ['Alert attached: PgBouncerPoolSaturated {alertname="PgBouncerPoolSaturated", '
                         'service="orders-db", severity="warning"} (firing since 2026-11-22 19:48Z)']
