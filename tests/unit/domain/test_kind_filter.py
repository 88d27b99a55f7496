"""The timeline's kind filter (f) can show every kind of entry: a kind it does not offer would vanish from the
timeline as soon as anything is ticked (alert, evidence and command entries once did)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cockpit.domain.incident import ENTRY_KINDS, Entry
from cockpit.tui.panes.timeline import KIND_CHOICES, entry_matches


@pytest.mark.parametrize("kind", ENTRY_KINDS)
def test_every_entry_kind_has_a_filter_choice_that_shows_it(kind: str) -> None:
    entry = Entry("e1", datetime(2026, 12, 1, tzinfo=UTC), kind, "priya", "text")
    showing = [choice for choice, _ in KIND_CHOICES if entry_matches(entry, frozenset({choice}), "")]
    assert len(showing) == 1, (kind, showing)
