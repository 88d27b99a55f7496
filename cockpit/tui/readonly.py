"""The cockpit served to a browser is read-only: which of the cockpit's actions a browser session may run.

One rule, applied in one place (``CockpitApp.run_action`` and ``CockpitApp.check_action``, when ``App.is_web``):
an action the cockpit defines runs only if a binding for it is listed below as safe (it moves, reads, searches,
copies or leaves). Everything else the cockpit defines is refused with a notice, including actions added later
and not yet listed here: a new key is read-only in the browser only once someone has said it is. Textual's own
actions (typing in a search box, scrolling, the command palette) are not the cockpit's and pass. Underneath, the
store refuses every write in a browser session (``Store.refuse_writes``), so text typed into the entry line and
submitted changes nothing either.
"""

from __future__ import annotations

from textual.actions import parse
from textual.binding import Binding
from textual.dom import DOMNode

#: Binding ids of actions that change nothing: safe in a read-only session.
READ_ONLY_SAFE: frozenset[str] = frozenset({
    "app.quit", "app.help", "app.incidents", "app.report", "app.conflicts",
    "list.open", "list.back",
    "main.focus_timeline", "main.focus_roles", "main.focus_severity", "main.focus_phase",
    "main.comms", "main.runbooks", "main.postmortem", "main.search", "main.filter", "main.clear",
    "main.local_only",
    "timeline.up", "timeline.down", "timeline.page_up", "timeline.page_down", "timeline.oldest", "timeline.newest",
    "timeline.open", "entry.close",
    "roles.up", "roles.down",
    "severity.up", "severity.down", "severity.left", "severity.right",
    "main.budget", "budget.close",
    "comms.initial", "comms.customer", "comms.resolution", "comms.copy", "comms.back", "copy.close",
    "runbook.copy", "runbook.next_run", "runbook.prev_run", "runbook.back",
    "postmortem.copy", "postmortem.full", "postmortem.back",
    "report.previous", "report.next", "report.go", "report.this_month", "report.back",
    "conflicts.back", "handoff.back", "declare.cancel",
    "app.services", "app.weekly", "services.readiness", "services.copy", "services.back",
    "readiness.copy", "readiness.back",
    "weekly.previous", "weekly.next", "weekly.go", "weekly.this_week", "weekly.copy", "weekly.back",
    "postmortem.meeting", "meeting.toggle", "meeting.next", "meeting.previous", "meeting.back",
    "help.close", "dialog.cancel", "dialog.no",
    "app.alerts", "alerts.back", "alerts.open", "alerts.up", "alerts.down", "alerts.page_up", "alerts.page_down",
    "alerts.first", "alerts.last",
    "app.improve", "improve.back", "improve.experiments", "improve.toil", "improve.capacity", "improve.reload",
    "gameday.back", "gameday.up", "gameday.down", "gameday.copy",
})

SENTENCE = ("This cockpit is open in a browser, read-only: changes are made from the cockpit in a terminal "
            "or the cockpit command.")


def _bindings(node: DOMNode) -> list[Binding]:
    found: list[Binding] = []
    for cls in type(node).__mro__:
        found += [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
    return found


def is_cockpit_action(node: DOMNode, action: str) -> bool:
    """Whether the cockpit (not Textual) defines ``action`` on ``node``."""
    for cls in type(node).__mro__:
        if f"action_{action}" in cls.__dict__ or f"_action_{action}" in cls.__dict__:
            return cls.__module__.startswith("cockpit.")
    return False


def refusal(node: DOMNode, action: str, params: tuple[object, ...], *origins: DOMNode) -> str | None:
    """Why ``action`` may not run on ``node`` in a read-only session, or None when it may.

    The action's bindings are looked up on ``node`` and on the nodes the key was pressed in (``origins``: a pane's
    binding may name its screen's action, as ``screen.phase_next`` does)."""
    if not is_cockpit_action(node, action):
        return None
    names: list[str] = []
    for holder in (node, *origins):
        for binding in _bindings(holder):
            _target, name, args = parse(binding.action)
            if name == action and tuple(args) == tuple(params):
                if binding.id in READ_ONLY_SAFE:
                    return None
                names.append(binding.description or action)
    what = f"“{names[0]}”" if names else "This action"
    return f"{what} is off: {SENTENCE}"
