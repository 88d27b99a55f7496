"""The cockpit screen driven with Pilot: every interaction of the issue, checked on screen and in the database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.domain.severity import Impact, Scope, Severity
from cockpit.service.incidents import IncidentService
from cockpit.store.db import Store
from cockpit.tui.panes.roles import RolesPane
from cockpit.tui.panes.severity import SeverityPane
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.panes.timeline import TimelineView
from cockpit.tui.screens.comms import CommsScreen
from cockpit.tui.screens.declare import DeclareScreen
from cockpit.tui.screens.dialogs import Confirm, TextPrompt
from cockpit.tui.screens.help import HelpScreen
from cockpit.tui.screens.incident import IncidentScreen, parse_entry_line
from cockpit.tui.screens.incidents import IncidentListScreen
from tests.conftest import run_cli
from tests.tui.conftest import confirm, settle, wait_until

SIZE = (120, 40)


def reader(db: Path) -> IncidentService:
    return IncidentService(Store.open(db), "reader")


def live_ref(db: Path) -> str:
    return reader(db).list_incidents()[0].ref


def status_text(app) -> str:
    return app.screen.query_one(StatusLine).render().plain


async def test_lands_on_the_most_recently_active_open_incident(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen)
        expected = reader(sample_db).list_incidents()[0]
        assert app.screen.incident_id == expected.id
        text = status_text(app)
        assert expected.ref in text and "SEV1" in text and "MITIGATE" in text and "local only" in text
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, IncidentListScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 6
        first_row = [str(c) for c in table.get_row_at(0)]
        assert first_row[0] == expected.ref  # open and most recently active first


async def test_with_no_open_incident_lands_on_the_list(make_app, tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    Store.open(db).close()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, IncidentListScreen)
        assert "No incidents yet" in str(app.screen.query_one("#list-empty").render())


def test_entry_prefixes() -> None:
    assert parse_entry_line("/d Roll back now") == ("decision", "Roll back now")
    assert parse_entry_line("/a Add an index check") == ("action", "Add an index check")
    assert parse_entry_line("/s Errors falling") == ("status", "Errors falling")
    assert parse_entry_line("plain words") == ("note", "plain words")
    assert parse_entry_line("/usr/bin/env is fine") == ("note", "/usr/bin/env is fine")


async def test_add_entries_with_prefixes(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")  # the entry line keeps focus after Enter: several entries in a row
        for line in ("/d Keep the pool at 160", "/a Add query plan check", "just a note"):
            await pilot.press(*line)
            await pilot.press("enter")
            await settle(pilot)
        view = app.screen.query_one(TimelineView)
        await wait_until(pilot, lambda: view.entries[-1].text == "just a note")
        assert [(e.kind, e.author) for e in view.entries[-3:]] == [
            ("decision", "ic-tester"), ("action", "ic-tester"), ("note", "ic-tester")]
        assert view.selected is view.entries[-1]  # newest visible
        await pilot.press("/", "q", " ", "x", "enter")
        await settle(pilot)
        assert any("not a prefix" in n.message for n in app._notifications)
    timeline = reader(sample_db).get(live_ref(sample_db)).timeline
    assert [e.text for e in timeline[-3:]] == ["Keep the pool at 160", "Add query plan check", "just a note"]


async def test_filter_by_kind_and_search(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.query_one(TimelineView)
        total = len(view.entries)
        await pilot.press("f", "space", "enter")  # the first kind ticked: status updates
        await settle(pilot)
        assert view.shown and all(view.entries[i].kind == "status" for i in view.shown)
        assert "kind=status" in str(app.screen.query_one("#timeline-pane").border_subtitle)
        await pilot.press("escape")
        assert len(view.shown) == total
        await pilot.press("slash")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"pgbouncer", "enter")
        await settle(pilot)
        assert 0 < len(view.shown) < total
        assert all("pgbouncer" in view.entries[i].text.lower() for i in view.shown)


async def test_assign_release_and_hand_over_ic(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        roles = app.screen.query_one(RolesPane)
        assert roles.has_focus
        await pilot.press("down", "down", "down", "down")  # Scribe
        assert roles.role is Role.SCRIBE
        await pilot.press("a")
        await pilot.press(*"lena", "enter")
        await settle(pilot)
        assert "lena" in roles.render().plain
        await pilot.press("r")
        assert isinstance(app.screen, Confirm)  # releasing writes to the timeline: it asks first
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: "empty" in roles.render().plain.splitlines()[4])
        # hand over IC: the incoming IC must confirm; a "no" changes nothing
        await pilot.press("h")
        await pilot.press(*"marcus", "enter")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert reader(sample_db).get(live_ref(sample_db)).snapshot.commander == "priya"
        await pilot.press("h")
        await pilot.press(*"marcus", "enter")
        await pilot.press("y")
        await settle(pilot)
    detail = reader(sample_db).get(live_ref(sample_db))
    assert detail.snapshot.commander == "marcus"
    handover = [e for e in detail.timeline if e.kind == "handover"][-1]
    assert handover.text == "Incident Commander handed over: priya → marcus" and handover.author == "ic-tester"
    assert [e.text for e in detail.timeline if e.kind == "role"][-2:] == [
        "lena is now Scribe", "lena released as Scribe"]


async def test_raise_severity_through_the_matrix_and_override(make_app, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    svc = IncidentService(Store.open(db), "alice")
    ref = svc.open_incident("Search slow", Impact.DEGRADED, Scope.LT25, commander="alice").ref  # SEV3
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        pane = app.screen.query_one(SeverityPane)
        await pilot.press("right", "right")  # degraded × all users
        assert "Enter applies: SEV1" in pane.render().plain
        await pilot.press("R")  # revenue trigger on
        assert pane.triggers.revenue
        await pilot.press("enter")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        await wait_until(pilot, lambda: "SEV1" in status_text(app))
        await pilot.press("equals_sign")
        await pilot.press("2", "enter")
        await pilot.press(*"Customer agreed SLA credit", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "SEV2" in status_text(app))
    detail = reader(db).get(ref)
    assert detail.snapshot.severity is Severity.SEV2 and detail.snapshot.severity_overridden
    severity_entries = [e.text for e in detail.timeline if e.kind == "severity"]
    assert severity_entries[0].startswith("Severity SEV3 → SEV1: SEV1 because: degraded performance × all users")
    assert "set manually by ic-tester: Customer agreed SLA credit" in severity_entries[1]


async def test_phase_advance_and_step_back(make_app, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = IncidentService(Store.open(db), "a").open_incident("X", Impact.CORE_DOWN, Scope.ALL, commander="a").ref
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await confirm(pilot, "right_square_bracket")
        await settle(pilot)
        await wait_until(pilot, lambda: "TRIAGE" in status_text(app))
        await confirm(pilot, "right_square_bracket")
        await settle(pilot)
        await wait_until(pilot, lambda: "RESPOND" in status_text(app))
        await pilot.press("left_square_bracket")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
    detail = reader(db).get(ref)
    assert detail.snapshot.phase is Phase.TRIAGE
    assert [e.text for e in detail.timeline if e.kind == "phase"] == [
        "Phase DETECT → TRIAGE", "Phase TRIAGE → RESPOND", "Phase back RESPOND → TRIAGE (relapse)"]


async def test_status_update_restarts_the_countdown(make_app, tmp_path: Path, tui_clock) -> None:
    db = tmp_path / "c.db"
    IncidentService(Store.open(db), "a", clock=tui_clock).open_incident(
        "Payments down", Impact.CORE_DOWN, Scope.ALL, commander="a")  # SEV1: every 15 minutes
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tui_clock.advance(minutes=17, seconds=5)
        await wait_until(pilot, lambda: "OVERDUE by 02:05" in status_text(app))
        await pilot.press("s")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"Rolled back; errors falling", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "next update in 15:00" in status_text(app))
        assert app.screen.query_one(TimelineView).entries[-1].kind == "status"


async def test_comms_screen_copies_and_logs(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CommsScreen)
        text = str(app.screen.query_one("#comms-text").render())
        assert text.startswith("🔴 INCIDENT: Checkout API returning 500s")
        await pilot.press("2")
        assert "Monitoring a fix" in str(app.screen.query_one("#comms-text").render())
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard.startswith("checkout-api, orders-db - Monitoring a fix")
        while not isinstance(app.screen, CommsScreen):
            await pilot.press("escape")
        await confirm(pilot, "enter")  # recorded as sent: a separate, confirmed step
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    last = reader(sample_db).get(live_ref(sample_db)).timeline[-1]
    assert last.kind == "comms" and last.text.startswith("Comms sent: Customer-facing status")


async def test_declare_form_previews_and_opens(make_app, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    Store.open(db).close()
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, DeclareScreen)
        await pilot.press(*"Checkout errors")
        app.screen.query_one("#services", Input).value = "checkout-api, orders-db"
        app.screen.query_one("#trigger-data_loss").value = True
        await settle(pilot)
        preview = str(app.screen.query_one("#preview").render())
        assert "SEV1" in preview and "data loss" in preview
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=3)
        assert isinstance(app.screen, IncidentScreen)
    summary = reader(db).list_incidents()[0]
    detail = reader(db).get(summary.ref)
    assert detail.snapshot.title == "Checkout errors" and detail.snapshot.phase is Phase.DETECT
    assert detail.snapshot.severity is Severity.SEV1 and detail.snapshot.commander == "ic-tester"
    assert detail.snapshot.services == ("checkout-api", "orders-db")


async def test_help_lists_binding_ids_and_keymap_remaps(make_app, sample_db: Path) -> None:
    app = make_app(sample_db, keymap={"main.status_update": "u"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = [row[2] for row in app.screen.rows]
        keys = dict((row[2], row[0]) for row in app.screen.rows)
        for binding_id in ("main.status_update", "main.handover", "severity.apply", "timeline.open", "app.quit"):
            assert binding_id in ids
        assert keys["main.status_update"] == "u"  # the remapped key is what help shows
        assert "main.status_update" in app.export_screenshot()
        await pilot.press("escape")
        await pilot.press("u")
        assert isinstance(app.screen, TextPrompt) and "Status update" in app.screen.prompt_title
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Status" in titles and "Comms" in titles and "Phase+" in titles


async def test_changes_from_another_process_appear_within_two_seconds(make_app, sample_db: Path) -> None:
    app = make_app(sample_db, poll_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ref = live_ref(sample_db)
        result = run_cli("note", ref, "Scribe here: written from the CLI", db=sample_db)
        assert result.returncode == 0, result.stderr
        view = app.screen.query_one(TimelineView)
        await wait_until(pilot, lambda: view.entries[-1].text == "Scribe here: written from the CLI", timeout=2.0)
        result = run_cli("role", "assign", ref, "scribe", "sofia", db=sample_db)
        assert result.returncode == 0, result.stderr
        roles = app.screen.query_one(RolesPane)
        await wait_until(pilot, lambda: "sofia since" in roles.render().plain.splitlines()[4], timeout=2.0)


async def test_hostile_text_renders_literally(make_app, tmp_path: Path, tui_clock) -> None:
    db = tmp_path / "c.db"
    svc = IncidentService(Store.open(db), "a", clock=tui_clock)
    ref = svc.open_incident("[bold red]Evil[/] \x1b[2J title", Impact.CORE_DOWN, Scope.ALL, commander="[b]x").ref
    texts = [
        "[bold]not bold[/] and [/] and [link=http://x]link[/link]",
        "\x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x1b[2J\x1b[H cleared?",
        "مرحبا بالعالم — שלום \u202eevil\u202c 🚨🔥👩‍🚒 混合",
        "A" * 1_000_000,
    ]
    for text in texts:
        svc.add_entry(ref, text)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(TimelineView)
        width = view.scrollable_content_region.width
        lines = [view.render_line(y) for y in range(view.scrollable_content_region.height)]
        plain = [strip.text for strip in lines]
        assert all(strip.cell_length == width for strip in lines)  # nothing spills or wraps
        joined = "\n".join(plain)
        assert "[bold]not bold[/]" in joined
        assert "\\x1b[31mred" in joined and "\x1b" not in joined and "\x07" not in joined
        assert "\\u202eevil" in joined and "🚨" in joined and "مرحبا" in joined
        assert "AAAA" in joined
        status = status_text(app)
        assert "[bold red]Evil[" in status and "\x1b" not in status
        assert "[b]x" in app.screen.query_one(RolesPane).render().plain
        await pilot.press("enter")  # read the 1 MB entry in full: still literal, still one screen
        await settle(pilot)
        assert type(app.screen).__name__ == "EntryDetail"
        await pilot.press("escape")
        await pilot.press("up", "enter")
        await settle(pilot)
        assert "\\u202eevil" in str(app.screen.query("Static")[1].render())


@pytest.mark.slow  # 100,000 entries written and read: seconds, not milliseconds
async def test_a_huge_timeline_scrolls(make_app, tmp_path: Path) -> None:
    from benchmarks.common import fill_timeline

    db = tmp_path / "huge.db"
    svc = IncidentService(Store.open(db), "a")
    snap = svc.open_incident("Long", Impact.CORE_DOWN, Scope.ALL, commander="a")
    fill_timeline(db, snap.id, 100_000)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        # the incident screen is pushed first and composed a moment later: wait for its timeline to exist
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen)
                         and bool(app.screen.query(TimelineView)), timeout=10)
        view = app.screen.query_one(TimelineView)
        await wait_until(pilot, lambda: len(view.entries) == 100_002, timeout=20)  # declared + IC + 100,000
        # the view scrolls to the newest entry after its next refresh: on a loaded machine that is a moment later
        await wait_until(pilot, lambda: view.scroll_offset.y > 99_000, timeout=10)
        assert view.selected is view.entries[-1]
        await pilot.press("home")
        assert view.selected is view.entries[0] and view.scroll_offset.y == 0  # with its date row above it
        await pilot.press("pagedown", "pagedown", "down")
        assert view.cursor > 30
        await pilot.press("end")
        assert view.selected is view.entries[-1]
        assert view.render_line(view.scrollable_content_region.height - 1).text.find("Entry 99999") > 0


async def test_bad_theme_file_is_reported_and_skipped(make_app, sample_db: Path, tmp_path: Path) -> None:
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "broken.yaml").write_text("name: broken\nprimary: not-a-colour\n")
    (themes / "tabs.yaml").write_text("name: tabs\n\tprimary: red\n")
    (themes / "good.yaml").write_text("name: mine\nprimary: '#123456'\nvariables:\n  sev1: '#ff00ff'\n")
    app = make_app(sample_db, theme="mine", theme_dirs=[Path("themes"), themes])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "mine"
        assert {"cockpit-dark", "cockpit-light", "cockpit-high-contrast", "mine"} <= set(app.available_themes)
        messages = " ".join(n.message for n in app._notifications)
        assert "broken.yaml:2:10: primary: 'not-a-colour' is not a colour" in messages
        assert "tabs.yaml:2:1" in messages


async def test_no_color_is_honoured_and_severity_still_reads(make_app, sample_db: Path, monkeypatch) -> None:
    colour = "#d7263d"  # the dark theme's SEV1 background
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert colour in app.export_screenshot().lower()
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        svg = app.export_screenshot().lower()
        assert app.no_color and colour not in svg
        assert "SEV1" in status_text(app)  # the text carries the severity, never colour alone


def test_keymap_and_theme_come_from_the_config_file(tmp_path: Path) -> None:
    from cockpit.config import load_config

    path = tmp_path / "config.yaml"
    path.write_text("responder: {name: dana}\ntheme: cockpit-high-contrast\nkeymap:\n  main.status_update: u\n")
    config = load_config(path)
    assert config.keymap == {"main.status_update": "u"} and config.theme == "cockpit-high-contrast"


async def test_switch_incident_from_the_list(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.screen.incident_id
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentScreen) and app.screen.incident_id != first
        second = reader(sample_db).list_incidents()[1]
        await wait_until(pilot, lambda: second.ref in status_text(app))
        assert len(app.screen_stack) == 3  # default screen, the list, one incident: switching never piles up


async def test_command_palette_runs_cockpit_actions(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Comms")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CommsScreen)


async def test_notifications_quote_names_literally(make_app, sample_db: Path) -> None:
    app = make_app(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "down", "down", "down", "down", "a")
        await pilot.press(*"[/bold]evil[red]x", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: any("evil" in n.message for n in app._notifications))
        note = next(n for n in app._notifications if "evil" in n.message)
        assert note.message == "[/bold]evil[red]x is now Scribe" and note.markup is False
        assert isinstance(app.screen, IncidentScreen)  # no markup error, no crash


async def test_status_line_shows_the_sync_state(make_app, sample_db: Path, monkeypatch, tmp_path: Path) -> None:
    from cockpit.sync.settings import add_tracker

    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", "alice:pw")
    add_tracker("team", "roundup", "http://127.0.0.1:9/cockpit/")  # nothing listens there: the network is down
    app = make_app(sample_db, sync_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: "tracker unreachable" in status_text(app), timeout=10)
        assert "queued" in status_text(app)
        await pilot.press("e", *"written while offline", "enter")  # local writes go on regardless
        await settle(pilot)
        view = app.screen.query_one(TimelineView)
        await wait_until(pilot, lambda: view.entries[-1].text == "written while offline")


async def test_a_demo_never_syncs_even_with_a_tracker_configured(make_app, sample_db: Path, monkeypatch,
                                                                 tmp_path: Path) -> None:
    from cockpit.sync.settings import add_tracker

    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", "alice:pw")
    add_tracker("team", "roundup", "http://127.0.0.1:9/cockpit/")
    app = make_app(sample_db, sync_interval=0, sync_state="demo: no sync")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(1.5)  # several polls: none may touch the tracker or its status
        await settle(pilot)
        assert "demo: no sync" in status_text(app) and "unreachable" not in status_text(app)
    with Store.open(sample_db).engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sync_state").scalar() == 0


async def test_background_sync_keeps_one_breaker_and_stops_hammering_a_dead_tracker(
        make_app, sample_db: Path, monkeypatch, tmp_path: Path) -> None:
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    accepted: list[int] = []

    def refuse_politely() -> None:  # accepts, then hangs up at once: every request fails
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=refuse_politely, daemon=True).start()
    from cockpit.sync.settings import add_tracker

    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", "alice:pw")
    add_tracker("team", "roundup", f"http://127.0.0.1:{listener.getsockname()[1]}/cockpit/")
    app = make_app(sample_db, sync_interval=0.2)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await wait_until(pilot, lambda: "tracker unreachable" in status_text(app), timeout=10)
            await pilot.pause(3.0)  # some fifteen rounds: the open breaker lets none of them through
            assert 5 <= len(accepted) <= 7, len(accepted)
    finally:
        listener.close()


async def test_at_80_columns_the_queued_count_stays_visible_while_offline(make_app, sample_db: Path, monkeypatch,
                                                                          tmp_path: Path) -> None:
    from cockpit.sync.settings import add_tracker

    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.setenv("COCKPIT_TRACKER_TOKEN_TEAM", "alice:pw")
    add_tracker("team", "roundup", "http://127.0.0.1:9/cockpit/")
    app = make_app(sample_db, sync_interval=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: "offline" in status_text(app), timeout=10)
        line = status_text(app)
        assert re.search(r"offline, \d+ queued$", line.rstrip()), line
        assert len(line.rstrip()) <= 80


async def test_at_80_columns_a_long_sync_state_pushes_out_the_title_and_elapsed_not_itself(
        make_app, sample_db: Path, monkeypatch, tmp_path: Path) -> None:
    from cockpit.tui.panes.status import StatusLine

    app = make_app(sample_db, sync_interval=0, sync_state="offline, 128 queued, 12 failed")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen)
                         and bool(app.screen.query(StatusLine)), timeout=10)
        await settle(pilot)
        line = status_text(app).rstrip()
        assert line.endswith("offline, 128 queued, 12 failed") and len(line) <= 80, line
        assert "update in" in line or "OVERDUE" in line


async def test_a_reload_keeps_the_reader_on_the_entry_they_read(make_app, tmp_path: Path) -> None:
    from benchmarks.common import fill_timeline

    db = tmp_path / "reload.db"
    svc = IncidentService(Store.open(db), "a")
    snap = svc.open_incident("Reload", Impact.CORE_DOWN, Scope.ALL, commander="a")
    fill_timeline(db, snap.id, 200)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        # the screen is pushed first and composed a moment later: wait for its timeline to exist, then fill
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentScreen) and bool(app.screen.query(TimelineView))
                         and len(app.screen.query_one(TimelineView).entries) == 202, timeout=10)
        view = app.screen.query_one(TimelineView)
        await settle(pilot)
        await pilot.press("home", "down", "down")
        reading = view.selected
        assert reading is view.entries[2]
        app.screen.reload()  # what an entry arriving late does: the whole timeline is read again
        await settle(pilot)
        assert view.selected is not None and view.selected.id == reading.id  # not thrown to the newest entry
        await pilot.press("end")
        app.screen.reload()
        await settle(pilot)
        assert view.selected is view.entries[-1]  # a reader at the newest entry keeps following
