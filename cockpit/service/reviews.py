"""The weekly SRE review and the complete monthly reliability report, from the store (and the catalog).

The monthly report's ``highlights``, ``concerns`` and ``next_month_priorities`` are written by people and kept in
the store (``StoreMeta``, key ``monthly_notes/YYYY-MM``, JSON), so they survive regeneration."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import col, select

from cockpit.domain import report as rp
from cockpit.domain import weekly as wk
from cockpit.domain.discipline import orphan_gaps
from cockpit.errors import InvalidInput
from cockpit.service.aftercare import Aftercare
from cockpit.service.alert_figures import alert_figures
from cockpit.service.catalog import CatalogService
from cockpit.store.models import ActionItemRow, Incident, Page, Shift, StoreMeta
from cockpit.textsafe import control_characters, is_number_text

NOTE_SECTIONS = ("highlights", "concerns", "next_month_priorities")
MAX_NOTE = 500
MAX_NOTES = 50


class Reviews:
    def __init__(self, catalog: CatalogService) -> None:
        self.catalog = catalog
        self.incidents = catalog.incidents

    def _records(self) -> tuple[list[rp.PageRecord], list[rp.ShiftRecord], list[wk.ActionView]]:
        with self.incidents.store.read() as session:
            pages = [rp.PageRecord(p.at, p.responder, p.acknowledged_at, p.false_positive)
                     for p in session.exec(select(Page)).all()]
            shifts = [rp.ShiftRecord(s.responder, s.position, s.starts_at, s.ends_at)
                      for s in session.exec(select(Shift)).all()]
            rows = session.exec(select(ActionItemRow, Incident.ref_key).join(
                Incident, col(ActionItemRow.incident_id) == col(Incident.id), isouter=True)
                .order_by(col(ActionItemRow.number))).all()
            actions = [wk.ActionView(f"AI-{a.number:03d}", a.description, a.owner,
                                     date.fromisoformat(a.deadline) if a.deadline else None, a.ticket, a.status,
                                     a.type, f"INC-{key}" if key else "", a.done_at) for a, key in rows]
        return pages, shifts, actions

    def _incidents(self) -> list[wk.IncidentView]:
        states = {d.ref: d.state for d in self.catalog.postmortems()}
        out = []
        for summary in self.incidents.list_incidents(include_closed=True):
            detail = self.incidents.get(summary.id, with_timeline=False)
            out.append(wk.IncidentView(detail.snapshot, detail.metrics, states.get(summary.ref)))
        return out

    def _slo_status(self) -> list[dict[str, Any]]:
        from cockpit.service.signals import Signals

        rows = []
        for reading in Signals(self.incidents).readings():
            ev = reading.evaluation
            if ev is None:
                continue
            rows.append({"service": reading.service, "slo": ev.name,
                         "remaining_pct": None if ev.remaining is None else round(ev.remaining * 100, 1),
                         "state": ev.state, "firing": list(ev.firing)})
        return rows

    def weekly(self, label: str, today: date) -> dict[str, Any]:
        start, end = wk.week_window(label)
        pages, shifts, actions = self._records()
        figures = alert_figures(self.incidents, None, start, end)
        return wk.weekly(label, self._incidents(), self._slo_status(), actions, pages, shifts, today,
                         alert_pages_per_week=figures.pages_per_week if figures else None)

    # --- the monthly report, complete ------------------------------------------------------------------
    def notes(self, period: str) -> dict[str, list[str]]:
        rp.month_window(period)
        with self.incidents.store.read() as session:
            row = session.get(StoreMeta, f"monthly_notes/{period}")
        data: dict[str, Any] = {}
        if row is not None:
            try:
                loaded = json.loads(row.value)
                data = loaded if isinstance(loaded, dict) else {}
            except (ValueError, RecursionError):
                data = {}
        return {k: [str(x) for x in data.get(k, []) if isinstance(x, str)] for k in NOTE_SECTIONS}

    def edit_notes(self, period: str, *, highlights: Sequence[str] = (), concerns: Sequence[str] = (),
                   priorities: Sequence[str] = (), removals: Sequence[str] = ()) -> dict[str, list[str]]:
        notes = self.notes(period)
        for spec in removals:
            section, _, number = spec.partition(":")
            section = section.strip()
            if section not in NOTE_SECTIONS or not is_number_text(number.strip()) or len(number.strip()) > 4:
                raise InvalidInput(f"'{spec[:40]}' does not name an item to remove: use SECTION:N with SECTION one of "
                                   f"{', '.join(NOTE_SECTIONS)}, e.g. concerns:2.")
            index = int(number.strip()) - 1
            if not 0 <= index < len(notes[section]):
                raise InvalidInput(f"{section} of {period} has {len(notes[section])} item(s); there is no item "
                                   f"{index + 1}.")
            notes[section].pop(index)
        for section, added in zip(NOTE_SECTIONS, (highlights, concerns, priorities), strict=True):
            for text in added:
                clean = " ".join(text.split())
                if not clean:
                    raise InvalidInput(f"An empty text cannot be kept as one of the {section}.")
                if found := control_characters(clean):
                    raise InvalidInput(f"The text contains a control character ({found}); type it as plain text.")
                if len(clean) > MAX_NOTE:
                    raise InvalidInput(f"Keep each item under {MAX_NOTE} characters (this one has {len(clean)}).")
                notes[section].append(clean)
            if len(notes[section]) > MAX_NOTES:
                raise InvalidInput(f"At most {MAX_NOTES} {section} per month.")
        with self.incidents.store.write() as session:
            key = f"monthly_notes/{period}"
            row = session.get(StoreMeta, key) or StoreMeta(key=key, value="{}")
            row.value = json.dumps(notes, ensure_ascii=False)
            session.add(row)
        return notes

    def monthly(self, period: str, today: date) -> dict[str, Any]:
        report = Aftercare(self.incidents).monthly_report(period, today)
        body = report["monthly_report"]
        assert isinstance(body, dict)
        start, end = rp.month_window(period)
        dues = self.catalog.postmortems()
        refs_in_month = {s.ref for s in self.incidents.list_incidents(include_closed=True)
                         if start <= s.declared_at < end}
        mine = [d for d in dues if d.ref in refs_in_month]
        body["postmortems"] = {"required": len(mine), "written": sum(1 for d in mine if d.state == "written"),
                               "missing": [d.ref for d in mine if d.state == "missing"]}
        _, _, actions = self._records()
        body["action_items"]["orphans"] = [a.key for a in actions if a.status != "done"
                                           and orphan_gaps(a.owner, a.deadline, a.ticket)]
        body["toil"] = {"hours_spent": None, "hours_automated_away": None, "pct_of_sre_time": None,
                        "why": "the cockpit holds no toil inventory"}
        if "slo_summary" not in body:
            body["slo_summary"] = None
            body["error_budget"] = None
        figures = alert_figures(self.incidents, None, start, end)
        body["on_call"]["alert_pages_per_week"] = figures.pages_per_week if figures else None
        body.update(self.notes(period))
        return report
