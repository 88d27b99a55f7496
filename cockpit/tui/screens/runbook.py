"""The runbook walker: one clear step at a time, what to run, what to expect, what to do if not, when to
escalate. Every outcome goes to the timeline; the run's place is kept in the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from cockpit.domain.cadence import format_clock
from cockpit.domain.runbook import Position, Runbook, Walk
from cockpit.service.commands import CommandResult, command_line, run_step_command
from cockpit.service.runbooks import Library, library_folders, load_library
from cockpit.service.runs import RunbookRuns, RunState
from cockpit.sync.settings import stored_secrets
from cockpit.textsafe import literal
from cockpit.tui.screens.dialogs import Confirm, TextPrompt

if TYPE_CHECKING:
    from cockpit.tui.app import CockpitApp


class RunbookScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "outcome('expected')", "As expected", id="runbook.expected"),
        Binding("u", "outcome('unexpected')", "Unexpected", id="runbook.unexpected"),
        Binding("x", "outcome('skipped')", "Skip", id="runbook.skip"),
        Binding("y", "copy", "Copy cmd", id="runbook.copy"),
        Binding("r", "run", "Run cmd", id="runbook.run"),
        Binding("E", "escalate", "Escalate", id="runbook.escalate"),
        Binding("a", "attach", "Attach", id="runbook.attach"),
        Binding("right", "switch(1)", "Next run", show=False, id="runbook.next_run"),
        Binding("left", "switch(-1)", "Prev run", show=False, id="runbook.prev_run"),
        Binding("escape", "back", "Back", id="runbook.back"),
        *[Binding(str(n), f"choose({n - 1})", f"Option {n}", show=False, id=f"runbook.option_{n}")
          for n in range(1, 10)],
    ]

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.library = Library()
        self.runs: list[RunState] = []
        self.current = 0
        self.last_output: CommandResult | None = None
        self.output_for: tuple[str, Position] | None = None  # the run and step the output belongs to
        self.running = False

    @property
    def cockpit(self) -> CockpitApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="walker-head")
        yield Static(id="walker-banner")
        with VerticalScroll(id="walker-body"):
            yield Static(id="walker-step")
            yield Static(id="walker-output")
        yield Footer()

    def on_mount(self) -> None:
        folders = library_folders(self.cockpit.config.runbook_dirs)

        def load(svc: Any) -> tuple[Library, list[RunState], list[Runbook]]:
            library = load_library(folders)
            detail = svc.get(self.incident_id)
            texts = [detail.snapshot.title, *(e.text for e in detail.timeline[-500:])]
            return library, RunbookRuns(svc).runs(self.incident_id), library.suggest(detail.snapshot.services, texts)

        self.cockpit.call_service(load, self._loaded)
        self.set_interval(1.0, self._tick)

    def _loaded(self, result: tuple[Library, list[RunState], list[Runbook]]) -> None:
        self.library, runs, suggestions = result
        self.suggestions = suggestions
        self.runs = [r for r in runs if r.position.section != "done"] or runs[-1:]
        self.current = min(self.current, max(0, len(self.runs) - 1))
        for problem in self.library.problems[:3]:
            self.notify(f"Runbook skipped: {problem}", severity="warning", timeout=8)
        self._show()

    def _reload(self, _result: object = None) -> None:
        self.cockpit.call_service(lambda svc: RunbookRuns(svc).runs(self.incident_id), self._runs_loaded)

    def _runs_loaded(self, runs: list[RunState]) -> None:
        keep = self.runs[self.current].id if self.runs else None
        self.runs = [r for r in runs if r.position.section != "done" or r.id == keep]
        ids = [r.id for r in self.runs]
        self.current = ids.index(keep) if keep in ids else max(0, len(self.runs) - 1)
        self._show()

    # --- what is shown ------------------------------------------------------------------
    def _run(self) -> tuple[RunState, Runbook] | None:
        if not self.runs:
            return None
        state = self.runs[self.current]
        try:
            return state, self.library.get(state.runbook_id)
        except Exception:
            return None

    def _show(self) -> None:
        head = self.query_one("#walker-head", Static)
        step_view = self.query_one("#walker-step", Static)
        pair = self._run()
        if pair is None:
            head.update(Text("Runbooks · no runbook running on this incident", style="bold"))
            lines = Text("Press a to attach a runbook.\n\n")
            if getattr(self, "suggestions", None):
                lines.append("Suggested for this incident:\n", style="bold")
                for i, book in enumerate(self.suggestions[:9], 1):
                    lines.append(f"  {i}. {book.id}", style="bold")
                    lines.append(f"  {literal(book.title)}\n")
            elif not self.library.runbooks:
                lines.append("The runbook library is empty: list folders under runbook_dirs in the config file.")
            step_view.update(lines)
            self._tick()
            return
        state, book = pair
        walk = Walk(book, state.position)
        if self.output_for != (state.id, walk.position):
            self.last_output = None
        done, total = walk.progress()
        bar = "▮" * done + "▯" * max(0, total - done)
        others = f" · run {self.current + 1}/{len(self.runs)} (←/→)" if len(self.runs) > 1 else ""
        head.update(Text(f"{literal(book.title)} · {literal(walk.label())} · {done}/{total} {bar}{others}",
                         style="bold"))
        body = Text()
        step = walk.current()
        if step is not None:
            body.append(f"{literal(step.step)}\n\n", style="bold")
            if step.command:
                body.append("Run:       ", style="bold")
                body.append(literal(step.command), style="bold reverse")
                body.append("   (shell)\n" if step.shell else "\n")
            body.append("Expected:  ", style="bold")
            body.append(f"{literal(step.expected) or '—'}\n")
            body.append("If not:    ", style="bold")
            body.append(f"{literal(step.if_unexpected) or '—'}\n\n")
            body.append("Enter as expected · u unexpected (note) · x skip (reason) · y copy command · r run it")
        elif walk.awaiting_option:
            body.append("Diagnosis done. Choose a mitigation (press its number):\n\n", style="bold")
            for i, option in enumerate(book.mitigation, 1):
                body.append(f"  {i}) {literal(option.option)}", style="bold")
                body.append(f" — when {literal(option.when)} ({len(option.steps)} steps)\n")
        else:
            body.append("This runbook run is finished. Press a to attach another.", style="bold")
        step_view.update(body)
        out = self.last_output
        self.query_one("#walker-output", Static).update(
            Text(f"\n$ {literal(' '.join(out.argv))} → {out.summary}\n{literal(out.output[-4000:])}") if out
            else Text(""))
        self._tick()

    def _tick(self) -> None:
        banner = self.query_one("#walker-banner", Static)
        pair = self._run()
        if pair is None:
            banner.update("")
            banner.remove_class("-due")
            return
        state, book = pair
        now: datetime = self.cockpit.clock()
        due = state.escalation_due(book)
        if state.escalated_at is not None:
            banner.update(Text(f"Escalated to {literal(book.escalation.contact)} at "
                               f"{state.escalated_at.astimezone():%H:%M}"))
            banner.remove_class("-due")
        elif now >= due and state.position.section != "done":
            banner.update(Text(f"ESCALATE NOW ({book.escalation.after_minutes} min passed): contact "
                               f"{literal(book.escalation.contact)} · provide: "
                               f"{literal(book.escalation.context_to_provide)} · press E to record it"))
            banner.add_class("-due")
        else:
            banner.update(Text(f"Escalate to {literal(book.escalation.contact)} in {format_clock(due - now)}"))
            banner.remove_class("-due")

    # --- actions ------------------------------------------------------------------------
    def action_attach(self) -> None:
        choices = list(getattr(self, "suggestions", []) or []) or self.library.runbooks
        listing = "\n".join(f"{i}. {b.id}" for i, b in enumerate(choices[:9], 1))

        def chosen(answer: str | None) -> None:
            if not answer:
                return
            try:
                if answer.isdigit():
                    if not 1 <= int(answer) <= len(choices):
                        raise IndexError(answer)
                    book = choices[int(answer) - 1]
                else:
                    book = self.library.get(answer)
            except (IndexError, ValueError):
                self.notify(f"There is no choice {answer}.", severity="error")
                return
            except Exception as exc:
                self.notify(str(exc), severity="error")
                return
            self.last_output = None
            self.cockpit.call_service(lambda svc: RunbookRuns(svc).start(self.incident_id, book), self._started)

        self.app.push_screen(TextPrompt("Attach a runbook: its number or id", "number or id",
                                        value=choices[0].id if choices else "",
                                        help_text=listing or "The library is empty."), chosen)

    def _started(self, state: RunState) -> None:
        self.runs = [*self.runs, state]
        self.current = len(self.runs) - 1
        self._show()

    def action_switch(self, step: int) -> None:
        if self.runs:
            self.current = (self.current + step) % len(self.runs)
            self.last_output = None
            self._show()

    def action_outcome(self, outcome: str) -> None:
        pair = self._run()
        if pair is None:
            return
        state, book = pair
        walk = Walk(book, state.position)
        if self.running:
            self.notify("The step's command is still running; wait for it, then mark the outcome.",
                        severity="warning")
            return
        if walk.current() is None:
            self.notify("No current step." if not walk.awaiting_option
                        else "Choose a mitigation option first (press its number).", severity="warning")
            return
        output = self.last_output if self.output_for == (state.id, walk.position) else None
        seen = walk.position

        def record(note: str = "") -> None:
            self.last_output, self.output_for = None, None
            self.cockpit.call_service(
                lambda svc: RunbookRuns(svc).record(state.id, book, outcome, note, output, seen=seen), self._reload)

        if outcome == "expected":
            record()
        else:
            title = "What did you see instead?" if outcome == "unexpected" else "Why skip this step?"
            self.app.push_screen(TextPrompt(title, "recorded in the timeline"),
                                 lambda text: record(text) if text else None)

    def action_choose(self, index: int) -> None:
        pair = self._run()
        if pair is None or not Walk(pair[1], pair[0].position).awaiting_option:
            self.notify("Options are chosen once diagnosis is done.", severity="warning")
            return
        state, book = pair
        self.cockpit.call_service(lambda svc: RunbookRuns(svc).choose(state.id, book, index), self._reload)

    def action_copy(self) -> None:
        pair = self._run()
        step = Walk(pair[1], pair[0].position).current() if pair else None
        if step is None or not step.command:
            self.notify("This step has no command.", severity="warning")
            return
        self.app.copy_to_clipboard(step.command)
        self.notify("Command copied to the clipboard.")

    def action_run(self) -> None:
        pair = self._run()
        step = Walk(pair[1], pair[0].position).current() if pair else None
        if step is None or not step.command:
            self.notify("This step has no command.", severity="warning")
            return
        try:
            argv = command_line(step)
        except Exception as exc:
            self.notify(str(exc), severity="error")
            return
        shown = " ".join(argv) if not step.shell else step.command
        how = "through /bin/sh (the runbook marks it as a shell step)" if step.shell else "without a shell"

        state, book = pair  # type: ignore[misc]
        where = (state.id, Walk(book, state.position).position)

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            self.notify(f"Running (timeout {step.timeout_seconds} s)…")
            self.running = True
            self.cockpit.call_service(lambda _svc: (where, run_step_command(step, secrets=stored_secrets())),
                                      self._ran)

        self.app.push_screen(Confirm(f"Run this exact command {how}, timeout {step.timeout_seconds} s?\n\n"
                                     f"{literal(shown)}"), confirmed)

    def _ran(self, done: tuple[tuple[str, Position], CommandResult]) -> None:
        where, result = done
        self.running = False
        self.last_output, self.output_for = result, where
        self._show()
        self.notify(f"Command finished: {result.summary}. Mark the step's outcome (Enter, u or x).")

    def action_escalate(self) -> None:
        pair = self._run()
        if pair is None:
            return
        state, book = pair
        self.cockpit.call_service(lambda svc: RunbookRuns(svc).escalate(state.id, book), self._escalated)

    def _escalated(self, text: str) -> None:
        self.notify(text.splitlines()[0])
        self._reload()

    def action_back(self) -> None:
        self.app.pop_screen()
