"""The error-budget pane in the real app, fed by a real Prometheus over the sample data: what it shows, the
"SLA breach imminent" proposal (confirmed, never applied silently), the narrow-terminal screen, stale figures
with their age when Prometheus is gone, the set-up hint without a source, and snapshots at 80×24 and 120×40."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.panes.budget import ErrorBudgetPane
from cockpit.tui.panes.severity import SeverityPane
from cockpit.tui.screens.dialogs import Confirm
from tests.conftest import refresh_children
from tests.tui.conftest import ROOT, settle, wait_until

SLOS = ROOT / "sample_data" / "slos"


@pytest.fixture
def live(prometheus_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", prometheus_server.url)
    monkeypatch.setenv("COCKPIT_SLO_DIRS", str(SLOS))
    return prometheus_server


async def _incident(pilot: Any) -> None:
    from cockpit.tui.screens.incident import IncidentScreen

    await wait_until(pilot, lambda: isinstance(pilot.app.screen, IncidentScreen), timeout=10)
    await settle(pilot)


async def _figures(pilot: Any, pane_id: str = "#budget") -> ErrorBudgetPane:
    pane = pilot.app.screen.query_one(pane_id, ErrorBudgetPane)
    await wait_until(pilot, lambda: any(r.evaluation for r in pane.readings), timeout=20)
    await settle(pilot)
    return pane


async def test_the_pane_shows_each_slo_of_the_incidents_services(live: Any, make_app: Any, sample_db: Path):
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _incident(pilot)
        pane = await _figures(pilot)
        text = pane.text
        assert "checkout-api availability  99.95% over 30d" in text
        assert "EXHAUSTED" in text and "budget spent" in text  # a word beside the colour
        assert "FIRING fast_burn, medium_burn, slow_burn (page)" in text
        assert "burn 5m:" in text and " 3d:" in text
        assert "→ Complete deployment freeze" in text
        assert "checkout-api latency" in text
        assert "as of just now" in text
        assert {r.service for r in pane.readings} == {"checkout-api"}  # orders-db has no SLO file


async def test_sla_breach_imminent_is_proposed_and_applied_only_when_confirmed(live: Any, make_app: Any,
                                                                               sample_db: Path):
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _incident(pilot)
        await _figures(pilot)
        severity = app.screen.query_one(SeverityPane)
        await wait_until(pilot, lambda: severity.proposing)
        assert severity.proposal[0].startswith("checkout-api availability: fast_burn, medium_burn, slow_burn alert")
        incident_id = app.screen.incident_id
        before = len(app.service.get(incident_id).timeline)
        await pilot.press("3", "v")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        question = app.screen.question
        assert question.startswith("Apply the “SLA breach imminent” trigger? The timeline gets: Severity stays SEV1")
        assert "Evidence: checkout-api availability: fast_burn" in question
        await pilot.press("n")  # declined: nothing written
        await settle(pilot)
        assert len(app.service.get(incident_id).timeline) == before
        assert not app.service.get(incident_id).snapshot.triggers.sla_breach
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.service.get(incident_id).snapshot.triggers.sla_breach)
        last = app.service.get(incident_id).timeline[-1]
        assert last.kind == "severity" and last.text == question.removeprefix(
            "Apply the “SLA breach imminent” trigger? The timeline gets: ")
        await wait_until(pilot, lambda: not severity.proposing)  # applied: no longer proposed


async def test_at_80_columns_5_opens_the_pane_on_its_own(live: Any, make_app: Any, sample_db: Path):
    from cockpit.tui.screens.budget import BudgetScreen
    from cockpit.tui.screens.incident import IncidentScreen

    app = make_app(sample_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _incident(pilot)
        assert not app.screen.query_one("#budget", ErrorBudgetPane).display or \
            app.screen.query_one("#budget", ErrorBudgetPane).size.width == 0
        await pilot.press("5")
        await wait_until(pilot, lambda: isinstance(app.screen, BudgetScreen))
        pane = await _figures(pilot, "#budget-full")
        assert "checkout-api availability" in pane.text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_with_prometheus_gone_the_last_figures_stay_with_their_age(live: Any, make_app: Any, sample_db: Path,
                                                                        tui_clock: Any, monkeypatch: Any):
    from cockpit.service.signals import Signals
    from cockpit.service.slo_files import load_library
    from cockpit.sources.prometheus import PrometheusSource
    from cockpit.sources.refresh import refresh
    from cockpit.sources.settings import PrometheusSettings

    store = Store.open(sample_db)
    with PrometheusSource(PrometheusSettings(live.url)) as source:  # figures read 12 minutes ago
        refresh(Signals(IncidentService(store, "t", clock=tui_clock)), load_library([SLOS]), source,
                at=tui_clock(), clock=tui_clock)
    store.close()
    tui_clock.advance(minutes=12)
    port = _closed_port()
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", f"http://127.0.0.1:{port}/")
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _incident(pilot)
        pane = app.screen.query_one("#budget", ErrorBudgetPane)
        await wait_until(pilot, lambda: "unreachable" in pane.text, timeout=20)
        assert pane.text.startswith(f"as of 12 min ago — Prometheus at http://127.0.0.1:{port}/ is unreachable "
                                    "(ConnectError).")
        assert "EXHAUSTED" in pane.text  # the last figures, not a blank
        # the cockpit keeps working: an entry goes in as usual
        await pilot.press("e", *"still here", "enter")
        await wait_until(pilot, lambda: app.service.get(app.screen.incident_id).timeline[-1].text == "still here")


async def test_without_a_source_the_pane_says_how_to_configure_one(make_app: Any, sample_db: Path):
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _incident(pilot)
        pane = app.screen.query_one("#budget", ErrorBudgetPane)
        await wait_until(pilot, lambda: pane.loaded)
        assert "No Prometheus configured (`cockpit slo source set URL`)" in pane.text
        assert "slo_dirs" in pane.text


async def _wide_budget(pilot: Any) -> None:
    await _incident(pilot)
    await _figures(pilot)
    await pilot.press("5")
    await settle(pilot)


async def _narrow_budget(pilot: Any) -> None:
    await _incident(pilot)
    await pilot.press("5")
    await settle(pilot)
    await _figures(pilot, "#budget-full")


@pytest.mark.parametrize(("size", "run_before"), [((120, 40), _wide_budget), ((80, 24), _narrow_budget)],
                         ids=["120x40", "80x24"])
def test_budget_pane_looks(live: Any, snap_compare: Any, make_app: Any, sample_db: Path, size: tuple[int, int],
                           run_before: Any):
    app = make_app(sample_db, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_the_refresh_runs_in_a_child_process_and_quitting_ends_it(make_app: Any, sample_db: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    """Issue #9: a refresh in a thread of the cockpit held the interpreter lock each key needs. It runs in a child
    now; a Prometheus that never answers leaves the child waiting, and quitting does not wait for it."""
    import time

    listener = socket.socket()  # accepts and never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", f"http://127.0.0.1:{listener.getsockname()[1]}/")
    monkeypatch.setenv("COCKPIT_SLO_DIRS", str(SLOS))
    app = make_app(sample_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: bool(refresh_children()), timeout=20)
        children = refresh_children()
        await pilot.press("1")  # the screen answers keys while the refresh waits
        started = time.monotonic()
        await app.action_quit()
    while refresh_children():
        assert time.monotonic() - started < 5, "the refresh child outlived the cockpit"
        time.sleep(0.05)
    assert all(not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/cmdline").read_bytes() == b""
               for pid in children)
    listener.close()
