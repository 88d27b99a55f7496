"""How the alerts screen looks at 80x24 and 120x40: groups, levels and response targets, ages, the incident and
runbook columns, the selected alert's labels, and the source's state (here: offline, with the last known alerts)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cockpit.service.alerts import AlertLog
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from tests.conftest import FakeClock, seeded_rand
from tests.tui.conftest import NOW, ROOT, settle, wait_until
from tests.tui.test_alerts_screen import an_alert


@pytest.fixture
def alerts_db(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.db"
    store = Store.open(path)
    try:
        log = AlertLog(IncidentService(store, "dana", clock=FakeClock(NOW), rand=seeded_rand("alerts")))
        log.record_poll([
            an_alert("CheckoutErrorRateHigh", summary="Checkout error rate above 5 % for 5 minutes", pod="a",
                     minutes_ago=14),
            an_alert("CheckoutErrorRateHigh", summary="Checkout error rate above 5 % for 5 minutes", pod="b",
                     minutes_ago=9),
            an_alert("PgBouncerPoolSaturated", service="db", severity="warning",
                     summary="PgBouncer pool 98 % used [bold]on[/] pg-main", minutes_ago=130),
            an_alert("DiskUsageHigh", service="db", severity="ticket", summary="Disk /var/lib/pg 91 % full",
                     minutes_ago=60 * 26),
            an_alert("NodeExporterDown", service="infra", severity="banana", summary="Exporter down"),
        ], [], NOW - timedelta(minutes=5))
        log.declare("PgBouncerPoolSaturated")
        log.record_failure("Alertmanager at http://127.0.0.1:9093/ is unreachable: connection refused", NOW)
    finally:
        store.close()
    return path


async def _alerts(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("A")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "loads", 0) > 0 and bool(pilot.app.screen.runbooks))
    await settle(pilot, rounds=3)
    pilot.app.clear_notifications()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_alerts_screen_looks(snap_compare: Any, make_app: Any, alerts_db: Path, size: tuple[int, int],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(ROOT / "sample_data" / "runbooks"))
    monkeypatch.setenv("COCKPIT_ALERTMANAGER_URL", "none")
    app = make_app(alerts_db, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=_alerts)
