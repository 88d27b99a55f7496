"""``cockpit replay`` and ``cockpit drill`` through the real entry point: a replay at 60× reproduces the entries in
order at the pace, into a scratch database, with nothing queued for any tracker (scratch or real)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlmodel import func, select

from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.service.sample import load_sample_data
from cockpit.store.db import Store
from cockpit.store.models import Incident, OutboxOp, RoleAssignment, TimelineEntry
from tests.conftest import FakeClock, run_cli


def outbox_count(db: Path) -> int:
    store = Store.open(db)
    try:
        with store.read() as session:
            return int(session.exec(select(func.count()).select_from(OutboxOp)).one())
    finally:
        store.close()


def two_minute_incident(db: Path) -> str:
    """Declared, staffed, worked and resolved within 120 seconds: 2 s of replay at 60×."""
    clock = FakeClock()
    svc = IncidentService(Store.open(db), "priya", clock=clock)
    ref = svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.GT25, commander="priya").ref
    clock.advance(seconds=30)
    svc.assign_role(ref, Role.OPS, "kwame")
    svc.add_entry(ref, "pgbouncer at 160/160", "note")
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE):
        clock.advance(seconds=20)
        svc.set_phase(ref, phase)
    clock.advance(seconds=30)
    svc.set_phase(ref, Phase.RESOLVE)
    svc.store.close()
    return ref


def source_entries(db: Path, ref: str) -> list[tuple[str, str, str]]:
    svc = IncidentService(Store.open(db), "reader")
    try:
        return [(e.id, e.kind, e.text) for e in svc.get(ref).timeline]
    finally:
        svc.store.close()


def test_a_replay_at_60x_reproduces_the_entries_in_order_and_queues_nothing(db_path: Path) -> None:
    ref = two_minute_incident(db_path)
    before = outbox_count(db_path)
    expected = source_entries(db_path, ref)
    result = run_cli("replay", ref, "--speed", "60", "--no-tui", "--keep", db=db_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Replaying {ref} (8 entries) at ×60: about 2 s, into the scratch database ")
    played = [line for line in lines if line.startswith("+")]
    assert [re.search(r"Z\) \[(\w+)\]", line)[1] for line in played] == [kind for _, kind, _ in expected]  # type: ignore[index]
    # at the pace: the note came 30 s after the declaration (0.5 s at 60×), the resolution 120 s after (2 s)
    elapsed = [float(line[1:].split("s", 1)[0]) for line in played]
    assert elapsed == sorted(elapsed)
    assert elapsed[3] >= 0.5 and 2.0 <= elapsed[-1] < 10
    assert lines[-2] == "Replayed 8 of 8 entries; nothing was queued for any tracker."
    scratch = Path(lines[-1].removeprefix("Scratch database kept: "))
    assert scratch != db_path and scratch.parent.name.startswith("cockpit-replay-")
    store = Store.open(scratch)
    with store.read() as session:
        rows = session.exec(select(TimelineEntry).order_by(TimelineEntry.hlc)).all()
        assert [(r.id, r.kind, r.text) for r in rows] == expected  # same ids, same order, same text
        [incident] = session.exec(select(Incident)).all()
        assert (incident.phase, incident.kind, incident.to_tracker) == ("RESOLVE", "exercise", False)
        holders = {(r.role, r.holder, r.until is None) for r in session.exec(select(RoleAssignment)).all()}
        assert holders == {("ic", "priya", True), ("ops", "kwame", True)}
        assert session.exec(select(func.count()).select_from(OutboxOp)).one() == 0
    store.close()
    assert outbox_count(db_path) == before  # the real database: nothing more queued


def test_a_sample_incident_replays_whole_with_quiet_stretches_skipped(db_path: Path) -> None:
    store = Store.open(db_path)
    load_sample_data(store)
    store.close()
    svc = IncidentService(Store.open(db_path), "reader")
    finished = [s for s in svc.list_incidents(include_closed=True) if not s.phase.is_open]
    ref = finished[0].ref
    expected = [kind for _, kind, _ in source_entries(db_path, ref)]
    svc.store.close()
    before = outbox_count(db_path)
    result = run_cli("replay", ref, "--speed", "60", "--max-wait", "0.02", "--no-tui", db=db_path)
    assert result.returncode == 0, result.stderr
    played = [re.search(r"Z\) \[(\w+)\]", line)[1] for line in result.stdout.splitlines()  # type: ignore[index]
              if line.startswith("+")]
    assert played == expected and len(played) > 30
    assert outbox_count(db_path) == before


def test_replay_refusals(db_path: Path) -> None:
    opened = run_cli("incident", "open", "Still burning", "--impact", "degraded", "--scope", "lt25", db=db_path)
    ref = opened.stdout.strip().splitlines()[-1]
    still_open = run_cli("replay", ref, "--no-tui", db=db_path)
    assert still_open.returncode != 0
    assert still_open.stderr.startswith(f"error: {ref} is still open (DETECT): a replay plays a finished incident;")
    too_fast = run_cli("replay", ref, "--speed", "0", "--no-tui", db=db_path)
    assert too_fast.stderr.strip() == "error: A replay speed is from 0.1 to 10000 times the original pace, not 0."


def test_drill_starts_an_exercise_from_the_opening_never_sent(db_path: Path) -> None:
    ref = two_minute_incident(db_path)
    lowered = run_cli("incident", "severity", ref, "--sev", "3", "--reason", "contained", db=db_path)
    assert lowered.returncode == 0, lowered.stderr
    before = outbox_count(db_path)
    result = run_cli("drill", ref, "--no-tui", db=db_path)
    assert result.returncode == 0, result.stderr
    drill_ref = result.stdout.strip().splitlines()[-1]
    assert result.stdout.startswith(f"EXERCISE {drill_ref} started from {ref} with 1 opening entries (not sent to "
                                    "any tracker).")
    shown = json.loads(run_cli("incident", "show", drill_ref, "--json", db=db_path).stdout)
    assert shown["title"] == "Drill: Checkout 500s"
    assert [(e["kind"], e["text"]) for e in shown["timeline"]][1:] == [
        ("note", f"[{ref} at 14:00Z, priya] pgbouncer at 160/160")]
    assert shown["phase"] == "DETECT"
    assert shown["severity"] == "SEV1"  # as the past incident was declared, not as it ended
    assert outbox_count(db_path) == before  # an exercise stays here
    sent = run_cli("drill", ref, "--no-tui", "--to-tracker", "--entries", "0", db=db_path)
    assert "(sent to the tracker)" in sent.stdout
    assert outbox_count(db_path) > before
