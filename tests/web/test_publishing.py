"""Publishing and the status page's content, on a real SQLite file, without a browser (issue #15, items 1 and 2)."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy.exc

from cockpit.domain.comms import Template
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput, ReadOnly
from cockpit.service.incidents import IncidentService
from cockpit.service.publishing import fingerprint, publish, status_page
from cockpit.store.db import Store
from cockpit.web.statuspage import PageOptions, build
from tests.conftest import FakeClock

ATOM = "{http://www.w3.org/2005/Atom}"


def resolve(svc: IncidentService, ref: str) -> None:
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE):
        svc.set_phase(ref, phase)


def test_publishing_records_a_comms_entry_and_the_public_copy(svc: IncidentService, db_path: Path,
                                                              clock: FakeClock) -> None:
    snap = svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.GT25, services=["checkout-api"])
    clock.advance(minutes=20)
    notice = publish(svc, snap.ref, Template.CUSTOMER)
    detail = svc.get(snap.ref)
    assert detail.timeline[-1].kind == "comms"
    assert detail.timeline[-1].text.startswith("Published to the status page: Customer-facing status\n")
    assert detail.snapshot.last_update_at == clock.now  # it counts as a status update: the countdown restarts
    raw = sqlite3.connect(db_path)
    row = raw.execute("SELECT template, public_title, text, published_by FROM published_update").fetchone()
    assert row == ("customer", "Checkout 500s", notice.text, "alice")
    assert "We are currently investigating" in notice.text
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # what customers were told stays as told
        raw.execute("UPDATE published_update SET text = 'never happened'")
    raw.close()


def test_the_internal_notification_is_never_published_nor_a_resolution_before_resolving(
        svc: IncidentService, db_path: Path) -> None:
    snap = svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.GT25)
    with pytest.raises(InvalidInput, match="internal and is never published"):
        publish(svc, snap.ref, Template.INITIAL)
    with pytest.raises(InvalidInput, match="resolve it before publishing the resolution notice"):
        publish(svc, snap.ref, Template.RESOLUTION)
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM published_update").fetchone() == (0,)
    assert [e.kind for e in svc.get(snap.ref).timeline] == ["declared"]


def test_the_page_holds_only_published_incidents_and_their_published_text(svc: IncidentService, clock: FakeClock,
                                                                         tmp_path: Path) -> None:
    shown = svc.open_incident("Search slow", Impact.DEGRADED, Scope.LT25, services=["search"])
    svc.add_entry(shown.ref, "INTERNAL: the replica lag is from the backup job")
    svc.record_comms_sent(shown.ref, Template.INITIAL)  # sent internally, never public
    publish(svc, shown.ref, Template.CUSTOMER, public_title="Search is slow")
    hidden = svc.open_incident("Secret breach investigation", Impact.CORE_DOWN, Scope.ONE_USER,
                               services=["vault"])
    clock.advance(minutes=5)
    old = svc.open_incident("Old outage", Impact.CORE_DOWN, Scope.ALL, services=["login"])
    publish(svc, old.ref, Template.CUSTOMER)
    resolve(svc, old.ref)
    clock.advance(days=91)  # resolved more than 90 days ago: off the page
    data = status_page(svc, ["checkout-api"])
    assert [i.title for i in data.open] == ["Search is slow"]
    assert data.resolved == []
    assert [(c.name, c.state.label) for c in data.components] == [("checkout-api", "Operational"),
                                                                  ("search", "Degraded performance")]
    result = build(svc, tmp_path / "site", PageOptions(components=("checkout-api",)))
    assert (result.open, result.resolved, result.updates) == (1, 0, 1)
    html = (tmp_path / "site" / "index.html").read_text()
    for never in ("INTERNAL", "🔴 INCIDENT", hidden.title, "vault", "Old outage", "SEV3"):
        assert never not in html
    assert "Search is slow" in html and "Degraded performance" in html
    feed = ET.parse(tmp_path / "site" / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Search is slow: Update"]
    assert entries[0].findtext(f"{ATOM}content", "").startswith("search - Investigating search slow")
    assert "INTERNAL" not in (tmp_path / "site" / "feed.xml").read_text()
    assert hidden.ref  # unpublished: declared, but not on the page


def test_the_public_title_carries_over_and_the_fingerprint_moves_only_with_the_page(svc: IncidentService) -> None:
    snap = svc.open_incident("orders-db pgbouncer pool exhausted", Impact.CORE_DOWN, Scope.ALL)
    other = svc.open_incident("Unpublished", Impact.COSMETIC, Scope.ONE_USER)
    before = fingerprint(svc)
    svc.add_entry(other.ref, "nothing on the page changes")
    assert fingerprint(svc) == before
    publish(svc, snap.ref, Template.CUSTOMER, public_title="Checkout errors")
    after = fingerprint(svc)
    assert after != before
    svc.set_phase(snap.ref, Phase.TRIAGE)  # a published incident's state shows on the page
    assert fingerprint(svc) != after
    second = publish(svc, snap.ref, Template.CUSTOMER)
    assert second.public_title == "Checkout errors"
    with pytest.raises(InvalidInput, match="control character"):
        publish(svc, snap.ref, Template.CUSTOMER, public_title="bad\x1b[2J")


def test_a_store_that_refuses_writes_changes_nothing(svc: IncidentService, store: Store, db_path: Path) -> None:
    snap = svc.open_incident("Checkout 500s", Impact.CORE_DOWN, Scope.GT25)
    store.refuse_writes("read-only here")
    with pytest.raises(ReadOnly, match="read-only here"):
        svc.add_entry(snap.ref, "from a browser")
    with pytest.raises(ReadOnly):
        publish(svc, snap.ref, Template.CUSTOMER)
    with store.engine.connect() as conn, pytest.raises(sqlalchemy.exc.OperationalError, match=r"readonly"):
        conn.exec_driver_sql("DELETE FROM store_meta")  # SQLite itself refuses: PRAGMA query_only
    assert svc.get(snap.ref).snapshot.title == "Checkout 500s"  # reading still works
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM timeline_entry").fetchone() == (1,)


def test_duration_wording_for_a_resolved_incident(svc: IncidentService, clock: FakeClock, tmp_path: Path) -> None:
    snap = svc.open_incident("Login fails", Impact.CORE_DOWN, Scope.ALL, services=["login"],
                             started_at=clock.now - timedelta(minutes=10))
    publish(svc, snap.ref, Template.CUSTOMER)
    clock.advance(hours=2, minutes=3)
    resolve(svc, snap.ref)
    publish(svc, snap.ref, Template.RESOLUTION)
    build(svc, tmp_path, PageOptions())
    html = (tmp_path / "index.html").read_text()
    assert "lasted 2 hours 13 minutes" in html and "✅ RESOLVED: Login fails" in html
