"""The alert log: the only writer of what Alertmanager said, and of what the responder did with an alert.

The source (``cockpit.sources.alertmanager``) polls and hands each answer here; the log keeps every alert by
fingerprint (fired, silenced, resolved; first and last seen), so offline the screen still shows the alerts with
their age. Declaring from an alert, attaching it to an incident, acknowledging it (a silence, written here as a
durable pending record before anything is sent) and marking it not actionable are use cases of this service; each
writes its timeline entry (kind ``alert``) in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from cockpit.domain import alerts as rules
from cockpit.domain import ids
from cockpit.domain.alerts import Alert, Changes, Level, Proposal, ProposeRule
from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.lifecycle import Phase
from cockpit.domain.report import PageRecord, off_hours
from cockpit.errors import Ambiguous, InvalidInput, NotFound
from cockpit.service.incidents import IncidentService
from cockpit.store.models import AlertLogRow, AlertSilenceRow, AlertSourceState, Incident
from cockpit.textsafe import one_line

SOURCE = "alertmanager"
MAX_ERROR = 500
MAX_QUARANTINED = 20
DEFAULT_SILENCE_HOURS = 12.0


@dataclass(frozen=True)
class LoggedAlert:
    fingerprint: str
    name: str
    service: str
    level: Level | None
    group_key: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str
    starts_at: datetime
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    incident_id: str | None
    incident_ref: str | None
    acknowledged_at: datetime | None
    false_positive: bool

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or self.name

    def as_alert(self) -> Alert:
        return Alert(self.fingerprint, dict(self.labels), dict(self.annotations), self.starts_at, self.resolved_at,
                     "suppressed" if self.state == "silenced" else "active")


MORE_QUARANTINED = "… and {} more unreadable record(s)"
_MORE = re.compile(re.escape(MORE_QUARANTINED).replace(re.escape("{}"), "([0-9,]+)"))


def _bounded(quarantined: Sequence[str]) -> list[str]:
    """At most ``MAX_QUARANTINED`` lines; past it the last one says how many more (so the count stays whole)."""
    if len(quarantined) <= MAX_QUARANTINED:
        return list(quarantined)
    kept = MAX_QUARANTINED - 1
    return [*quarantined[:kept], MORE_QUARANTINED.format(f"{len(quarantined) - kept:,}")]


@dataclass(frozen=True)
class SourceStatus:
    last_ok_at: datetime | None
    attempted_at: datetime | None
    error: str | None
    quarantined: tuple[str, ...] = ()

    @property
    def set_aside(self) -> int:
        """How many records the last answer had that could not be read (the list stops at ``MAX_QUARANTINED``)."""
        more = _MORE.fullmatch(self.quarantined[-1]) if self.quarantined else None
        return len(self.quarantined) - 1 + int(more.group(1).replace(",", "")) if more else len(self.quarantined)

    def age_text(self, now: datetime) -> str:
        """"live", or "as of 12 min ago — Alertmanager at ... is unreachable"."""
        if self.attempted_at is None:
            return "not polled yet"
        if self.last_ok_at is None:
            return f"never read — {self.error}" if self.error else "not read yet"
        age = max(timedelta(0), now - self.last_ok_at)
        minutes = int(age.total_seconds() // 60)
        when = ("as of just now" if minutes < 1 else f"as of {minutes} min ago" if minutes < 120
                else f"as of {age.total_seconds() / 3600:.0f} h ago")
        return f"{when} — {self.error}" if self.error else "live"


@dataclass(frozen=True)
class SilenceRecord:
    id: str
    incident_id: str | None
    reference: str
    target: str
    matchers: list[dict[str, Any]]
    created_by: str
    comment: str
    starts_at: datetime
    ends_at: datetime
    state: str
    remote_id: str | None
    attempts: int
    last_error: str | None

    @property
    def marker(self) -> str:
        return rules.silence_marker(self.id)


@dataclass
class PollResult:
    changes: Changes
    quarantined: list[str] = field(default_factory=list)
    new_pages: int = 0


def _logged(row: AlertLogRow, refs: dict[str, str]) -> LoggedAlert:
    level = Level(row.level) if row.level in {lv.value for lv in Level} else None
    return LoggedAlert(row.fingerprint, row.name, row.service, level, row.group_key, dict(row.labels),
                       dict(row.annotations), row.state, row.starts_at, row.first_seen_at, row.last_seen_at,
                       row.resolved_at, row.incident_id, refs.get(row.incident_id or ""), row.acknowledged_at,
                       row.false_positive)


def _silence(row: AlertSilenceRow) -> SilenceRecord:
    return SilenceRecord(row.id, row.incident_id, row.reference, row.target, list(row.matchers), row.created_by,
                         row.comment, row.starts_at, row.ends_at, row.state, row.remote_id, row.attempts,
                         row.last_error)


def labels_text(labels: dict[str, str]) -> str:
    """``{alertname="X", service="api"}``, values as sent (the screens escape them)."""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


class AlertLog:
    def __init__(self, incidents: IncidentService, group_by: Sequence[str] = rules.DEFAULT_GROUP_BY,
                 proposals: Sequence[ProposeRule] = rules.DEFAULT_PROPOSALS) -> None:
        self.incidents = incidents
        self.group_by = tuple(group_by) or rules.DEFAULT_GROUP_BY
        self.proposals = tuple(proposals)

    @property
    def store(self) -> Any:
        return self.incidents.store

    # --- what the source learned ------------------------------------------------------------
    def record_poll(self, alerts: Sequence[Alert], quarantined: Sequence[str], at: datetime) -> PollResult:
        """One answer of Alertmanager, in one transaction: new and changed alerts, resolved ones, the source's state,
        and a timeline entry on the incident of each attached alert that changed."""
        svc = self.incidents
        with self.store.write() as session, session.no_autoflush:
            table = AlertLogRow.__table__  # type: ignore[attr-defined]
            before = {fp: state for fp, state in session.connection().execute(
                sa_select(table.c.fingerprint, table.c.state).where(table.c.state != "resolved"))}
            changes = rules.diff(before, alerts, at)
            status = session.get(AlertSourceState, SOURCE) or AlertSourceState(name=SOURCE)
            last_ok = status.last_ok_at or at
            touched = [*changes.fired, *changes.silenced, *changes.unsilenced]
            rows = {r.fingerprint: r for r in session.exec(select(AlertLogRow).where(
                col(AlertLogRow.fingerprint).in_([a.fingerprint for a in touched] + changes.resolved)))} \
                if touched or changes.resolved else {}
            result = PollResult(changes, _bounded(quarantined))
            entries: list[tuple[str, str, dict[str, Any]]] = []
            for alert in changes.fired + changes.silenced:
                row = rows.get(alert.fingerprint)
                state = rules.log_state(alert)
                if row is None:
                    level = alert.level
                    row = AlertLogRow(
                        fingerprint=alert.fingerprint, name=alert.name, service=alert.service,
                        level=level.value if level else None,
                        group_key=rules.group_key(alert.labels, self.group_by), labels=alert.labels,
                        annotations=alert.annotations, state=state, starts_at=alert.starts_at, first_seen_at=at,
                        last_seen_at=at, fired_count=1)
                    if level is not None and level.pages and state == "firing":
                        result.new_pages += 1
                else:  # back after it resolved
                    row.state, row.resolved_at, row.last_seen_at = state, None, at
                    row.starts_at, row.annotations = alert.starts_at, alert.annotations
                    row.fired_count += 1
                session.add(row)
                if row.incident_id:
                    entries.append((row.incident_id, f"Alert {'fired' if state == 'firing' else 'silenced'}: "
                                    f"{alert.name} {labels_text(alert.labels)}",
                                    {"event": "fired" if state == "firing" else "silenced",
                                     "fingerprint": alert.fingerprint, "labels": alert.labels}))
            for alert in changes.unsilenced:
                row = rows[alert.fingerprint]
                row.state, row.last_seen_at = "firing", at
                session.add(row)
            for fp in changes.resolved:
                row = rows[fp]
                row.state, row.resolved_at, row.last_seen_at = "resolved", at, last_ok
                session.add(row)
                if row.incident_id:
                    entries.append((row.incident_id, f"Alert resolved: {row.name} {labels_text(row.labels)}",
                                    {"event": "resolved", "fingerprint": fp, "labels": row.labels}))
            status.last_ok_at, status.attempted_at, status.error = at, at, None
            status.quarantined = result.quarantined
            session.add(status)
            session.flush()
            for incident_id, text, data in entries:
                incident = session.get(Incident, incident_id)
                if incident is not None:
                    svc.append_in(session, incident, "alert", text, at, data, author="alertmanager")
            return result

    def record_failure(self, error: str, at: datetime) -> None:
        """The source did not answer: the last known alerts stay; the reason is kept beside them."""
        with self.store.write() as session:
            status = session.get(AlertSourceState, SOURCE) or AlertSourceState(name=SOURCE)
            status.attempted_at, status.error = at, one_line(error)[:MAX_ERROR]
            session.add(status)

    # --- reading -----------------------------------------------------------------------------
    def status(self) -> SourceStatus:
        with self.store.read() as session:
            row = session.get(AlertSourceState, SOURCE)
            if row is None:
                return SourceStatus(None, None, None)
            return SourceStatus(row.last_ok_at, row.attempted_at, row.error, tuple(row.quarantined))

    def _refs(self, session: Session) -> dict[str, str]:
        return {i: ids.display_ref(k) for i, k in session.exec(select(Incident.id, Incident.ref_key)).all()}

    def current(self, include_resolved: bool = False) -> list[LoggedAlert]:
        """Firing and silenced alerts (most urgent level first, then the oldest), optionally the resolved ones."""
        with self.store.read() as session:
            stmt = select(AlertLogRow)
            if not include_resolved:
                stmt = stmt.where(AlertLogRow.state != "resolved")
            rows = session.exec(stmt).all()
            refs = self._refs(session) if any(r.incident_id for r in rows) else {}
            out = [_logged(r, refs) for r in rows]
        order = {lv.value: i for i, lv in enumerate(Level)}
        out.sort(key=lambda a: (a.state == "resolved", order.get(a.level.value if a.level else "", 9),
                                a.group_key, a.starts_at, a.fingerprint))
        return out

    def pages_since(self, since: datetime) -> int:
        """Page-level alerts first seen after ``since`` (the status line's count)."""
        with self.store.read() as session:
            return int(session.exec(select(func.count()).select_from(AlertLogRow).where(
                AlertLogRow.level == Level.P0.value, col(AlertLogRow.first_seen_at) > since)).one())

    def find(self, target: str) -> list[LoggedAlert]:
        """The alerts a target names: a fingerprint (or a unique prefix of 4+ digits), or a group key
        (``alertname=X,service=Y``), or an alert name (all its groups' alerts that are not resolved)."""
        text = target.strip()
        if not text:
            raise InvalidInput("Give an alert: its fingerprint (from `cockpit alerts list`) or its group.")
        with self.store.read() as session:
            refs = self._refs(session)
            rows = session.exec(select(AlertLogRow).where(AlertLogRow.group_key == text)).all()
            if not rows and "=" not in text:
                if len(text) >= 4 and all(c in "0123456789abcdefABCDEF" for c in text):
                    rows = session.exec(select(AlertLogRow).where(
                        col(AlertLogRow.fingerprint).startswith(text.lower()))).all()
                    if len(rows) > 1:
                        raise Ambiguous(f"'{one_line(text)}' matches {len(rows)} alerts; type more of the fingerprint.")
                if not rows:
                    rows = session.exec(select(AlertLogRow).where(AlertLogRow.name == text,
                                                                  AlertLogRow.state != "resolved")).all()
            if not rows:
                raise NotFound(f"No alert '{one_line(text)[:80]}' in the log; `cockpit alerts list` shows them.")
            live = [r for r in rows if r.state != "resolved"] or list(rows)
            return [_logged(r, refs) for r in sorted(live, key=lambda r: (r.starts_at, r.fingerprint))]

    def open_incident_for(self, alert: LoggedAlert) -> str | None:
        """The open incident an alert of the same group belongs to (proposed for this alert), if any."""
        if alert.incident_id:
            return alert.incident_id
        with self.store.read() as session:
            rows = session.exec(select(Incident).join(AlertLogRow, col(AlertLogRow.incident_id) == col(Incident.id))
                                .where(AlertLogRow.group_key == alert.group_key)
                                .order_by(col(Incident.declared_at).desc())).all()
            for incident in rows:
                if Phase(incident.phase).is_open:
                    return str(incident.id)
        return None

    def proposal(self, alert: LoggedAlert) -> Proposal:
        return rules.propose(alert.as_alert(), self.proposals)

    # --- declaring and attaching -------------------------------------------------------------
    def declare(self, target: str, commander: str | None = None) -> tuple[IncidentSnapshot, Proposal]:
        """A new incident from an alert (or its group): title, service, impact and scope proposed from it, impact
        start at the first alert's ``startsAt``, and the alerts attached."""
        found = self.find(target)
        first = min(found, key=lambda a: a.starts_at)
        proposal = self.proposal(first)
        now = self.incidents.clock()
        snapshot = self.incidents.open_incident(
            proposal.title, proposal.impact, proposal.scope, services=proposal.services, commander=commander,
            started_at=min(first.starts_at, now))
        self._attach(found, snapshot.id, declared=True)
        return snapshot, proposal

    def attach(self, target: str, incident_query: str) -> tuple[str, int]:
        """Attach an alert (or its group) to an incident; returns (the incident's reference, how many)."""
        found = self.find(target)
        incident_id = self.incidents.resolve(incident_query)
        return self._attach(found, incident_id, declared=False)

    def _attach(self, found: Sequence[LoggedAlert], incident_id: str, declared: bool) -> tuple[str, int]:
        now = self.incidents.clock()
        with self.store.write() as session:
            incident = session.get(Incident, incident_id)
            if incident is None:
                raise NotFound("The incident is no longer in the database.")
            count = 0
            for alert in found:
                row = session.get(AlertLogRow, alert.fingerprint)
                if row is None or row.incident_id == incident_id:
                    continue
                row.incident_id = incident_id
                session.add(row)
                count += 1
                self.incidents.append_in(
                    session, incident, "alert",
                    f"Alert {'declared from' if declared else 'attached'}: {row.name} {labels_text(row.labels)} "
                    f"(firing since {row.starts_at:%Y-%m-%d %H:%M}Z)", now,
                    {"event": "attached", "fingerprint": row.fingerprint, "labels": row.labels,
                     "starts_at": row.starts_at.isoformat()})
            return ids.display_ref(incident.ref_key), count

    # --- acknowledging = silencing -----------------------------------------------------------
    def acknowledge(self, target: str, incident_query: str | None = None, hours: float = DEFAULT_SILENCE_HOURS,
                    whole_group: bool = True) -> SilenceRecord:
        """Record the acknowledgement and the silence to create (durable first; the source sends it, once). The
        incident is the alert's own, or ``incident_query``."""
        if not 0 < hours <= 24 * 14:
            raise InvalidInput("A silence lasts from a minute to 14 days; give --hours in that range.")
        found = self.find(target)
        first = min(found, key=lambda a: a.starts_at)
        incident_id = self.incidents.resolve(incident_query) if incident_query else self.open_incident_for(first)
        if incident_id is None:
            raise InvalidInput("Declare an incident from this alert or attach it to one first: the silence's comment "
                               "carries the incident reference.")
        matchers = rules.silence_matchers(rules.group_labels(first.labels, self.group_by) if whole_group
                                          else first.labels)
        if not matchers:
            matchers = rules.silence_matchers(first.labels)
        now = self.incidents.clock()
        with self.store.write() as session:
            incident = session.get(Incident, incident_id)
            if incident is None:
                raise NotFound("The incident is no longer in the database.")
            reference = ids.display_ref(incident.ref_key)
            key = str(uuid.UUID(bytes=self.incidents.rand(16), version=4))
            starts, ends = rules.silence_window(now, hours)
            target_text = f"group {first.group_key}" if whole_group else f"alert {first.fingerprint}"
            row = AlertSilenceRow(
                id=key, incident_id=incident_id, reference=reference, target=target_text, matchers=matchers,
                created_by=self.incidents.author, comment=rules.silence_comment(reference, self.incidents.author, key),
                starts_at=starts, ends_at=ends, state="pending", created_at=now)
            session.add(row)
            for alert in found:
                log = session.get(AlertLogRow, alert.fingerprint)
                if log is not None and log.acknowledged_at is None:
                    log.acknowledged_at, log.acknowledged_by = now, self.incidents.author
                    if log.incident_id is None:
                        log.incident_id = incident_id
                    session.add(log)
            ack_minutes = max(0.0, (now - first.starts_at).total_seconds() / 60)
            self.incidents.append_in(
                session, incident, "alert",
                f"Acknowledged {first.name}: silence of {labels_text({m['name']: m['value'] for m in matchers})} "
                f"for {hours:g} h requested ({ack_minutes:.0f} min after it fired)", now,
                {"event": "acknowledged", "silence": key, "matchers": matchers,
                 "time_to_acknowledge_min": round(ack_minutes, 1)})
            return _silence(row)

    def silences(self, states: Sequence[str] | None = None) -> list[SilenceRecord]:
        with self.store.read() as session:
            stmt = select(AlertSilenceRow).order_by(col(AlertSilenceRow.created_at))
            if states is not None:
                stmt = stmt.where(col(AlertSilenceRow.state).in_(list(states)))
            return [_silence(r) for r in session.exec(stmt).all()]

    def silence_sent(self, silence_id: str, remote_id: str, found_existing: bool) -> None:
        with self.store.write() as session:
            row = session.get(AlertSilenceRow, silence_id)
            if row is None or row.state != "pending":
                return
            row.state, row.remote_id, row.last_error = "active", remote_id[:64], None
            row.attempts += 1
            session.add(row)
            incident = session.get(Incident, row.incident_id) if row.incident_id else None
            if incident is not None:
                how = "found already in Alertmanager" if found_existing else "created in Alertmanager"
                self.incidents.append_in(session, incident, "alert", f"Silence {remote_id[:64]} {how} "
                                       f"(until {row.ends_at:%Y-%m-%d %H:%M}Z)", self.incidents.clock(),
                                       {"event": "silenced", "silence": row.id, "remote_id": remote_id[:64]},
                                       author="alertmanager")

    def silence_failed(self, silence_id: str, error: str) -> None:
        with self.store.write() as session:
            row = session.get(AlertSilenceRow, silence_id)
            if row is not None:
                row.attempts += 1
                row.last_error = one_line(error)[:MAX_ERROR]
                session.add(row)

    def silence_refused(self, silence_id: str, error: str) -> None:
        """Alertmanager refused the silence for good (for instance: it waited offline past its end)."""
        with self.store.write() as session:
            row = session.get(AlertSilenceRow, silence_id)
            if row is None or row.state != "pending":
                return
            row.state, row.last_error = "refused", one_line(error)[:MAX_ERROR]
            row.attempts += 1
            session.add(row)
            incident = session.get(Incident, row.incident_id) if row.incident_id else None
            if incident is not None:
                self.incidents.append_in(session, incident, "alert",
                                         f"Alertmanager refused the silence of {row.target}: "
                                         f"{row.last_error}; acknowledge again if it is still needed",
                                       self.incidents.clock(), {"event": "refused", "silence": row.id},
                                       author="alertmanager")

    def expire_resolved(self) -> int:
        """Mark for expiry the silences of incidents that reached RESOLVE (the source deletes them)."""
        with self.store.write() as session:
            rows = session.exec(select(AlertSilenceRow, Incident.phase).join(
                Incident, col(AlertSilenceRow.incident_id) == col(Incident.id)).where(
                col(AlertSilenceRow.state).in_(["pending", "active"]))).all()
            count = 0
            for row, phase in rows:
                if not Phase(phase).is_open:
                    row.state = "expiring" if row.state == "active" else "cancelled"
                    session.add(row)
                    count += 1
            return count

    def expire_by_hand(self, silence_query: str) -> SilenceRecord:
        with self.store.write() as session:
            rows = session.exec(select(AlertSilenceRow).where(
                col(AlertSilenceRow.id).startswith(silence_query.strip().lower(), autoescape=True))).all()
            if not rows:
                raise NotFound(f"No silence '{one_line(silence_query)[:40]}'; `cockpit alerts silences` lists them.")
            if len(rows) > 1:
                raise Ambiguous(f"'{one_line(silence_query)[:40]}' matches {len(rows)} silences; type more.")
            row = rows[0]
            if row.state not in ("pending", "active"):
                raise InvalidInput(f"The silence {row.id[:8]} is already {row.state}.")
            row.state = "expiring" if row.state == "active" else "cancelled"
            session.add(row)
            incident = session.get(Incident, row.incident_id) if row.incident_id else None
            if incident is not None:
                self.incidents.append_in(session, incident, "alert", f"Silence of {row.target} to be expired by hand",
                                       self.incidents.clock(), {"event": "unsilence", "silence": row.id})
            return _silence(row)

    def silence_expired(self, silence_id: str) -> None:
        with self.store.write() as session:
            row = session.get(AlertSilenceRow, silence_id)
            if row is None or row.state != "expiring":
                return
            row.state, row.last_error = "expired", None
            session.add(row)
            incident = session.get(Incident, row.incident_id) if row.incident_id else None
            if incident is not None:
                self.incidents.append_in(session, incident, "alert", f"Silence {row.remote_id} expired in Alertmanager",
                                       self.incidents.clock(), {"event": "expired", "silence": row.id},
                                       author="alertmanager")

    # --- not actionable ------------------------------------------------------------------------
    def mark_false_positive(self, target: str) -> int:
        found = self.find(target)
        now = self.incidents.clock()
        with self.store.write() as session:
            count = 0
            for alert in found:
                row = session.get(AlertLogRow, alert.fingerprint)
                if row is None or row.false_positive:
                    continue
                row.false_positive = True
                session.add(row)
                count += 1
                incident = session.get(Incident, row.incident_id) if row.incident_id else None
                if incident is not None:
                    self.incidents.append_in(session, incident, "alert",
                                           f"Alert marked not actionable (false positive): {row.name} "
                                           f"{labels_text(row.labels)}", now,
                                           {"event": "false_positive", "fingerprint": row.fingerprint})
            return count

    # --- on-call health --------------------------------------------------------------------------
    def page_records(self) -> list[PageRecord]:
        """Each page-level alert of the log as a page (for the monthly report's on-call figures)."""
        from cockpit.service.aftercare import alert_log_pages

        with self.store.plain() as conn:
            return alert_log_pages(conn)

    def report(self, weeks: int, now: datetime) -> dict[str, Any]:
        """Pages per week per service against the seed's target (< 5), the noisiest alerts, the false-positive
        rate, time to acknowledge, off-hours pages; from the alert log over the last ``weeks`` weeks."""
        if not 1 <= weeks <= 520:
            raise InvalidInput("--weeks must be from 1 to 520.")
        since = now - timedelta(weeks=weeks)
        with self.store.read() as session:
            rows = session.exec(select(AlertLogRow).where(col(AlertLogRow.starts_at) >= since)).all()
        pages = [r for r in rows if r.level == Level.P0.value]
        per_service: dict[str, list[int]] = {}
        for row in pages:
            per_service.setdefault(row.service or "(no service)", []).append(row.fired_count)
        services = []
        for service, counts in sorted(per_service.items()):
            per_week = round(sum(counts) / weeks, 2)
            target = rules.PAGES_PER_WEEK_TARGET
            services.append({"service": service, "pages": sum(counts), "pages_per_week": per_week,
                             "target": target, "over_target": per_week >= target})
        noisy: dict[tuple[str, str], int] = {}
        for row in rows:
            noisy[(row.name, row.service)] = noisy.get((row.name, row.service), 0) + row.fired_count
        noisiest = [{"alertname": n, "service": s, "fired": c}
                    for (n, s), c in sorted(noisy.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
        acks = [(r.acknowledged_at - r.starts_at).total_seconds() / 60 for r in pages if r.acknowledged_at]
        fired = sum(r.fired_count for r in rows)
        false = sum(r.fired_count for r in rows if r.false_positive)
        return {
            "weeks": weeks, "since": since.isoformat(), "alerts": len(rows), "pages": sum(r.fired_count for r in pages),
            "off_hours_pages": sum(1 for r in pages if off_hours(r.starts_at)),
            "false_positive_pct": round(100 * false / fired, 1) if fired else None,
            "avg_ack_minutes": round(sum(acks) / len(acks), 1) if acks else None,
            "services": services, "noisiest": noisiest,
        }
