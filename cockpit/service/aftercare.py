"""After the incident: action items, postmortem drafts, the monthly reliability report."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date
from typing import Any

from cockpit.domain import postmortem as pm
from cockpit.domain import report as rp
from cockpit.domain.alerts import Level
from cockpit.domain.postmortem import ActionItem, check_action_fields, parse_deadline
from cockpit.errors import InvalidInput, NotFound
from cockpit.service.incidents import IncidentService
from cockpit.store.schema import ACTION_ITEM, ALERT_LOG, INCIDENT, PAGE, SHIFT, TIMELINE_ENTRY, to_db_time, unreadable
from cockpit.textsafe import control_characters, is_number_text

# The ORM is imported by the use cases that write: the reports, the postmortem and the lists read with plain sqlite3.


def _deadline(row: Mapping[str, Any]) -> date | None:
    deadline = row["deadline"]
    try:
        return date.fromisoformat(deadline) if deadline else None
    except (ValueError, TypeError):
        raise unreadable(ACTION_ITEM.name, "deadline", deadline) from None


def _item(row: Mapping[str, Any], ref: str = "") -> ActionItem:
    return ActionItem(key=f"AI-{row['number']:03d}", description=row["description"], type=row["type"],
                      owner=row["owner"], priority=row["priority"],
                      deadline=_deadline(row), status=row["status"],
                      ticket=row["ticket"], incident_ref=ref)


def alert_log_pages(conn: sqlite3.Connection) -> list[rp.PageRecord]:
    """Each page-level alert of the alert log as a page (for the monthly report's on-call figures)."""
    names = ("starts_at", "acknowledged_by", "acknowledged_at", "false_positive")
    rows = conn.execute(f"{ALERT_LOG.select(names)} WHERE level = ?", (Level.P0.value,))
    return [rp.PageRecord(r["starts_at"], r["acknowledged_by"] or "", r["acknowledged_at"], r["false_positive"])
            for r in (ALERT_LOG.decode(row, names) for row in rows)]


def _used_entries(conn: sqlite3.Connection, incident_id: str) -> set[str | None]:
    """The entries of an incident already made into action items."""
    return {r[0] for r in conn.execute(f"SELECT source_entry_id FROM {ACTION_ITEM.name} WHERE incident_id = ?",
                                       (incident_id,))}


def _number(key: str) -> int:
    text = key.strip().upper().removeprefix("AI-")
    if not is_number_text(text) or len(text.lstrip("0")) > 9:  # ² is a digit; 10**20 no SQL int
        raise InvalidInput(f"'{key[:24]}' is not an action item id: they look like AI-001.")
    return int(text)


class Aftercare:
    def __init__(self, incidents: IncidentService) -> None:
        self.incidents = incidents

    # --- action items -------------------------------------------------------------------
    def add_action(self, description: str, *, query: str | None = None, type_: str = "prevent", owner: str = "",
                   priority: str = "P1", deadline: str | None = None, ticket: str = "",
                   source_entry_id: str | None = None) -> ActionItem:
        description = description.strip()
        if not description:
            raise InvalidInput("The action item's description is empty.")
        check_action_fields(type_, priority, "open")
        if found := control_characters(owner):
            raise InvalidInput(f"The owner's name contains a control character ({found}); type it as plain text.")
        due = parse_deadline(deadline).isoformat() if deadline else None
        from sqlalchemy import func
        from sqlmodel import select

        from cockpit.store.models import ActionItemRow

        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            incident = svc.find_in(session, query) if query else None
            number = int(session.exec(select(func.max(ActionItemRow.number))).one() or 0) + 1
            row = ActionItemRow(id=svc.new_id(now), number=number, incident_id=incident.id if incident else None,
                                type=type_, description=description, owner=owner.strip(), priority=priority,
                                deadline=due, ticket=ticket.strip(), source_entry_id=source_entry_id, created_at=now)
            session.add(row)
            if incident is not None:
                svc.append_in(session, incident, "system", pm.action_entry_text(_item(ACTION_ITEM.values(row))),
                              now, {"action_item": f"AI-{number:03d}"})
            return _item(ACTION_ITEM.values(row))

    def actions(self, query: str | None = None, include_done: bool = False) -> list[ActionItem]:
        svc = self.incidents
        incident_id = svc.resolve(query) if query else None
        sql = (f"SELECT {', '.join(f'a.{c}' for c in ACTION_ITEM.columns)}, i.ref_key FROM {ACTION_ITEM.name} a "
               f"LEFT OUTER JOIN {INCIDENT.name} i ON a.incident_id = i.id")
        where = [*(["a.incident_id = ?"] if incident_id else []), *([] if include_done else ["a.status != 'done'"])]
        if where:
            sql += f" WHERE {' AND '.join(where)}"
        with svc.store.plain() as conn:
            rows = conn.execute(sql + " ORDER BY a.number", [incident_id] if incident_id else []).fetchall()
        return [_item(ACTION_ITEM.decode(row[:-1]), f"INC-{row[-1]}" if row[-1] else "") for row in rows]

    def set_status(self, key: str, status: str) -> ActionItem:
        from sqlmodel import select

        from cockpit.store.models import ActionItemRow

        check_action_fields("prevent", "P1", status)
        svc = self.incidents
        now = svc.clock()
        with svc.store.write() as session:
            row = session.exec(select(ActionItemRow).where(ActionItemRow.number == _number(key))).first()
            if row is None:
                raise NotFound(f"No action item {key.upper()}; `cockpit action list --all` shows them.")
            row.status = status
            row.done_at = now if status == "done" else None
            session.add(row)
            if row.incident_id is not None:
                incident = svc.find_in(session, row.incident_id)
                svc.append_in(session, incident, "system", f"Action item AI-{row.number:03d} is now {status}: "
                            f"{row.description}", now, {"action_item": f"AI-{row.number:03d}", "status": status})
            return _item(ACTION_ITEM.values(row))

    def accept_proposed(self, query: str, tickets: list[str] | None = None) -> list[ActionItem]:
        """Store every proposed action item of an incident (its action entries not yet made into one), with the
        owner, priority and deadline their text states; ``tickets`` are given to them in order."""
        svc = self.incidents
        detail = svc.get(query)
        with svc.store.plain() as conn:
            used = _used_entries(conn, detail.snapshot.id)
        made = []
        for index, entry in enumerate(e for e in detail.timeline if e.kind == "action" and e.id not in used):
            owner, priority, deadline = pm.action_hints(entry.text)
            ticket = tickets[index] if tickets and index < len(tickets) else ""
            made.append(self.add_action(entry.text, query=detail.snapshot.id, owner=owner, priority=priority,
                                        deadline=deadline.isoformat() if deadline else None, ticket=ticket,
                                        source_entry_id=entry.id))
        return made

    # --- postmortem ---------------------------------------------------------------------
    def postmortem(self, query: str, full: bool | None = None) -> pm.Postmortem:
        svc = self.incidents
        detail = svc.get(query)
        stored = self.actions(detail.snapshot.id, include_done=True)
        with svc.store.plain() as conn:
            used = _used_entries(conn, detail.snapshot.id)
            next_number = int(conn.execute(f"SELECT max(number) FROM {ACTION_ITEM.name}").fetchone()[0] or 0) + 1
        unstored = [e for e in detail.timeline if e.id not in used]
        proposed = pm.proposed_actions(unstored, next_number)
        draft = pm.draft(detail.snapshot, detail.timeline, detail.metrics, [*stored, *proposed], full=full)
        self._slo_impact(draft, detail.snapshot.id)
        return draft

    def _slo_impact(self, draft: pm.Postmortem, incident_id: str) -> None:
        """``impact.slo_budget_consumed_pct``: the share of an SLO's error budget the incident's own errors took
        (the most across its services' SLOs), with the budget at declaration and at resolution per SLO."""
        from cockpit.service.signals import Signals, budget_consumed

        records = Signals(self.incidents).incident_budgets(incident_id)
        if not records:
            return
        draft.impact["slo_budget_consumed_pct"] = budget_consumed(records)

        def pct(value: float | None) -> float | None:
            return None if value is None else round(value * 100, 1)

        draft.impact["slo_budgets"] = [
            {"slo": r.slo_key, "remaining_at_declaration_pct": pct(r.declared_remaining),
             "remaining_at_resolution_pct": pct(r.resolved_remaining),
             "consumed_pct": None if r.consumed_pct is None else round(r.consumed_pct, 1)}
            for r in records]

    # --- the monthly report -------------------------------------------------------------
    def monthly_report(self, period: str, today: date) -> dict[str, object]:
        start, end = rp.month_window(period)
        svc = self.incidents
        with svc.store.plain() as conn:
            ids = [r[0] for r in conn.execute(  # Game Days (exercises) are not incidents to count
                f"SELECT id FROM {INCIDENT.name} WHERE declared_at >= ? AND declared_at < ? AND kind != 'exercise'",
                (to_db_time(start), to_db_time(end)))]
            pages = [rp.PageRecord(p["at"], p["responder"], p["acknowledged_at"], p["false_positive"])
                     for p in PAGE.rows(conn)]
            shifts = [rp.ShiftRecord(s["responder"], s["position"], s["starts_at"], s["ends_at"])
                      for s in SHIFT.rows(conn)]
            rows = ACTION_ITEM.rows(conn)
            actions = [rp.ActionRecord(a["status"], _deadline(a),
                                       a["done_at"], a["created_at"]) for a in rows]
            made_from = {a["source_entry_id"] for a in rows if a["source_entry_id"]}
            action_entries = [r[0] for r in conn.execute(f"SELECT id FROM {TIMELINE_ENTRY.name} WHERE kind = ?",
                                                         ("action",))]
            proposed = sum(1 for entry_id in action_entries if entry_id not in made_from)
            pages += alert_log_pages(conn)  # real pages from the alert log (#10); sample pages stay for the demo
        incidents = []
        for incident_id in ids:
            detail = svc.get(incident_id, with_timeline=False)
            incidents.append((detail.snapshot, detail.metrics))
        report = rp.monthly(period, incidents, pages, shifts, actions, today, proposed=proposed)
        from cockpit.service.signals import Signals

        slo_sections = Signals(svc).report_sections(svc.clock())
        if slo_sections is not None:  # the seed's slo_summary and error_budget, from the latest SLO figures
            body = report["monthly_report"]
            assert isinstance(body, dict)
            body.update(slo_sections)
        return report
