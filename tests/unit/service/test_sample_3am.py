"""#13.11: the demo's sample data reads true after it is shifted to today: dates and clock times written inside
entry texts move with the timestamps, proposed action items carry the priority their text states, and the
monthly report counts the action items the data set has."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from cockpit.service.aftercare import Aftercare
from cockpit.service.incidents import IncidentService
from cockpit.service.sample import SAMPLE_DIR, latest_time, load_sample_data
from cockpit.store.db import Store

LATER = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a demo started months after the data set was written


def shifted(tmp_path) -> tuple[IncidentService, timedelta]:
    store = Store.open(tmp_path / "s.db")
    load_sample_data(store, now=LATER)
    shift = LATER - timedelta(minutes=2) - latest_time(SAMPLE_DIR)
    return IncidentService(store, "reader", clock=lambda: LATER), timedelta(minutes=int(shift.total_seconds() // 60))


def test_dates_and_seconds_inside_texts_move_with_the_timeline(tmp_path) -> None:
    svc, shift = shifted(tmp_path)
    for summary in svc.list_incidents(include_closed=True):
        detail = svc.get(summary.ref)
        declared = detail.snapshot.declared_at.date()
        for entry in detail.timeline:
            for due in re.findall(r"due (\d{4}-\d{2}-\d{2})", entry.text):
                assert date.fromisoformat(due) >= declared, (summary.title, entry.text)  # never due before it began
            for clock in re.findall(r"\b(\d{2}:\d{2}:\d{2})\b", entry.text):
                when = datetime.combine(entry.at.date(), datetime.strptime(clock, "%H:%M:%S").time(), UTC)
                gap = min(abs(when - entry.at), abs(when + timedelta(days=1) - entry.at),
                          abs(when - timedelta(days=1) - entry.at))
                assert gap < timedelta(hours=1), (entry.at, entry.text)  # "07:21:40" was shifted too
    assert shift > timedelta(days=90)


def test_proposed_action_items_carry_what_their_text_states_and_the_report_counts_them(tmp_path) -> None:
    svc, _ = shifted(tmp_path)
    care = Aftercare(svc)
    live = svc.list_incidents()[0]
    draft = care.postmortem(live.ref)
    proposed = [a for a in draft.action_items if a.proposed]
    assert proposed
    for item in proposed:
        stated = re.search(r"\b(P[012])\b", item.description)
        assert stated and item.priority == stated.group(1), (item.key, item.priority, item.description)
        assert item.owner and item.owner in item.description
    report = care.monthly_report(f"{LATER:%Y-%m}", LATER.date())["monthly_report"]["action_items"]
    assert report["proposed"] >= len(proposed)
    assert report["open"] > 0  # the resolved incidents' accepted items are real, open work
