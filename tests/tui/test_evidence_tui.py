"""Evidence folded in the timeline, the local-only mark, and ctrl+l in the entry line, driven with Pilot; and how a
timeline with both looks at 80×24 and 120×40 (where the selected entry's pane says it stays local)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cockpit.domain.evidence import EvidenceReader
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.store.models import OutboxOp
from cockpit.tui.panes.timeline import TimelineView
from cockpit.tui.screens.dialogs import EntryDetail
from cockpit.tui.screens.incident import IncidentScreen
from tests.tui.conftest import settle, steady, wait_until

EVENTS = ("LAST SEEN   TYPE      REASON     OBJECT\n"
          "2m          Warning   BackOff    pod/checkout-7d9f\n"
          "\x1b[31m90s         Warning   Unhealthy  pod/checkout-7d9f\x1b[0m\n"
          "60s         Normal    Pulled     pod/checkout-7d9f\n"
          "30s         Warning   Failed     [bold]pod/checkout-8a1c[/]\n")


def incident_with_evidence(db: Path, clock: Any) -> tuple[IncidentService, str]:
    svc = IncidentService(Store.open(db), "priya", clock=clock, rand=random.Random(20).randbytes)  # fixed ids: the ref
    ref = svc.open_incident("Checkout pods crash-looping", Impact.DEGRADED, Scope.LT25, commander="priya").ref
    reader = EvidenceReader()
    reader.feed(EVENTS.encode())
    svc.add_evidence(ref, reader.finish("Standard input"))
    svc.add_entry(ref, "Customer ACME-4411 is on the bridge", local_only=True)
    svc.add_entry(ref, "Rolling back checkout to v41", "action")
    return svc, ref


def screen_lines(view: TimelineView) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


async def test_evidence_is_folded_and_enter_reads_it_whole(make_app, tmp_path: Path, tui_clock) -> None:
    db = tmp_path / "c.db"
    incident_with_evidence(db, tui_clock)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen))
        await settle(pilot)
        view = app.screen.query_one(TimelineView)
        await wait_until(pilot, lambda: len(view.entries) == 5)
        lines = screen_lines(view)
        at = next(i for i, line in enumerate(lines) if "evidence" in line)
        assert "LAST SEEN   TYPE      REASON" in lines[at]
        indent = " " * 31  # the text's column at this width: time, UTC time, kind, author
        assert lines[at + 1].startswith(indent + "2m          Warning   BackOff    pod/")
        assert lines[at + 2].startswith(indent + "90s         Warning   Unhealthy  pod/")  # colour taken out
        assert lines[at + 3].startswith(indent + "… 2 more lines (Enter reads it whole)")
        assert "⌂ Customer ACME-4411 is on the bridge" in lines[at + 4]
        assert "\x1b" not in "".join(lines)
        # the cursor stops on entries, never on a folded line: up from the local note lands on the evidence
        await pilot.press("up", "up")
        assert view.selected is not None and view.selected.kind == "evidence"
        await pilot.press("down")
        assert view.selected is not None and view.selected.local_only
        await pilot.press("up", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryDetail)
        shown = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "[bold]pod/checkout-8a1c[/]" in shown and "60s         Normal    Pulled" in shown
        assert "SHA-256 of the input: " in shown
        await pilot.press("escape")
        await pilot.press("down", "enter")
        await settle(pilot)
        detail = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "⌂ local only: never sent to a tracker" in detail


async def test_ctrl_l_marks_the_entry_local_only_and_nothing_is_queued(make_app, tmp_path: Path, tui_clock) -> None:
    db = tmp_path / "c.db"
    svc, _ = incident_with_evidence(db, tui_clock)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen))
        await settle(pilot)
        await pilot.press("e", "ctrl+l")
        mark = app.screen.query_one("#entry-mark")
        assert str(mark.render()) == "⌂"
        assert "LOCAL ONLY: never sent to a tracker" in app.screen.query_one("#entry").placeholder
        await pilot.press(*"Bridge number 555-0100")
        await pilot.press("enter")
        view = app.screen.query_one(TimelineView)
        await wait_until(pilot, lambda: view.entries[-1].text == "Bridge number 555-0100")
        assert view.entries[-1].local_only
        await wait_until(pilot, lambda: str(mark.render()) == "›")  # the next entry is shared again
        await pilot.press(*"Shared again")
        await pilot.press("enter")
        await wait_until(pilot, lambda: view.entries[-1].text == "Shared again")
    with svc.store.read() as session:
        queued = [op.payload.get("text") for op in session.exec(select(OutboxOp)) if op.op == "add_entry"]
    assert "Shared again" in queued
    assert "Bridge number 555-0100" not in queued and "Customer ACME-4411 is on the bridge" not in queued


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_a_folded_evidence_entry_and_a_local_mark(snap_compare: Any, make_app: Any, tmp_path: Path, tui_clock: Any,
                                                  size: tuple[int, int]) -> None:
    db = tmp_path / "c.db"
    incident_with_evidence(db, tui_clock)
    app = make_app(db, poll_interval=60)

    async def ready(pilot: Any) -> None:
        from cockpit.tui.panes.budget import ErrorBudgetPane

        def loaded() -> bool:
            screen = pilot.app.screen
            views = screen.query(TimelineView) if isinstance(screen, IncidentScreen) else []
            return bool(views) and len(views[0].entries) == 5 and all(p.loaded for p in screen.query(ErrorBudgetPane))

        await wait_until(pilot, loaded)
        await pilot.press("up")  # onto the local-only note: the folded evidence above it
        await settle(pilot)
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)
