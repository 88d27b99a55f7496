"""After the incident: action items, postmortem drafts, the monthly reliability report."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from cockpit.domain import postmortem as pm
from cockpit.domain import report as rp
from cockpit.domain.postmortem import ActionItem, check_action_fields, parse_deadline
from cockpit.errors import InvalidInput, NotFound
from cockpit.service.incidents import IncidentService
from cockpit.store.models import ActionItemRow, Incident, Page, Shift, TimelineEntry
from cockpit.textsafe import control_characters, is_number_text


def _item(row: ActionItemRow, ref: str = "") -> ActionItem:
    return ActionItem(key=f"AI-{row.number:03d}", description=row.description, type=row.type, owner=row.owner,
                      priority=row.priority, deadline=date.fromisoformat(row.deadline) if row.deadline else None,
                      status=row.status, ticket=row.ticket, incident_ref=ref)


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
                svc.append_in(session, incident, "system", pm.action_entry_text(_item(row)), now,
                            {"action_item": f"AI-{number:03d}"})
            return _item(row)

    def actions(self, query: str | None = None, include_done: bool = False) -> list[ActionItem]:
        svc = self.incidents
        with svc.store.read() as session:
            stmt = select(ActionItemRow, Incident.ref_key).join(
                Incident, col(ActionItemRow.incident_id) == col(Incident.id), isouter=True)
            if query:
                stmt = stmt.where(ActionItemRow.incident_id == svc.find_in(session, query).id)
            if not include_done:
                stmt = stmt.where(ActionItemRow.status != "done")
            rows = session.exec(stmt.order_by(col(ActionItemRow.number))).all()
            return [_item(row, f"INC-{key}" if key else "") for row, key in rows]

    def set_status(self, key: str, status: str) -> ActionItem:
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
            return _item(row)

    def accept_proposed(self, query: str, tickets: list[str] | None = None) -> list[ActionItem]:
        """Store every proposed action item of an incident (its action entries not yet made into one), with the
        owner, priority and deadline their text states; ``tickets`` are given to them in order."""
        svc = self.incidents
        detail = svc.get(query)
        with svc.store.read() as session:
            used = set(session.exec(select(ActionItemRow.source_entry_id).where(
                ActionItemRow.incident_id == detail.snapshot.id)).all())
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
        with svc.store.read() as session:
            used = set(session.exec(select(ActionItemRow.source_entry_id).where(
                ActionItemRow.incident_id == detail.snapshot.id)).all())
            next_number = int(session.exec(select(func.max(ActionItemRow.number))).one() or 0) + 1
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
        with svc.store.read() as session:
            ids = session.exec(select(Incident.id).where(
                col(Incident.declared_at) >= start, col(Incident.declared_at) < end)).all()
            pages = [rp.PageRecord(p.at, p.responder, p.acknowledged_at, p.false_positive)
                     for p in session.exec(select(Page)).all()]
            shifts = [rp.ShiftRecord(s.responder, s.position, s.starts_at, s.ends_at)
                      for s in session.exec(select(Shift)).all()]
            rows = session.exec(select(ActionItemRow)).all()
            actions = [rp.ActionRecord(a.status, date.fromisoformat(a.deadline) if a.deadline else None, a.done_at,
                                       a.created_at) for a in rows]
            made_from = {a.source_entry_id for a in rows if a.source_entry_id}
            action_entries = session.exec(select(TimelineEntry.id).where(TimelineEntry.kind == "action")).all()
            proposed = sum(1 for entry_id in action_entries if entry_id not in made_from)
        incidents = []
        for incident_id in ids:
            detail = svc.get(incident_id, with_timeline=False)
            incidents.append((detail.snapshot, detail.metrics))
        from cockpit.service.alerts import AlertLog

        pages += AlertLog(svc).page_records()  # real pages from the alert log (#10); sample pages stay for the demo
        report = rp.monthly(period, incidents, pages, shifts, actions, today, proposed=proposed)
        from cockpit.service.signals import Signals

        slo_sections = Signals(svc).report_sections(svc.clock())
        if slo_sections is not None:  # the seed's slo_summary and error_budget, from the latest SLO figures
            body = report["monthly_report"]
            assert isinstance(body, dict)
            body.update(slo_sections)
        return report
