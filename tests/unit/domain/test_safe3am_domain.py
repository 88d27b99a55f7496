"""The pure rules behind safe-at-3-AM: when impact began, action hints, handoff acknowledgement, runbook copies,
the clipboard filter, the sample shift."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cockpit.domain.handoff import Handoff, carried_over, check_acknowledge
from cockpit.domain.postmortem import action_hints
from cockpit.domain.runbook import Position, Walk, as_data, choice_text, from_data, plural
from cockpit.domain.when import parse_started
from cockpit.errors import InvalidInput, RuleViolation
from cockpit.service.runbooks import load_runbook
from cockpit.service.sample import shift_clock_times
from cockpit.textsafe import clipboard_text
from tests.conftest import ROOT

NOW = datetime(2026, 11, 22, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("15 min ago", NOW - timedelta(minutes=15)),
    ("15m ago", NOW - timedelta(minutes=15)),
    ("-15m", NOW - timedelta(minutes=15)),
    ("2 hours ago", NOW - timedelta(hours=2)),
    ("90s", NOW - timedelta(seconds=90)),
    ("23:50", datetime(2026, 11, 21, 23, 50, tzinfo=UTC)),  # said at 00:10: last night
    ("00:05", datetime(2026, 11, 22, 0, 5, tzinfo=UTC)),
    ("2026-11-21T14:03Z", datetime(2026, 11, 21, 14, 3, tzinfo=UTC)),
    ("2026-11-21 14:03", datetime(2026, 11, 21, 14, 3, tzinfo=UTC)),
])
def test_when_impact_began(text: str, expected: datetime) -> None:
    assert parse_started(text, NOW) == expected


def test_a_clock_time_is_read_in_the_given_zone() -> None:
    berlin = timezone(timedelta(hours=1))
    assert parse_started("01:05", NOW, berlin) == datetime(2026, 11, 22, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize("text", ["soon", "15", "x ago", "25:00", "15 parsecs ago", ""])
def test_what_is_not_a_time_says_how_to_say_it(text: str) -> None:
    with pytest.raises(InvalidInput, match="15 min ago"):
        parse_started(text, NOW)


@pytest.mark.parametrize(("text", "expected"), [
    ("Add query plan check (owner: chen, P0, due 2026-11-26).", ("chen", "P0", date(2026, 11, 26))),
    ("Review limits before 2026-11-20 (owner: chen, P0).", ("chen", "P0", None)),
    ("Just do it.", ("", "P1", None)),
    ("Broken date (owner: x, P2, due 2026-02-30).", ("x", "P2", None)),
])
def test_action_hints(text: str, expected: tuple[str, str, date | None]) -> None:
    assert action_hints(text) == expected


def handoff(**kwargs: object) -> Handoff:
    base = {"id": "h", "number": 1, "author": "priya", "created_at": NOW, "updated_at": NOW,
            "signed_at": NOW, "recipient": None}
    base.update(kwargs)
    return Handoff(**base)  # type: ignore[arg-type]


def test_who_may_acknowledge_a_handoff() -> None:
    check_acknowledge(handoff(), "alice")
    with pytest.raises(RuleViolation, match="priya wrote H-001; the incoming engineer acknowledges it"):
        check_acknowledge(handoff(), " Priya ")
    with pytest.raises(RuleViolation, match="not signed off yet"):
        check_acknowledge(handoff(signed_at=None), "alice")
    with pytest.raises(RuleViolation, match="H-001 is for sofia: sofia acknowledges it"):
        check_acknowledge(handoff(recipient="sofia"), "alice")
    check_acknowledge(handoff(recipient="sofia"), "SOFIA")


def test_known_risks_carry_over_and_nothing_else() -> None:
    previous = handoff(sections={"known_risks": [{"event": "Black Friday", "watch_for": "p99"}],
                                 "open_issues": [{"issue": "x", "status": "", "next_steps": ""}]})
    sections = carried_over(previous)
    assert sections["known_risks"] == [{"event": "Black Friday", "watch_for": "p99"}]
    assert sections["open_issues"] == [] and carried_over(None)["known_risks"] == []


def test_a_runbook_copy_reads_back_the_same_and_choices_say_where_diagnosis_was_left() -> None:
    book, problems = load_runbook(ROOT / "tests" / "data" / "walk_runbook.yaml")
    assert book is not None, problems
    assert from_data(as_data(book), source=book.source) == book
    assert from_data({"runbook": {"id": "x"}}) is None
    walk = Walk(book, Position("diagnosis", None, 1))
    assert choice_text(walk, 0).endswith("— diagnosis left at step 2/4")
    walk = Walk(book, Position("mitigation", 0, 1))
    assert choice_text(walk, 1).endswith("— instead of 'Rollback' (at step 2/2)")
    assert plural(1, "step") == "1 step" and plural(0, "step") == "0 steps"


def test_the_clipboard_gets_no_control_character() -> None:
    pasted = clipboard_text("a\x1b[201~b\r\nc\td \x07 \x9b1m \u202eevil\u2066")
    assert pasted == "a\\x1b[201~b\nc\td \\x07 \\x9b1m \\u202eevil\\u2066"


def test_the_sample_shift_moves_dates_timestamps_and_seconds() -> None:
    at = datetime(2026, 11, 4, 15, 16, tzinfo=UTC)
    shift = timedelta(days=27, hours=3)
    text = ("due 2026-11-11; notAfter 2027-02-02T13:34:12Z; openssl: Nov  4 14:00:07 2026 GMT; at 07:21:40; "
            "v2.14.3; postmortems/2026-11-04-partners")
    assert shift_clock_times(text, shift, at) == (
        "due 2026-12-08; notAfter 2027-03-01T16:34:12Z; openssl: Dec  1 17:00:07 2026 GMT; at 10:21:40; "
        "v2.14.3; postmortems/2026-12-01-partners")
