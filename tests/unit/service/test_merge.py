"""Merging the tracker's record into the store (real SQLite, no network): roles conflicts and odd remote input."""

from __future__ import annotations

from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.service.merge import Merger, RemoteEntry, RemoteIncident, parse_roles, restore_conflict
from tests.conftest import FakeClock


def remote_of(svc: IncidentService, ref: str, roles: str, changed_by: str, clock: FakeClock,
              entries: tuple[RemoteEntry, ...] = ()) -> RemoteIncident:
    snap = svc.get(ref).snapshot
    return RemoteIncident(remote_id="42", cockpit_uuid=snap.id, ref=ref, title=snap.title,
                          fields={"severity": snap.severity.label, "phase": snap.phase.value, "roles": roles},
                          changed_at=clock(), changed_by=changed_by, entries=list(entries))


def handover(clock: FakeClock, text: str, author: str = "carol") -> RemoteEntry:
    """The entry another cockpit writes with an IC handover (the incoming IC confirmed it there)."""
    import uuid

    return RemoteEntry(id=str(uuid.uuid4()), remote_id="7", at=clock(), author=author, kind="handover", text=text)


def test_a_roles_conflict_is_logged_and_the_losing_board_can_be_restored(svc: IncidentService,
                                                                         clock: FakeClock) -> None:
    ref = svc.open_incident("Cache stampede", Impact.DEGRADED, Scope.LT25, commander="alice").ref
    merger = Merger(svc, "team")
    merger.agree(svc.get(ref).snapshot.id, {"roles": "ic: alice"})
    clock.advance(minutes=1)
    svc.assign_role(ref, Role.SCRIBE, "lena")  # ours: alice IC, lena scribe
    clock.advance(minutes=1)
    merger.merge(remote_of(svc, ref, "ic: bob; ops: dev", "carol", clock,  # theirs, later: bob IC, dev ops
                           (handover(clock, "Incident Commander handed over: alice → bob"),)))
    snap = svc.get(ref).snapshot
    assert snap.commander == "bob" and snap.holders(Role.OPS) == ["dev"] and snap.holders(Role.SCRIBE) == []
    [conflict] = merger.conflicts()
    assert conflict.field == "roles" and conflict.sentence.endswith("kept ic: bob; ops: dev")
    assert restore_conflict(svc, conflict.id[:8]) == "roles set back to ic: alice; scribe: lena"
    snap = svc.get(ref).snapshot
    assert snap.commander == "alice" and snap.holders(Role.SCRIBE) == ["lena"] and snap.holders(Role.OPS) == []
    assert merger.conflicts()[0].restored


def test_roles_the_cockpit_does_not_know_are_left_out() -> None:
    assert parse_roles("ic: bob; boss: mallory; sme: a, b;;nonsense") == {"ic": ["bob"], "sme": ["a", "b"]}


def test_an_ic_typed_into_the_tracker_without_a_handover_is_refused_and_shown(svc: IncidentService,
                                                                            clock: FakeClock) -> None:
    ref = svc.open_incident("Queue backlog", Impact.DEGRADED, Scope.LT25, commander="alice").ref
    merger = Merger(svc, "team")
    merger.agree(svc.get(ref).snapshot.id, {"roles": "ic: alice"})
    clock.advance(minutes=1)
    merger.merge(remote_of(svc, ref, "ic: mallory", "mallory", clock))
    assert svc.get(ref).snapshot.commander == "alice"  # the rules hold: no handover, no new IC
    [conflict] = merger.conflicts()
    assert conflict.kept == "local" and conflict.reason and "without a handover" in conflict.reason
    assert "mallory set ic: mallory" in conflict.sentence and conflict.sentence.endswith("Kept ic: alice")
    merger.merge(remote_of(svc, ref, "ic: mallory", "mallory", clock))  # pulled again: logged once
    assert len(merger.conflicts()) == 1


def test_an_alert_entry_from_another_cockpit_is_taken_not_set_aside(svc: IncidentService, clock: FakeClock) -> None:
    """Alert entries (#10) travel like any other: another cockpit's must join the timeline, not be parked."""
    import uuid

    ref = svc.open_incident("Checkout 5xx", Impact.CORE_DOWN, Scope.GT25, commander="alice").ref
    entry = RemoteEntry(id=str(uuid.uuid4()), remote_id="8", at=clock(), author="alertmanager", kind="alert",
                        text="CheckoutErrorRateHigh fired")
    merger = Merger(svc, "team")
    merger.merge(remote_of(svc, ref, "ic: alice", "bob", clock, (entry,)))
    assert merger.parked() == []
    assert [e.kind for e in svc.get(ref).timeline if e.text == "CheckoutErrorRateHigh fired"] == ["alert"]
