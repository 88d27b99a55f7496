"""The runbook walker: one clear step at a time, what to run, what to expect, what to do if not, when to
escalate. Every outcome goes to the timeline, after a confirmation or a typed note; the run's place and the
exact runbook it started with are kept in the store. The incident's status line stays above it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from cockpit.domain.cadence import format_clock
from cockpit.domain.runbook import Position, Runbook, Walk, choice_text, plural
from cockpit.service.commands import CommandResult, command_line, run_step_command
from cockpit.service.runbooks import Library, library_folders, load_library
from cockpit.service.runs import RunbookRuns, RunState
from cockpit.sync.settings import stored_secrets
from cockpit.textsafe import literal, one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.panes.status import StatusLine
from cockpit.tui.screens.dialogs import Confirm, Pick, TextPrompt
from cockpit.tui.screens.header import IncidentHeaderScreen

if TYPE_CHECKING:
    from cockpit.service.incidents import IncidentService


def run_book(state: RunState, library: Library) -> Runbook | None:
    """The runbook a run walks: the copy kept with it, else (older runs) the library's."""
    if state.runbook is not None:
        return state.runbook
    try:
        return library.get(state.runbook_id)
    except Exception:
        return None


def due_runs(runs: list[RunState], library: Library, now: datetime) -> list[tuple[int, RunState, Runbook]]:
    """Runs whose escalation timer ran out and that nobody escalated yet, the longest overdue first."""
    found = []
    for index, state in enumerate(runs):
        book = run_book(state, library)
        if book is None or state.escalated_at is not None or state.position.section == "done":
            continue
        if now >= state.escalation_due(book):
            found.append((index, state, book))
    return sorted(found, key=lambda item: item[1].escalation_due(item[2]))


