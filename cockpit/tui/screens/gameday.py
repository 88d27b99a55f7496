"""The Game Day walker: the seed's Game Day runbook for one chaos experiment, as an exercise incident.

Pre-game checklist (ticked on screen, written once when the Game Day starts), the 15-minute steady-state
baseline (from Prometheus where the metrics have queries), the announcement, the injection, observation while
the abort conditions are watched, removal, recovery, and the results. Every write is confirmed with its text
shown, or typed. While the fault is on, an abort condition given as PromQL that holds raises a banner with the
rollback plan; ``X`` (confirmed, the prompt shows the rollback plan) records the abort."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.domain import chaos
from cockpit.domain.cadence import format_clock
from cockpit.errors import CockpitError
from cockpit.textsafe import one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.screens.dialogs import Confirm, TextPrompt
from cockpit.tui.screens.header import IncidentHeaderScreen

if TYPE_CHECKING:
    from cockpit.service.gamedays import GameDay
    from cockpit.service.incidents import IncidentService
    from cockpit.sources.gameday import AbortTrip, SteadyCheck

#: stage → the keys that act in it (the footer shows only these)
STAGE_KEYS: dict[str, set[str]] = {
    "pregame": {"tick", "start", "cursor", "tracker"},
    "baseline": {"check", "record"},
    "announce": {"record", "copy"},
    "inject": {"record"},
    "observe": {"observe", "abort", "remove"},
    "recovery": {"check", "record"},
    "results": {"outcome", "observe", "action", "save"},
}
ANNOUNCEMENT = "Chaos Game Day starting: {name} ({target}, {environment}). Abort conditions are watched; rollback: " \
               "{rollback}"


class GameDayScreen(IncidentHeaderScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="gameday.back"),
        Binding("X", "abort", "ABORT", id="gameday.abort"),
        Binding("enter", "record", "Record step", id="gameday.record"),
        Binding("o", "observe", "Observation", id="gameday.observe"),
        Binding("r", "remove", "Remove fault", id="gameday.remove"),
        Binding("c", "check", "Check steady state", id="gameday.check"),
        Binding("y", "copy", "Copy announcement", id="gameday.copy"),
        Binding("space", "tick", "Tick", id="gameday.tick"),
        Binding("s", "start", "Start Game Day", id="gameday.start"),
        Binding("t", "tracker", "To tracker?", show=False, id="gameday.tracker"),
        Binding("up", "cursor(-1)", "Up", show=False, id="gameday.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="gameday.down"),
        Binding("1", "outcome('confirmed')", "Confirmed", show=False, id="gameday.confirmed"),
        Binding("2", "outcome('disproved')", "Disproved", show=False, id="gameday.disproved"),
        Binding("3", "outcome('inconclusive')", "Inconclusive", show=False, id="gameday.inconclusive"),
        Binding("a", "action_item", "Action item", id="gameday.action"),
        Binding("ctrl+s", "save", "Save results", id="gameday.save"),
    ]

    #: how often the abort conditions are read while the fault is on
    WATCH_SECONDS = 5.0

    def __init__(self, experiment: chaos.Experiment | None, incident_id: str | None = None) -> None:
        super().__init__()
        self.experiment = experiment
        self.incident_id = incident_id or ""
        self.day: GameDay | None = None
        self.ticked: set[str] = set()
        self.to_tracker = False  # an exercise stays out of the tracker unless asked (t, before the start)
        self.cursor = 0
        self.check_result: SteadyCheck | None = None
        self.checking = False
        self.trips: list[AbortTrip] = []
        self.watch_errors: list[str] = []
        self.outcome = ""
        self.observations: list[str] = []
        self.actions: list[str] = []
        self.typed_observations = 0  # observations typed on the results (the others are in the timeline already)
        self._watch_lock = threading.Lock()
        self._source: Any = None
        self._header_started = False
        self.watch_rounds = 0  # looks at the abort conditions so far (tests wait on it)

    # --- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="gd-head")
        yield Static(id="gd-banner")
        with VerticalScroll(id="gd-body", can_focus=False):  # arrows move the checklist's cursor
            yield Static(id="gd-stage")
        yield CockpitFooter()

    def on_mount(self) -> None:
        if self.incident_id:
            self._start_header()
            self._reload()
        self.set_interval(self.WATCH_SECONDS, self._watch)
        self.set_interval(1.0, self._show)
        self._show()

    def _start_header(self) -> None:
        if not self._header_started:
            self._header_started = True
            self.start_header()

    def on_unmount(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.close()

    def _reload(self, _result: object = None) -> None:
        from cockpit.service.gamedays import GameDays

        incident_id = self.incident_id

        def load(svc: IncidentService) -> tuple[GameDay, list[str]]:
            day = GameDays(svc).get(incident_id)
            notes = [e.text.removeprefix("Observation: ") for e in svc.get(incident_id).timeline
                     if e.kind == "note" and e.text.startswith("Observation: ")]
            return day, notes

        self.cockpit.call_service(load, self._loaded)

    def _loaded(self, result: tuple[GameDay, list[str]]) -> None:
        self.day, noted = result
        if not self.observations:
            self.observations = list(noted)  # the results start from what was observed during the fault
        if self.day.state.stage is not None and self.day.state.stage.key in ("baseline", "recovery") \
                and self.check_result is None:
            self.action_check()
        if self.day.state.fault_on and not self.watch_rounds:
            self._watch()  # at once, not a watch period after the fault went on
        self.refresh_bindings()
        self._show()

    # --- state ----------------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        if not self.incident_id:
            return "pregame"
        if self.day is None:
            return ""
        stage = self.day.state.stage
        return stage.key if stage else "done"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        keys = STAGE_KEYS.get(self.stage, set())
        staged = set().union(*STAGE_KEYS.values())
        needs = "action" if action == "action_item" else action if action in staged else None
        if needs is None:
            return True
        if self.experiment is None:
            return False
        return needs in keys  # a key that does nothing at this stage is left out of the footer

    # --- what is shown --------------------------------------------------------------------------
    def _show(self) -> None:
        self.query_one("#status", StatusLine).display = bool(self.incident_id)  # no incident before the start
        e = self.experiment
        head = Text()
        name = e.name if e else (self.day.experiment if self.day else "Game Day")
        head.append(" GAME DAY (exercise) ", style="reverse bold")
        head.append(" " + one_line(name))
        if e:
            head.append(one_line(f" · {e.target} ({e.environment})"))
        if self.day:
            head.append(one_line(f" · {self.day.ref}"))
        self.query_one("#gd-head", Static).update(head)
        self._banner()
        self.query_one("#gd-stage", Static).update(self._stage_text())

    def _banner(self) -> None:
        banner = self.query_one("#gd-banner", Static)
        banner.set_class(False, "-abort")
        day = self.day
        banner.display = day is not None and day.state.fault_on  # a line of its own only while the fault is on
        if day is None or not day.state.fault_on:
            return
        assert day.state.injected_at is not None
        on_for = max(self.cockpit.clock() - day.state.injected_at, timedelta(0))
        planned = self.experiment.duration if self.experiment else None
        if self.trips:
            trip = self.trips[0]
            rollback = self.experiment.rollback_plan if self.experiment else ""
            banner.set_class(True, "-abort")
            banner.update(Text(one_line(f"ABORT CONDITION HIT: {trip.condition} ({trip.value}). Roll back now: "
                                        f"{rollback}") + "\nX records the abort (after y to confirm)."))
            return
        watched = [a for a in (self.experiment.abort_conditions if self.experiment else ()) if a.query]
        text = f"Fault ON {format_clock(on_for)}" + (f" of {format_clock(planned)}" if planned else "")
        if planned and on_for >= planned:
            text += " · planned duration reached: r removes the fault"
        if self.watch_errors:
            text += f" · NOT WATCHED: {self.watch_errors[0]}"
        elif watched:
            text += f" · watching {len(watched)} abort condition(s) in Prometheus"
        banner.update(Text(one_line(text)))

    def _stage_text(self) -> Text:
        e = self.experiment
        text = Text()

        def line(value: str = "", style: str = "") -> None:
            text.append(one_line(value) + "\n", style=style)

        stage = self.stage
        if e is None:
            line("The experiment file of this Game Day is missing or no longer valid; its steps cannot be recorded "
                 "here. Fix the file and open the Game Day again.", "bold")
            return text
        titles = {s.key: s.title for s in chaos.STAGES}
        done = set(self.day.state.done) if self.day else set()
        progress = Text("Runbook: ", style="dim")
        for index, st in enumerate(chaos.STAGES, 1):
            mark = "✓" if st.key in done else ("▶" if st.key == stage else "")
            style = "bold reverse" if st.key == stage else "dim" if st.key in done else ""
            progress.append(f"{mark}{index} {st.key}", style=style)
            progress.append("  ")
        text.append_text(progress)
        text.append("\n")
        if stage in titles:
            index = chaos.STAGE_KEYS.index(stage) + 1
            line(f"{index}. {titles[stage]}", "bold")
        if stage == "pregame":
            line("Space ticks (nothing is written until s starts the Game Day):")
            for index, item in enumerate(chaos.PRE_GAME):
                box = "[x]" if item in self.ticked else "[ ]"
                pointer = "›" if index == self.cursor else " "
                line(f"{pointer} {box} {item}", "reverse" if index == self.cursor else "")
            line("Tracker: " + ("this Game Day WILL be sent to the tracker (t: keep it here)" if self.to_tracker
                                else "kept in this cockpit, not sent to the tracker (t: send it)"))
            line(f"Hypothesis: {e.hypothesis}")
            line(f"Approvals needed: {', '.join(e.approvals) or 'none listed'}")
        elif stage in ("baseline", "recovery"):
            if self.checking:
                line("Checking the last 15 minutes in Prometheus…")
            elif self.check_result is not None:
                line(self.check_result.text(), "bold reverse" if self.check_result.ok is False else "bold")
            line("c checks again · Enter records what the check found (after y)")
            for metric in e.metrics:
                how = "PromQL" if metric.query else "by hand"
                line(f"  {metric.name}: acceptable {metric.acceptable_range} (baseline {metric.baseline or '—'}) "
                     f"[{how}]")
        elif stage == "announce":
            line("Enter records that it was announced (after y) · y copies the text:")
            line(self._announcement())
        elif stage == "inject":
            line("Enter records that the fault is injected (after y)")
            line(f"Inject: {e.fault_type} fault on {e.target}, blast radius {e.blast_radius or '—'}, for "
                 f"{format_clock(e.duration)}")
            line("Abort conditions, watched from the moment the fault is recorded:")
            for cond in e.abort_conditions:
                line(f"  - {cond.name}" + (f"  [PromQL: {cond.query}]" if cond.query else "  [by hand: X]"))
            line(f"Rollback plan: {e.rollback_plan}")
        elif stage == "observe":
            line("o types an observation (written when you press Enter in it). If an abort condition hits: X (the "
                 "prompt shows the rollback plan). At the planned end: r.")
            for note in self.observations[-8:]:
                line(f"  · {note}")
        elif stage == "results":
            line("1 confirmed · 2 disproved · 3 inconclusive · o observation · a action item · ctrl+s saves")
            line(f"Outcome: {self.outcome or '— (choose 1, 2 or 3)'}"
                 + (" · the Game Day was ABORTED" if self.day and self.day.state.aborted else ""))
            line("Observations:")
            for note in self.observations:
                line(f"  · {note}")
            line("Action items:")
            for item in self.actions:
                line(f"  · {item}")
            line(f"ctrl+s saves the results to {e.source} and the timeline (after y)")
        elif stage == "done":
            line("This Game Day is over; its results are in the timeline and the experiment file.", "bold")
        return text

    def _announcement(self) -> str:
        e = self.experiment
        assert e is not None
        return ANNOUNCEMENT.format(name=e.name, target=e.target, environment=e.environment, rollback=e.rollback_plan)

    # --- pre-game --------------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        self.cursor = max(0, min(len(chaos.PRE_GAME) - 1, self.cursor + step))
        self._show()

    def action_tick(self) -> None:
        if self.stage != "pregame":
            return
        item = chaos.PRE_GAME[self.cursor]
        self.ticked.symmetric_difference_update({item})
        self.cursor = min(len(chaos.PRE_GAME) - 1, self.cursor + 1)
        self._show()

    def action_tracker(self) -> None:
        if self.stage == "pregame":
            self.to_tracker = not self.to_tracker
            self._show()

    def action_start(self) -> None:
        e = self.experiment
        if e is None or self.stage != "pregame":
            return
        missing = [i for i in chaos.PRE_GAME if i not in self.ticked]
        if missing:
            self.notify(f"Tick every pre-game item first; not yet: {missing[0]}.", severity="warning")
            return
        tracker = "sent to the tracker as an exercise" if self.to_tracker else "not sent to the tracker"
        writes = (f"A new exercise incident 'Game Day: {e.name}' on {e.target} (not counted in the figures, "
                  f"{tracker}), with: Pre-game checklist done: {'; '.join(chaos.PRE_GAME)}.")

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from cockpit.service.gamedays import GameDays

            ticked, to_tracker = sorted(self.ticked), self.to_tracker
            self.cockpit.call_service(lambda svc: GameDays(svc).start(e, ticked, to_tracker), self._started)

        self.app.push_screen(Confirm("Start the Game Day?", writes), answered)

    def _started(self, day: GameDay) -> None:
        self.incident_id = day.incident_id
        self._start_header()
        self._reload()

    # --- steady state ----------------------------------------------------------------------------
    def action_check(self) -> None:
        e = self.experiment
        if e is None or self.checking:
            return
        if not any(m.query for m in e.metrics):
            from cockpit.sources.gameday import SteadyCheck

            self.check_result = SteadyCheck(True, (), tuple(m.name for m in e.metrics))
            self._show()
            return
        self.checking = True
        at = self.cockpit.clock()

        def work(_svc: IncidentService) -> SteadyCheck:
            from cockpit.sources.gameday import SteadyCheck, check_steady_state
            from cockpit.sources.refresh import configured_source

            source = configured_source()
            if source is None:
                return SteadyCheck(None, ("no Prometheus configured (`cockpit slo source set URL`)",),
                                   tuple(m.name for m in e.metrics))
            with source:
                return check_steady_state(source, e, at)

        def done(result: SteadyCheck) -> None:
            self.checking = False
            self.check_result = result
            self._show()

        self.cockpit.call_service(work, done, group="gameday-check",
                                  on_error=lambda _exc: setattr(self, "checking", False))
        self._show()

    # --- recording steps -------------------------------------------------------------------------
    def _confirm_record(self, stage: str, question: str, text: str, data: dict[str, Any] | None = None) -> None:
        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from cockpit.service.gamedays import GameDays

            incident_id = self.incident_id
            if stage in ("baseline", "recovery"):
                self.check_result = None
            self.cockpit.call_service(lambda svc: GameDays(svc).record(incident_id, stage, text, data),
                                      self._recorded)

        self.app.push_screen(Confirm(question, text), answered)

    def _recorded(self, day: GameDay) -> None:
        self.day = day
        if not day.state.fault_on:
            self.trips = []
            source, self._source = self._source, None
            if source is not None:  # the fault is off: nothing more to watch
                self.cockpit.call_service(lambda _svc: source.close(), group="gameday-watch", quiet=True)
        self._reload()

    def action_record(self) -> None:
        e, stage = self.experiment, self.stage
        if e is None:
            return
        if stage in ("baseline", "recovery"):
            what = "Steady state (15 min baseline)" if stage == "baseline" else "Recovery to steady state"
            found = self.check_result.text() if self.check_result else "verified by hand"
            self._confirm_record(stage, f"Record: {what.lower()}?", f"{what}: {found}",
                                 {"ok": bool(self.check_result and self.check_result.ok)})
        elif stage == "announce":
            self._confirm_record("announce", "Record the announcement?",
                                 f"Announced in #engineering: {self._announcement()}")
        elif stage == "inject":
            self._confirm_record("inject", "Record that the fault is injected? (the abort conditions are watched "
                                           "from now on)",
                                 f"Fault injected: {e.fault_type} on {e.target}, blast radius {e.blast_radius or '—'}, "
                                 f"planned for {format_clock(e.duration)}.")

    def action_copy(self) -> None:
        if self.experiment is not None and self.stage == "announce":
            self.app.copy_to_clipboard(self._announcement())
            self.notify("Announcement copied.")

    # --- while the fault is on -------------------------------------------------------------------
    def action_observe(self) -> None:
        stage = self.stage
        if stage not in ("observe", "results"):
            return

        def typed(text: str | None) -> None:
            if not text:
                return
            if stage == "results":
                self.observations.append(text)
                self.typed_observations += 1
                self._show()
                return
            from cockpit.service.gamedays import GameDays

            incident_id = self.incident_id
            self.observations.append(text)
            self.cockpit.call_service(lambda svc: GameDays(svc).observe(incident_id, text), self._recorded)

        where = "goes into the results" if stage == "results" else "is written to the timeline"
        self.app.push_screen(TextPrompt(f"Observation (Enter: it {where})", "what you saw"), typed)

    def action_remove(self) -> None:
        e = self.experiment
        if e is None or self.stage != "observe":
            return
        self._confirm_record("remove", "Record that the fault is removed (the planned end)?",
                             f"Fault removed after the planned run: {e.fault_type} on {e.target}.")

    def action_abort(self) -> None:
        e = self.experiment
        if e is None or self.stage != "observe":
            return
        self._ask_abort(e)

    @work(exclusive=True, group="gameday-abort")
    async def _ask_abort(self, e: chaos.Experiment) -> None:
        """Which condition hit (the one the watch saw, else picked by hand), then a confirmation that says what
        goes into the timeline; written only on yes."""
        from cockpit.tui.screens.dialogs import Pick

        trip = self.trips[0] if self.trips else None
        reason = trip.condition if trip else await self.app.push_screen_wait(
            Pick("Which abort condition hit?", [(a.name, Text(one_line(a.name))) for a in e.abort_conditions],
                 f"Rollback plan: {e.rollback_plan}"))
        if not reason:
            return
        value = trip.value if trip and trip.condition == reason else ""
        seen = f" ({value})" if value else ""
        if not await self.app.push_screen_wait(Confirm(
                f"ABORT the Game Day? Roll back now: {e.rollback_plan}",
                f"ABORTED: {reason}{seen}. Fault removed; rollback: {e.rollback_plan}")):
            return
        from cockpit.service.gamedays import GameDays

        incident_id = self.incident_id
        self.cockpit.call_service(
            lambda svc: GameDays(svc).abort(incident_id, reason, e.rollback_plan, value), self._recorded)

    def _watch(self) -> None:
        """While the fault is on: the abort conditions with a query, read in a worker thread."""
        e, day = self.experiment, self.day
        if e is None or day is None or not day.state.fault_on or not any(a.query for a in e.abort_conditions):
            return
        at = self.cockpit.clock()

        def work(_svc: IncidentService) -> tuple[list[AbortTrip], list[str]] | None:
            if not self._watch_lock.acquire(blocking=False):
                return None  # the previous look still runs
            try:
                from cockpit.sources.gameday import tripped
                from cockpit.sources.refresh import configured_source

                if self._source is None:
                    self._source = configured_source()  # one connection for the whole time the fault is on
                if self._source is None:
                    return [], ["no Prometheus: watch by hand, X aborts"]
                return tripped(self._source, e, at)
            except CockpitError as exc:
                return [], [str(exc)]
            finally:
                self._watch_lock.release()

        def done(result: tuple[list[AbortTrip], list[str]] | None) -> None:
            if result is None or self.day is None or not self.day.state.fault_on:
                return
            trips, errors = result
            self.watch_rounds += 1
            first = not self.trips and trips
            if trips:
                self.trips = trips  # a condition that held stays on the banner until the abort is recorded
            self.watch_errors = errors
            if first:
                self.app.bell()
            self._show()

        self.cockpit.call_service(work, done, group="gameday-watch", quiet=True)

    # --- results ---------------------------------------------------------------------------------
    def action_outcome(self, outcome: str) -> None:
        if self.stage == "results":
            self.outcome = outcome
            self._show()

    def action_action_item(self) -> None:
        if self.stage != "results":
            return

        def typed(text: str | None) -> None:
            if text:
                self.actions.append(text)
                self._show()

        self.app.push_screen(TextPrompt("Action item (goes into the results)", "what to do, owner"), typed)

    def action_save(self) -> None:
        e = self.experiment
        if e is None or self.stage != "results":
            return
        if not self.outcome:
            self.notify("Choose the outcome first: 1 confirmed, 2 disproved, 3 inconclusive.", severity="warning")
            return
        results = chaos.Results(self.outcome, tuple(self.observations), tuple(self.actions))
        lines = [f"Results: {results.outcome}" + (" (aborted)" if self.day and self.day.state.aborted else "") + "."]
        lines += [f"Observation: {o}" for o in results.observations]
        lines += [f"Action item: {a}" for a in results.action_items]

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from cockpit.service.gamedays import GameDays

            incident_id = self.incident_id
            path = Path(e.source)
            self.cockpit.call_service(lambda svc: GameDays(svc).save_results(incident_id, results, path),
                                      self._saved)

        self.app.push_screen(Confirm(f"Save the results to {e.source} and the timeline? The exercise is then "
                                     "resolved.", "\n".join(lines)), answered)

    def _saved(self, day: GameDay) -> None:
        self.notify(f"Results saved: {day.ref} resolved; not counted in the monthly figures.")
        self._recorded(day)

    def action_back(self) -> None:
        typed = [part for part in (
            "the outcome" if self.outcome else "",
            f"{self.typed_observations} observation(s)" if self.typed_observations else "",
            f"{len(self.actions)} action item(s)" if self.actions else "") if part]
        if self.stage != "results" or not typed:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        # a stray Esc would drop what was typed here: the readiness walk asks the same way
        self.app.push_screen(Confirm(f"Leave the Game Day results? {' and '.join(typed).capitalize()} typed here "
                                     "are not saved (ctrl+s saves them)."), answered)

    def header_changed(self, detail: Any) -> None:
        if self.incident_id:
            self._reload()

