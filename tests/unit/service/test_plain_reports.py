"""The report, handoff, postmortem and action-item reads without the ORM: the same output, byte for byte, as the
ORM path gave on the sample data (``tests/data/plain_reads_golden.json`` was written by the ORM path before it was
replaced), and no SQLAlchemy imported by the commands that only read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from cockpit.domain import postmortem as pm
from cockpit.domain.handoff import to_markdown as handoff_md
from cockpit.domain.report import to_markdown as report_md
from cockpit.service.aftercare import Aftercare
from cockpit.service.alerts import AlertLog
from cockpit.service.handoffs import Handoffs
from cockpit.service.incidents import IncidentService
from cockpit.service.sample import load_sample_data
from cockpit.service.signals import Signals
from cockpit.store.db import Store
from tests.cli.test_startup import modules_after
from tests.conftest import ROOT, FakeClock, seeded_rand
from tests.unit.service.test_alert_log import an_alert

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
GOLDEN = ROOT / "tests" / "data" / "plain_reads_golden.json"


def build(db: Path) -> IncidentService:
    """The sample data (unshifted), two handoffs (one signed and acknowledged), a page in the alert log, an
    action item with no incident, and an SLO's error budget around one incident."""
    store = Store.open(db)
    load_sample_data(store)
    clock = FakeClock(NOW)
    rand = seeded_rand("plain reads")  # ids in the output are the same every run
    svc = IncidentService(store, "priya", clock=clock, rand=rand)
    refs = [s.ref for s in svc.list_incidents(include_closed=True)]
    Aftercare(svc).add_action("Alert on pgbouncer cl_waiting", owner="dmitri", priority="P1", deadline="2026-11-20")
    Handoffs(svc).draft(recipient="dmitri")
    clock.advance(minutes=5)
    Handoffs(svc).sign("H-001")
    clock.advance(minutes=20)
    Handoffs(IncidentService(store, "dmitri", clock=clock, rand=rand)).acknowledge("1")
    clock.advance(hours=1)
    Handoffs(svc).draft()
    AlertLog(svc).record_poll([an_alert("CheckoutErrorRateHigh", NOW - timedelta(days=2), pod="a")], [], NOW)
    Signals(svc).record_incident_budget(svc.resolve(refs[0]), "checkout-availability", declared_remaining=0.8,
                                       consumed_pct=12.5, until=NOW, resolved=True, resolved_remaining=0.7)
    return svc


def outputs(svc: IncidentService) -> dict[str, str]:
    """What ``report monthly``, ``handoff list|show``, ``postmortem`` and ``action list`` print, from the services
    they call (the commands add only the formatting of these)."""
    got: dict[str, str] = {}
    report = Aftercare(svc).monthly_report("2026-11", NOW.date())
    got["report.md"] = report_md(report)
    got["report.json"] = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    handoffs = Handoffs(svc).list()
    got["handoff list"] = repr(handoffs)
    for h in handoffs:
        got[f"handoff show {h.key}"] = handoff_md(Handoffs(svc).get(h.key))
    newest = Handoffs(svc).newest_open()
    got["handoff newest open"] = repr(newest)
    for summary in svc.list_incidents(include_closed=True):
        draft = Aftercare(svc).postmortem(summary.ref)
        got[f"postmortem {summary.ref}.md"] = pm.to_markdown(draft)
        got[f"postmortem {summary.ref}.yaml"] = yaml.safe_dump(pm.as_dict(draft), sort_keys=False,
                                                               allow_unicode=True, width=100)
        got[f"action list {summary.ref}"] = repr(Aftercare(svc).actions(summary.ref, include_done=True))
    got["action list"] = repr(Aftercare(svc).actions())
    return got


def test_reports_handoffs_and_postmortems_read_as_the_orm_path_read_them(tmp_path: Path) -> None:
    svc = build(tmp_path / "golden.db")
    got = outputs(svc)
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(golden)
    for name, text in golden.items():
        assert got[name] == text, name
    svc.store.close()


@pytest.mark.parametrize("args", [("report", "monthly", "--month", "2026-11"),
                                  ("report", "monthly", "--month", "2026-11", "--format", "json"),
                                  ("handoff", "list"), ("handoff", "list", "--json"), ("handoff", "show", "H-001"),
                                  ("handoff", "export", "2"), ("postmortem", "INC-QY7ZTM2S"),
                                  ("action", "list", "--all")], ids=" ".join)
def test_commands_that_only_read_do_not_import_the_orm(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "read.db"
    build(db).store.close()
    modules = modules_after("--db", str(db), *args)
    assert {"sqlalchemy", "sqlmodel", "alembic"} & modules == set()
    assert "cockpit.store.models" not in modules
