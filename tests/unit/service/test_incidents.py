"""Incident use cases against a real SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from cockpit.domain.comms import Template
from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope, Severity, Triggers
from cockpit.errors import Ambiguous, InvalidInput, NotFound, RuleViolation
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from tests.conftest import ROOT, FakeClock


def test_open_classifies_and_logs_the_declaration(svc: IncidentService) -> None:
    snap = svc.open_incident("Checkout slow", Impact.DEGRADED, Scope.LT25, Triggers(data_loss=True),
                             ["checkout-api"])
    assert snap.severity is Severity.SEV1
    assert "data loss" in snap.severity_reason and snap.severity_reason.endswith("matrix gave SEV3")
    assert snap.phase is Phase.DETECT
    detail = svc.get(snap.ref)
    assert [e.kind for e in detail.timeline] == ["declared"]
    assert detail.timeline[0].author == "alice"


def test_open_with_commander_assigns_ic(svc: IncidentService) -> None:
    snap = svc.open_incident("Checkout slow", Impact.DEGRADED, Scope.LT25, commander="priya")
    assert snap.commander == "priya"


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
def test_empty_title_is_refused(svc: IncidentService, title: str) -> None:
    with pytest.raises(InvalidInput, match="title is empty"):
        svc.open_incident(title, Impact.DEGRADED, Scope.LT25)
    assert svc.list_incidents(include_closed=True) == []


def test_phase_timestamps_follow_the_lifecycle(svc: IncidentService, clock: FakeClock) -> None:
    snap = svc.open_incident("API errors", Impact.CORE_DOWN, Scope.GT25)
    clock.advance(minutes=3)
    svc.set_phase(snap.ref, Phase.TRIAGE)
    clock.advance(minutes=10)
    svc.set_phase(snap.ref, Phase.RESPOND)
    with pytest.raises(RuleViolation, match="MITIGATE"):
        svc.set_phase(snap.ref, Phase.RESOLVE)
    clock.advance(minutes=20)
    svc.set_phase(snap.ref, Phase.MITIGATE)
    first_mitigation = clock.now
    detail = svc.get(snap.ref)
    assert detail.snapshot.acknowledged_at == snap.declared_at + timedelta(minutes=3)
    assert detail.snapshot.mitigated_at == first_mitigation
    # the fix did not hold: relapse, recorded, and the mitigation no longer counts
    clock.advance(minutes=5)
    relapse = svc.set_phase(snap.ref, Phase.RESPOND)
    assert "relapse" in relapse.text
    assert svc.get(snap.ref).snapshot.mitigated_at is None
    clock.advance(minutes=15)
    svc.set_phase(snap.ref, Phase.MITIGATE)
    clock.advance(minutes=30)
    svc.set_phase(snap.ref, Phase.RESOLVE)
    detail = svc.get(snap.ref)
    assert detail.snapshot.mitigated_at == snap.declared_at + timedelta(minutes=53)
    assert detail.metrics.time_to_mitigate == timedelta(minutes=53)
    assert detail.metrics.time_to_resolve == timedelta(minutes=83)
    assert detail.snapshot.acknowledged_at == snap.declared_at + timedelta(minutes=3)
    phases = [e.text for e in detail.timeline if e.kind == "phase"]
    assert len(phases) == 6
    assert svc.list_incidents() == []  # resolved is no longer open
    assert len(svc.list_incidents(include_closed=True)) == 1


def test_advance_and_step_back(svc: IncidentService) -> None:
    snap = svc.open_incident("API errors", Impact.CORE_DOWN, Scope.GT25)
    with pytest.raises(RuleViolation, match="first phase"):
        svc.step_back_phase(snap.ref)
    for _ in range(5):
        svc.advance_phase(snap.ref)
    assert svc.get(snap.ref).snapshot.phase is Phase.REVIEW
    with pytest.raises(RuleViolation, match="last phase"):
        svc.advance_phase(snap.ref)
    svc.step_back_phase(snap.ref)
    assert svc.get(snap.ref).snapshot.phase is Phase.RESOLVE


def test_severity_matrix_and_override_are_recorded(svc: IncidentService) -> None:
    snap = svc.open_incident("Search flaky", Impact.NON_CORE_DOWN, Scope.LT25)
    assert snap.severity is Severity.SEV3
    result = svc.classify_severity(snap.ref, Impact.NON_CORE_DOWN, Scope.ALL, Triggers(sla_breach=True))
    assert result.severity is Severity.SEV1
    with pytest.raises(InvalidInput, match="reason"):
        svc.override_severity(snap.ref, Severity.SEV2, "   ")
    svc.override_severity(snap.ref, Severity.SEV2, "SLA credit already agreed with the customer")
    detail = svc.get(snap.ref)
    assert detail.snapshot.severity is Severity.SEV2 and detail.snapshot.severity_overridden
    assert "set manually by alice: SLA credit" in detail.snapshot.severity_reason
    texts = [e.text for e in detail.timeline if e.kind == "severity"]
    assert texts[0].startswith("Severity SEV3 → SEV1") and texts[1].startswith("Severity SEV1 → SEV2")


def test_roles_history_handover_and_warnings(svc: IncidentService, clock: FakeClock) -> None:
    snap = svc.open_incident("Payments down", Impact.CORE_DOWN, Scope.ALL)
    assert next(w.code for w in svc.get(snap.ref).warnings) == "no-ic"
    svc.assign_role(snap.ref, Role.IC, "priya")
    svc.assign_role(snap.ref, Role.OPS, "Priya")
    assert "ic-debugs" in [w.code for w in svc.get(snap.ref).warnings]
    clock.advance(minutes=5)
    handover = svc.assign_role(snap.ref, Role.IC, "marcus")
    assert handover.kind == "handover" and "priya → marcus" in handover.text
    with pytest.raises(RuleViolation, match="already holds"):
        svc.assign_role(snap.ref, Role.IC, "marcus")
    svc.assign_role(snap.ref, Role.SME, "chen")
    svc.assign_role(snap.ref, Role.SME, "lena")
    with pytest.raises(InvalidInput, match="Several people"):
        svc.release_role(snap.ref, Role.SME)
    svc.release_role(snap.ref, Role.SME, "chen")
    with pytest.raises(RuleViolation, match="Nobody holds"):
        svc.release_role(snap.ref, Role.SCRIBE)
    detail = svc.get(snap.ref)
    assert detail.snapshot.commander == "marcus"
    assert detail.snapshot.holders(Role.SME) == ["lena"]
    priya_ic = next(h for h in detail.role_history if h.role is Role.IC and h.holder == "priya")
    assert priya_ic.until == priya_ic.since + timedelta(minutes=5)
    assert "ic-debugs" not in [w.code for w in detail.warnings]


def test_status_update_restarts_the_check_in(svc: IncidentService, clock: FakeClock) -> None:
    snap = svc.open_incident("Payments down", Impact.CORE_DOWN, Scope.ALL)  # SEV1: 15 min
    clock.advance(minutes=20)
    check = svc.get(snap.ref).check_in
    assert check is not None and check.overdue and check.overdue_by == timedelta(minutes=5)
    svc.add_entry(snap.ref, "Rolled back; error rate falling", "status")
    check = svc.get(snap.ref).check_in
    assert check is not None and not check.overdue and check.remaining == timedelta(minutes=15)
    clock.advance(minutes=14)
    svc.record_comms_sent(snap.ref, Template.CUSTOMER)
    check = svc.get(snap.ref).check_in
    assert check is not None and check.remaining == timedelta(minutes=15)
    comms_entry = svc.get(snap.ref).timeline[-1]
    assert comms_entry.kind == "comms" and "Customer-facing status" in comms_entry.text


def test_references_resolve_by_unique_prefix(store: Store, clock: FakeClock) -> None:
    svc = IncidentService(store, "alice", clock=clock)
    refs = [svc.open_incident(f"Incident {i}", Impact.COSMETIC, Scope.ONE_USER).ref for i in range(40)]
    keys = [r.removeprefix("INC-") for r in refs]
    assert len(set(keys)) == 40
    for ref, key in zip(refs, keys, strict=True):
        assert svc.get(key[:7].lower()).snapshot.ref == ref
        assert svc.get(ref).snapshot.ref == ref
    by_first: dict[str, list[str]] = {}
    for key in keys:
        by_first.setdefault(key[0], []).append(key)
    shared = next(k for k, v in by_first.items() if len(v) > 1)  # 40 keys, 32 letters: pigeonhole
    with pytest.raises(Ambiguous, match="matches several incidents"):
        svc.get(shared)
    unused = next(c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c not in by_first)
    with pytest.raises(NotFound):
        svc.get(unused)
    with pytest.raises(InvalidInput, match="not an incident reference"):
        svc.get("no such thing!")


def test_hlc_orders_entries_even_when_the_clock_goes_back(svc: IncidentService, clock: FakeClock) -> None:
    snap = svc.open_incident("Clock skew", Impact.DEGRADED, Scope.LT25)
    svc.add_entry(snap.ref, "first")
    clock.advance(minutes=-30)  # NTP stepped the laptop clock back
    svc.add_entry(snap.ref, "second")
    svc.add_entry(snap.ref, "third")
    assert [e.text for e in svc.get(snap.ref).timeline][1:] == ["first", "second", "third"]


def test_two_processes_write_at_once_without_loss(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    store = Store.open(db)
    ref = IncidentService(store, "ic").open_incident("Shared", Impact.DEGRADED, Scope.LT25).ref
    script = (
        "import sys\n"
        "from cockpit.store.db import Store\n"
        "from cockpit.service.incidents import IncidentService\n"
        "svc = IncidentService(Store.open(sys.argv[1]), sys.argv[2])\n"
        "for i in range(40):\n"
        "    svc.add_entry(sys.argv[3], f'{sys.argv[2]} {i}')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db), name, ref], cwd=ROOT)
             for name in ("scribe", "ops")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    raw = sqlite3.connect(db)
    rows = raw.execute("SELECT author, text, hlc FROM timeline_entry WHERE kind = 'note' ORDER BY hlc").fetchall()
    outbox = raw.execute("SELECT count(*) FROM outbox_op WHERE op = 'add_entry'").fetchone()[0]
    raw.close()
    assert len(rows) == 80 and outbox == 81  # 80 notes + the declaration
    assert len({r[2] for r in rows}) == 80
    for name in ("scribe", "ops"):  # each writer's own entries stay in its order
        assert [r[1] for r in rows if r[0] == name] == [f"{name} {i}" for i in range(40)]