class RunbookScreen(IncidentHeaderScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="runbook.back"),
        Binding("a", "attach", "Attach", id="runbook.attach"),
        Binding("enter", "outcome('expected')", "Expected", id="runbook.expected"),
        Binding("u", "outcome('unexpected')", "Unexpected", id="runbook.unexpected"),
        Binding("x", "outcome('skipped')", "Skip", id="runbook.skip"),
        Binding("y", "copy", "Copy", id="runbook.copy"),
        Binding("r", "run", "Run", id="runbook.run"),
        Binding("E", "escalate", "Escalate", id="runbook.escalate"),
        Binding("right", "switch(1)", "Next run", show=False, id="runbook.next_run"),
        Binding("left", "switch(-1)", "Prev run", show=False, id="runbook.prev_run"),
        *[Binding(str(n), f"choose({n - 1})", f"Option {n}", show=False, id=f"runbook.option_{n}")
          for n in range(1, 10)],
    ]

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.library = Library()
        self.suggestions: list[Runbook] = []
        self.loaded = False
        self._attach_when_loaded = False
        self.runs: list[RunState] = []
        self.current = 0
        self.last_output: CommandResult | None = None
        self.output_for: tuple[str, Position] | None = None  # the run and step the output belongs to
        self.running = False

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="walker-head")
        yield Static(id="walker-banner")
        with VerticalScroll(id="walker-body"):
            yield Static(id="walker-step")
            yield Static(id="walker-output")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.start_header()
        folders = library_folders(self.cockpit.config.runbook_dirs)

        def load(svc: IncidentService) -> tuple[Library, list[RunState], list[Runbook]]:
            library = load_library(folders)
            detail = svc.get(self.incident_id)
            texts = [detail.snapshot.title, *(e.text for e in detail.timeline[-500:])]
            return library, RunbookRuns(svc).runs(self.incident_id), library.suggest(detail.snapshot.services, texts)

        self.cockpit.call_service(load, self._loaded)
        self.set_interval(1.0, self._tick)
        self._show()

    def _loaded(self, result: tuple[Library, list[RunState], list[Runbook]]) -> None:
        self.library, runs, self.suggestions = result
        self.loaded = True
        self.runs = [r for r in runs if r.position.section != "done"] or runs[-1:]
        self.current = min(self.current, max(0, len(self.runs) - 1))
        for problem in self.library.problems[:3]:
            self.notify(f"Runbook skipped: {problem}", severity="warning", timeout=8)
        self._show()
        if self._attach_when_loaded:
            self._attach_when_loaded = False
            self.action_attach()

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
        book = run_book(state, self.library)
        return (state, book) if book is not None else None

    def _step(self) -> tuple[RunState, Runbook, Walk] | None:
        pair = self._run()
        return (pair[0], pair[1], Walk(pair[1], pair[0].position)) if pair else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot act now are left out of the footer (they still answer with a reason)."""
        found = self._step()
        step = found[2].current() if found else None
        if action in ("outcome", "copy", "run"):
            return step is not None and (action == "outcome" or bool(step.command))
        if action == "escalate":
            return bool(self.runs) and found is not None
        if action == "switch":
            return len(self.runs) > 1
        return True

    def _show(self) -> None:
        head = self.query_one("#walker-head", Static)
        step_view = self.query_one("#walker-step", Static)
        self.refresh_bindings()
        if not self.loaded:
            head.update(Text("Runbooks", style="bold"))
            step_view.update(Text("Loading the runbook library…"))
            return
        pair = self._run()
        if pair is None:
            head.update(Text("Runbooks · no runbook running on this incident", style="bold"))
            lines = Text("Press a to attach a runbook.\n\n")
            if self.runs:
                lines = Text(f"The runbook '{literal(self.runs[self.current].runbook_id)}' of this run is no longer "
                             "in the library and the run has no copy of it (started by an older cockpit).\n\n")
            if self.suggestions:
                lines.append("Suggested for this incident:\n", style="bold")
                for book in self.suggestions[:9]:
                    lines.append(f"  {book.id}", style="bold")
                    lines.append(f"  {literal(book.title)}\n")
            elif not self.library.runbooks:
                lines.append("The runbook library is empty: list folders under runbook_dirs in the config file "
                             "(or COCKPIT_RUNBOOK_DIRS).")
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
            body.append("Enter as expected · u unexpected (note) · x skip (reason)"
                        + (" · y copy command · r run it" if step.command else ""))
        elif walk.awaiting_option:
            body.append("Diagnosis done. Choose a mitigation (press its number):\n\n", style="bold")
        elif walk.done:
            body.append("This runbook run is finished. Press a to attach another.", style="bold")
        if book.mitigation and not walk.done:
            if step is not None:
                body.append("\n\nMitigation options (a number starts one at any time):\n", style="bold")
            for i, option in enumerate(book.mitigation, 1):
                body.append(f"  {i}) {literal(option.option)}", style="bold")
                body.append(f" — when {literal(option.when)} ({plural(len(option.steps), 'step')})\n")
        if book.auto_remediation:
            body.append("\nAuto-remediation (automation did this before paging; the cockpit never runs it):\n",
                        style="bold")
            for auto in book.auto_remediation:
                body.append(f"  {literal(auto.trigger)}", style="bold")
                body.append(f": {literal(auto.condition)} → {literal(auto.action)} · escalate if "
                            f"{literal(auto.escalate_if)}\n")
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
        due = due_runs(self.runs, self.library, now)
        if due:
            index, _due_state, due_book = due[0]
            which = f"run {index + 1} " if len(self.runs) > 1 else ""
            banner.update(Text(f"ESCALATE NOW: {which}'{literal(due_book.title)}' passed "
                               f"{due_book.escalation.after_minutes} min · contact "
                               f"{literal(due_book.escalation.contact)} · provide: "
                               f"{literal(due_book.escalation.context_to_provide)} · E records it"))
            banner.add_class("-due")
        elif state.escalated_at is not None:
            banner.update(Text(f"Escalated to {literal(book.escalation.contact)} at "
                               f"{state.escalated_at.astimezone():%H:%M}"))
            banner.remove_class("-due")
        elif state.position.section == "done":
            banner.update("")
            banner.remove_class("-due")
        else:
            banner.update(Text(f"Escalate to {literal(book.escalation.contact)} in "
                               f"{format_clock(state.escalation_due(book) - now)}"))
            banner.remove_class("-due")

    # --- actions ------------------------------------------------------------------------
    def action_attach(self) -> None:
        if not self.loaded:
            self._attach_when_loaded = True
            self.notify("Loading the runbook library; the list opens as soon as it is read.")
            return
        suggested = {b.id for b in self.suggestions}
        ordered = [*self.suggestions, *(b for b in self.library.runbooks if b.id not in suggested)]
        if not ordered:
            self.notify("The runbook library is empty: list folders under runbook_dirs in the config file.",
                        severity="warning")
            return
        choices = []
        for book in ordered:
            label = Text()
            label.append(f"{'★ ' if book.id in suggested else '  '}{book.id}", style="bold")
            label.append(f"  {one_line(book.title)}")
            choices.append((book.id, label))

        def chosen(runbook_id: str | None) -> None:
            book = next((b for b in ordered if b.id == runbook_id), None)
            if book is None:
                return
            self.last_output = None
            self.cockpit.call_service(lambda svc: RunbookRuns(svc).start(self.incident_id, book), self._started)

        help_text = (f"{len(ordered)} runbooks; ★ suggested for this incident (alert name seen in the timeline, "
                     "or a shared service). Attaching writes \"Runbook started\" to the timeline.")
        self.app.push_screen(Pick("Attach a runbook", choices, help_text), chosen)

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
        found = self._step()
        if found is None:
            return
        state, book, walk = found
        if self.running:
            self.notify("The step's command is still running; wait for it, then mark the outcome.",
                        severity="warning")
            return
        step = walk.current()
        if step is None:
            self.notify("No current step." if not walk.awaiting_option
                        else "Choose a mitigation option first (press its number).", severity="warning")
            return
        output = self.last_output if self.output_for == (state.id, walk.position) else None
        seen = walk.position
        label = f"Runbook {book.id} · {walk.label()} · {step.step}"

        def record(note: str = "") -> None:
            self.last_output, self.output_for = None, None
            self.cockpit.call_service(
                lambda svc: RunbookRuns(svc).record(state.id, book, outcome, note, output, seen=seen), self._reload)

        if outcome == "expected":
            shown = f"{label}: expected" + (f"\n$ {' '.join(output.argv)} ({output.summary}) …" if output else "")
            self.app.push_screen(Confirm(f"Mark '{one_line(step.step)}' as expected?", writes=shown),
                                 lambda yes: record() if yes else None)
            return
        if outcome == "unexpected":
            title = "What did you see instead? (recorded as unexpected)"
            hint = f"Expected: {step.expected or '—'}\nIf not: {step.if_unexpected or '—'}"
        else:
            title = "Why skip this step? (recorded as skipped)"
            hint = f"Step: {step.step}"
        self.app.push_screen(TextPrompt(title, "recorded in the timeline", help_text=hint),
                             lambda text: record(text) if text else None)

    def action_choose(self, index: int) -> None:
        found = self._step()
        if found is None:
            return
        state, book, walk = found
        if walk.done:
            self.notify("This run is finished; press a to attach a runbook again.", severity="warning")
            return
        if not 0 <= index < len(book.mitigation):
            self.notify(f"There is no option {index + 1}: this runbook has {len(book.mitigation)}.",
                        severity="warning")
            return
        option = book.mitigation[index]
        early = "" if walk.awaiting_option else " Diagnosis is not finished: the entry says where it was left."

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: RunbookRuns(svc).choose(state.id, book, index), self._reload)

        self.app.push_screen(Confirm(f"Start mitigation '{one_line(option.option)}' "
                                     f"({plural(len(option.steps), 'step')})?{early}",
                                     writes=choice_text(walk, index)), confirmed)

    def action_copy(self) -> None:
        found = self._step()
        step = found[2].current() if found else None
        if step is None or not step.command:
            self.notify("This step has no command.", severity="warning")
            return
        self.app.copy_to_clipboard(step.command)
        self.notify("Command sent to the terminal clipboard (OSC 52; if your terminal drops it, select the "
                    "highlighted command by hand).")

    def action_run(self) -> None:
        found = self._step()
        step = found[2].current() if found else None
        if found is None or step is None or not step.command:
            self.notify("This step has no command.", severity="warning")
            return
        try:
            argv = command_line(step)
        except Exception as exc:
            self.notify(str(exc), severity="error")
            return
        shown = " ".join(argv) if not step.shell else step.command
        how = "through /bin/sh (the runbook marks it as a shell step)" if step.shell else "without a shell"
        state, _book, walk = found
        where = (state.id, walk.position)

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            self.notify(f"Running (timeout {step.timeout_seconds} s)…")
            self.running = True
            self.cockpit.call_service(lambda _svc: (where, run_step_command(step, secrets=stored_secrets())),
                                      self._ran)

        self.app.push_screen(Confirm(f"Run this exact command {how}, timeout {step.timeout_seconds} s? Its output "
                                     f"goes into the step's entry when you mark the outcome.\n\n{literal(shown)}"),
                             confirmed)

    def _ran(self, done: tuple[tuple[str, Position], CommandResult]) -> None:
        where, result = done
        self.running = False
        self.last_output, self.output_for = result, where
        self._show()
        self.notify(f"Command finished: {result.summary}. Mark the step's outcome (Enter, u or x).")

    def action_escalate(self) -> None:
        """Escalate the run whose timer ran out (naming it), else the run on screen, early."""
        now: datetime = self.cockpit.clock()
        due = due_runs(self.runs, self.library, now)
        if due:
            index, state, book = due[0]
            when = f"its {book.escalation.after_minutes} min passed"
        else:
            pair = self._run()
            if pair is None:
                return
            state, book = pair
            index = self.current
            if state.escalated_at is not None:
                self.notify(f"Already escalated at {state.escalated_at.astimezone():%H:%M}.", severity="warning")
                return
            when = f"early: due in {format_clock(state.escalation_due(book) - now)}"
        which = f"run {index + 1}/{len(self.runs)} " if len(self.runs) > 1 else ""
        contact = book.escalation.contact or "the escalation contact"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.cockpit.call_service(lambda svc: RunbookRuns(svc).escalate(state.id, book), self._escalated)

        def ask(text: str) -> None:
            self.app.push_screen(Confirm(f"Escalate {which}'{one_line(book.title)}' to {one_line(contact)} "
                                         f"({when})? Contact them; this records that you did, with this context.",
                                         writes=text), confirmed)

        self.cockpit.call_service(lambda svc: RunbookRuns(svc).escalation_text(state.id, book), ask)

    def _escalated(self, text: str) -> None:
        self.notify(text.splitlines()[0])
        self._reload()

    def action_back(self) -> None:
        self.app.pop_screen()
