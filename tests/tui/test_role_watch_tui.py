"""The role board's watch through Pilot: time held and the handover advice (recorded once), ``t`` sets a check-in
that counts down and turns overdue; the look at 80×24 and 120×40."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.service.role_watch import RoleWatch
from cockpit.store.db import Store
from cockpit.tui.panes.roles import RolesPane
from cockpit.tui.screens.dialogs import TextPrompt
from cockpit.tui.screens.incident import IncidentScreen
from tests.conftest import FakeClock, seeded_rand
from tests.tui.conftest import NOW, settle, steady, wait_until


def seeded(db: Path, with_checkin: bool = False) -> str:
    """An incident whose IC (the cockpit's own responder) took command 65 minutes before NOW."""
    clock = FakeClock(NOW - timedelta(minutes=65))
    svc = IncidentService(Store.open(db), "ic-tester", clock=clock, rand=seeded_rand("role-watch"))
    ref = svc.open_incident("Checkout 500s after deploy", Impact.CORE_DOWN, Scope.GT25, services=["checkout-api"],
                            commander="ic-tester").ref
    clock.advance(minutes=3)
    svc.assign_role(ref, Role.OPS, "kwame")
    if with_checkin:
        clock.now = NOW - timedelta(minutes=2)
        RoleWatch(svc).set_checkin(ref, Role.OPS, 5, "checking the replica lag")
    svc.store.close()
    return ref


def entries(db: Path, ref: str, kind: str) -> list[str]:
    svc = IncidentService(Store.open(db), "reader")
    try:
        return [e.text for e in svc.get(ref).timeline if e.kind == kind]
    finally:
        svc.store.close()


def pane_text(app: Any) -> str:
    panes = app.screen.query(RolesPane)  # none while the screen is still being composed
    return panes.first().render().plain if panes else ""


async def test_fatigue_shown_and_recorded_once(make_app: Any, tmp_path: Path, tui_clock: FakeClock) -> None:
    db = tmp_path / "c.db"
    ref = seeded(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen))
        await wait_until(pilot, lambda: "time to hand over (h)" in pane_text(app))
        text = pane_text(app)
        assert "ic-tester since 18:55 1h05" in text
        assert "⚠ IC 1h05: time to hand over (h)" in text
        assert "kwame since 18:58 1h02" in text
        await wait_until(pilot, lambda: len(entries(db, ref, "fatigue")) == 1)
        tui_clock.advance(minutes=1)
        await settle(pilot, rounds=3)
        app.screen.refresh_role_watch()
        await settle(pilot, rounds=3)
        assert len(entries(db, ref, "fatigue")) == 1  # not on every tick
    # a restart: still once
    again = make_app(db)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "time to hand over (h)" in pane_text(again))
        await settle(pilot, rounds=3)
        assert len(entries(db, ref, "fatigue")) == 1
        tui_clock.advance(hours=2)  # 3h06: the stronger advice
        await wait_until(pilot, lambda: "IC past 3h" in pane_text(again))
        await wait_until(pilot, lambda: len(entries(db, ref, "fatigue")) == 2)
        assert "‼ IC past 3h: hand over now (h)" in pane_text(again)
        assert entries(db, ref, "fatigue")[1].startswith("Handover overdue: ic-tester has been Incident Commander "
                                                         "for 3h06, past the three-hour limit")


async def test_t_sets_a_checkin_that_counts_down_and_turns_overdue(make_app: Any, tmp_path: Path,
                                                                    tui_clock: FakeClock) -> None:
    db = tmp_path / "c.db"
    ref = seeded(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen))
        await settle(pilot)
        await pilot.press("2", "down", "down")  # Ops
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("escape")  # cancelled: nothing written
        await settle(pilot)
        assert entries(db, ref, "checkin") == []
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"five", "enter")  # not minutes: refused, nothing written
        await settle(pilot)
        assert entries(db, ref, "checkin") == [] and not isinstance(app.screen, TextPrompt)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("5", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPrompt) and "back to you in 5 minutes"
                         in app.screen.prompt_title)
        await pilot.press(*"lag [b]x", "enter")
        await wait_until(pilot, lambda: len(entries(db, ref, "checkin")) == 1)
        assert entries(db, ref, "checkin") == [
            "Check-in set: Operations Lead, back to you in 5 minutes: lag [b]x"]
        await wait_until(pilot, lambda: "◷ Ops back in 05:00: lag [b]x" in pane_text(app))
        tui_clock.advance(minutes=2, seconds=30)
        await wait_until(pilot, lambda: "◷ Ops back in 02:30" in pane_text(app))
        tui_clock.advance(minutes=3)
        await wait_until(pilot, lambda: "◷ Ops OVERDUE 00:30" in pane_text(app))
        await wait_until(pilot, lambda: len(entries(db, ref, "checkin")) == 2)
        assert entries(db, ref, "checkin")[1] == ("Check-in overdue: Operations Lead was due back at 20:05:00Z "
                                                  "(set at 20:00:00Z)")
        tui_clock.advance(seconds=5)
        app.screen.refresh_role_watch()
        await settle(pilot, rounds=3)
        assert len(entries(db, ref, "checkin")) == 2  # once


async def _roles_with_watch(pilot: Any) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, IncidentScreen))
    await wait_until(pilot, lambda: "◷ Ops" in pane_text(pilot.app) and "hand over" in pane_text(pilot.app))
    await pilot.press("2", "down", "down")
    await settle(pilot)
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await steady(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_roles_pane_look(snap_compare: Any, make_app: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    db = tmp_path / "c.db"
    seeded(db, with_checkin=True)
    app = make_app(db, poll_interval=60)
    assert snap_compare(app, terminal_size=size, run_before=_roles_with_watch)


def test_the_kind_filter_offers_check_ins_and_counts_fatigue_as_the_cockpit_s() -> None:
    from cockpit.domain.incident import Entry
    from cockpit.tui.panes.timeline import KIND_CHOICES, entry_matches

    checkin = Entry(id="1", at=NOW, kind="checkin", author="a", text="Check-in set: ...")
    fatigue = Entry(id="2", at=NOW, kind="fatigue", author="a", text="Handover suggested: ...")
    assert ("checkin", "role check-ins") in KIND_CHOICES
    assert entry_matches(checkin, frozenset({"checkin"}), "")
    assert not entry_matches(checkin, frozenset({"system"}), "")
    assert entry_matches(fatigue, frozenset({"system"}), "")


async def test_a_read_only_cockpit_shows_the_advice_and_writes_nothing(make_app: Any, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = seeded(db)
    app = make_app(db, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "time to hand over (h)" in pane_text(app))
        app.screen.refresh_role_watch()
        await settle(pilot, rounds=3)
    assert entries(db, ref, "fatigue") == []
