"""Publishing customer updates, and reading back what the public status page may show.

``publish`` is the only way text reaches the status page: one transaction records a ``comms`` timeline entry (it
counts as a status update) and the published copy of the message. ``status_page`` reads only published incidents
(those with at least one published update) and only their published text: an incident nobody published, an
internal note or the internal notification never appears.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select

from cockpit.domain import comms, ids
from cockpit.domain.comms import Template
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Severity
from cockpit.domain.statuspage import RESOLVED_WINDOW_DAYS, Component, check_publishable, components
from cockpit.errors import InvalidInput
from cockpit.service.incidents import IncidentService, clean_text, clean_title, snapshot_of
from cockpit.store.models import Incident, PublishedUpdate, TimelineEntry
from cockpit.textsafe import control_characters

FEED_LENGTH = 50


@dataclass(frozen=True)
class PublishedNotice:
    id: str
    incident_id: str
    template: Template
    public_title: str
    text: str
    published_by: str
    published_at: datetime


@dataclass(frozen=True)
class PublicIncident:
    id: str
    anchor: str  # a stable, non-secret id for links: the reference's key
    title: str  # the public title of the newest published update
    severity: Severity
    phase: Phase
    services: tuple[str, ...]
    started_at: datetime
    resolved_at: datetime | None
    updates: tuple[PublishedNotice, ...]  # newest first

    @property
    def latest(self) -> PublishedNotice:
        return self.updates[0]

    @property
    def resolution(self) -> PublishedNotice | None:
        return next((u for u in self.updates if u.template is Template.RESOLUTION), None)


@dataclass(frozen=True)
class StatusPageData:
    generated_at: datetime
    open: Sequence[PublicIncident]  # most severe first, then newest update first
    resolved: Sequence[PublicIncident]  # resolved in the window, newest first
    components: Sequence[Component]
    feed: Sequence[tuple[PublicIncident, PublishedNotice]]  # the newest published updates, newest first


def _public_title(value: str) -> str:
    if found := control_characters(value):
        raise InvalidInput(f"The public title contains a control character ({found}); type it as plain text.")
    return clean_title(value, "public title", "say in a few words what customers notice")


def publish(
    svc: IncidentService, query: str, template: Template, *, text: str | None = None, public_title: str | None = None,
) -> PublishedNotice:
    """Make a filled template public: the customer-facing status, or the resolution notice once resolved.

    ``text`` is exactly what the incident commander saw (default: the template filled now); ``public_title`` is
    the incident's name on the page (default: the one published last, else the incident's title)."""
    title = _public_title(public_title) if public_title is not None else None
    now = svc.clock()
    with svc.store.write() as session:
        incident = svc.find_in(session, query)
        snapshot = snapshot_of(session, incident)
        check_publishable(template, snapshot.phase, snapshot.ref)
        body = clean_text(text if text is not None else comms.render(template, snapshot, now).text, "update text")
        if title is None:
            updates = PublishedUpdate.__table__  # type: ignore[attr-defined]
            title = session.connection().execute(
                sa_select(updates.c.public_title).where(updates.c.incident_id == incident.id)
                .order_by(updates.c.published_at.desc(), updates.c.id.desc()).limit(1)
            ).scalar() or incident.title
        notice_id = svc.new_id(now)
        entry = svc.append_in(session, incident, "comms", comms.published_text(template, body),
                            now, {"template": template.value, "public": True, "publication": notice_id})
        session.flush()
        session.add(PublishedUpdate(
            id=notice_id, incident_id=incident.id, entry_id=entry.id, template=template.value, public_title=title,
            text=body, published_by=svc.author, published_at=now,
        ))
        return PublishedNotice(notice_id, incident.id, template, title, body, svc.author, now)


def fingerprint(svc: IncidentService) -> tuple[int, str, int]:
    """Changes whenever the status page would: an update is published, or a published incident changes (every
    change to an incident writes a timeline entry, whose causal stamp only grows). Indexed aggregates: cheap
    enough to poll every second."""
    updates = PublishedUpdate.__table__  # type: ignore[attr-defined]
    entries = TimelineEntry.__table__  # type: ignore[attr-defined]
    with svc.store.read() as session:
        conn = session.connection()
        count, newest = conn.execute(sa_select(func.count(), func.max(updates.c.id))).one()
        stamp = conn.execute(sa_select(func.max(entries.c.hlc))
                             .where(entries.c.incident_id.in_(sa_select(updates.c.incident_id).distinct()))).scalar()
    return int(count), str(newest or ""), int(stamp or 0)


def status_page(
    svc: IncidentService, named_components: Sequence[str] = (), window_days: int = RESOLVED_WINDOW_DAYS,
) -> StatusPageData:
    """Everything the public page shows, read in one snapshot."""
    now = svc.clock()
    cutoff = now - timedelta(days=window_days)
    open_phases = [p.value for p in Phase if p.is_open]
    table = Incident.__table__  # type: ignore[attr-defined]
    updates = PublishedUpdate.__table__  # type: ignore[attr-defined]
    with svc.store.read() as session:
        conn = session.connection()
        published = sa_select(updates.c.incident_id).distinct()
        rows = conn.execute(
            sa_select(table.c.id, table.c.ref_key, table.c.title, table.c.severity, table.c.phase, table.c.services,
                      table.c.declared_at, table.c.started_at, table.c.resolved_at)
            .where(table.c.id.in_(published))
            .where(or_(table.c.phase.in_(open_phases), table.c.resolved_at >= cutoff))
        ).all()
        wanted = [r.id for r in rows]
        notices: dict[str, list[PublishedNotice]] = defaultdict(list)
        for chunk in range(0, len(wanted), 500):  # SQLite caps the number of bound parameters
            for u in conn.execute(
                sa_select(updates.c.id, updates.c.incident_id, updates.c.template, updates.c.public_title,
                          updates.c.text, updates.c.published_by, updates.c.published_at)
                .where(updates.c.incident_id.in_(wanted[chunk:chunk + 500]))
                .order_by(updates.c.published_at.desc(), updates.c.id.desc())
            ):
                notices[u.incident_id].append(PublishedNotice(u.id, u.incident_id, Template(u.template),
                                                              u.public_title, u.text, u.published_by,
                                                              u.published_at))
    incidents = []
    for r in rows:
        mine = tuple(notices[r.id])
        if not mine:
            continue
        incidents.append(PublicIncident(
            id=r.id, anchor=ids.display_ref(r.ref_key).lower(), title=mine[0].public_title,
            severity=Severity(r.severity), phase=Phase(r.phase), services=tuple(r.services),
            started_at=r.started_at or r.declared_at, resolved_at=r.resolved_at, updates=mine,
        ))
    open_ones = sorted((i for i in incidents if i.phase.is_open),
                       key=lambda i: (i.severity, -i.latest.published_at.timestamp()))
    resolved = sorted((i for i in incidents if not i.phase.is_open),
                      key=lambda i: i.resolved_at or i.latest.published_at, reverse=True)
    feed = sorted(((i, u) for i in incidents for u in i.updates),
                  key=lambda pair: (pair[1].published_at, pair[1].id), reverse=True)[:FEED_LENGTH]
    return StatusPageData(
        generated_at=now, open=open_ones, resolved=resolved, feed=feed,
        components=components(named_components, ((i.severity, i.phase, i.services)
                                                 for i in [*open_ones, *resolved])),
    )
