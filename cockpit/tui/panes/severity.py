"""The severity matrix: impact × scope with the current cell, trigger toggles, and why.

Moving the selection previews the result; Enter applies it after a confirmation (logged with its reason);
``=`` sets a severity by hand and asks why.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from cockpit.domain.incident import IncidentSnapshot
from cockpit.domain.severity import IMPACTS, MATRIX, SCOPES, TRIGGER_LABELS, Assessment, Triggers, classify
from cockpit.textsafe import literal

IMPACT_SHORT = ("core down", "degraded", "non-core", "cosmetic")
IMPACT_TINY = ("core", "degr.", "n-core", "cosm.")
SCOPE_SHORT = ("1 user", "<25%", ">25%", "all")
TRIGGER_KEYS = {"data_loss": "D", "security_pii": "P", "revenue": "R", "sla_breach": "S"}
TRIGGER_TINY = {"data_loss": "loss", "security_pii": "PII", "revenue": "rev", "sla_breach": "SLA"}
TRIGGER_SHORT = {"data_loss": "data loss", "security_pii": "PII", "revenue": "revenue", "sla_breach": "SLA"}


class SeverityPane(Widget, can_focus=True):
    COMPONENT_CLASSES = {"matrix--sev1", "matrix--sev2", "matrix--sev3", "matrix--sev4", "matrix--current",
                         "matrix--selected", "matrix--label", "matrix--on", "matrix--off", "matrix--why",
                         "matrix--proposal"}
    BINDINGS = [
        Binding("up,k", "move(-1, 0)", "Up", show=False, id="severity.up"),
        Binding("down,j", "move(1, 0)", "Down", show=False, id="severity.down"),
        Binding("left", "move(0, -1)", "Left", show=False, id="severity.left"),
        Binding("right", "move(0, 1)", "Right", show=False, id="severity.right"),
        Binding("D", "flip('data_loss')", "Data loss", show=False, id="severity.data_loss"),
        Binding("P", "flip('security_pii')", "PII breach", show=False, id="severity.security_pii"),
        Binding("R", "flip('revenue')", "Revenue", show=False, id="severity.revenue"),
        Binding("S", "flip('sla_breach')", "SLA breach", show=False, id="severity.sla_breach"),
        Binding("enter", "apply", "Apply severity", id="severity.apply"),
        Binding("equals_sign", "override", "Set by hand", id="severity.override"),
        Binding("v", "review_proposal", "Review proposal", show=False, id="severity.proposal"),
    ]

    class Apply(Message):
        def __init__(self, impact_index: int, scope_index: int, triggers: Triggers) -> None:
            super().__init__()
            self.impact = IMPACTS[impact_index]
            self.scope = SCOPES[scope_index]
            self.triggers = triggers

    class Override(Message):
        pass

    class ReviewProposal(Message):
        """The IC asked to review the proposed "SLA breach imminent" trigger (a confirmation follows)."""

        def __init__(self, reasons: tuple[str, ...]) -> None:
            super().__init__()
            self.reasons = reasons

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: IncidentSnapshot | None = None
        self.row = 0
        self.col = 0
        self.triggers = Triggers()
        self.proposal: tuple[str, ...] = ()  # why "SLA breach imminent" is proposed (from the SLO figures)

    def set_proposal(self, reasons: tuple[str, ...]) -> None:
        if reasons != self.proposal:
            self.proposal = reasons
            self.refresh(layout=True)

    @property
    def proposing(self) -> bool:
        return bool(self.proposal) and self.snapshot is not None and not self.snapshot.triggers.sla_breach

    def action_review_proposal(self) -> None:
        if self.proposing:
            self.post_message(self.ReviewProposal(self.proposal))
        else:
            self.app.notify("Nothing proposed: no SLO of this incident's services is burning fast or running out.")

    def show(self, snapshot: IncidentSnapshot, reset: bool) -> None:
        first = self.snapshot is None or self.snapshot.id != snapshot.id
        self.snapshot = snapshot
        if first or reset:
            self.row = IMPACTS.index(snapshot.impact)
            self.col = SCOPES.index(snapshot.scope)
            self.triggers = snapshot.triggers
        self.refresh(layout=True)

    @property
    def preview(self) -> Assessment:
        return classify(IMPACTS[self.row], SCOPES[self.col], self.triggers)

    @property
    def pending(self) -> bool:
        snap = self.snapshot
        return snap is not None and (
            IMPACTS[self.row] is not snap.impact or SCOPES[self.col] is not snap.scope
            or self.triggers != snap.triggers)

    def action_move(self, down: int, right: int) -> None:
        self.row = (self.row + down) % len(IMPACTS)
        self.col = (self.col + right) % len(SCOPES)
        self.refresh(layout=True)

    def action_flip(self, name: str) -> None:
        values = self.triggers.as_dict()
        values[name] = not values[name]
        self.triggers = Triggers(**values)
        self.refresh(layout=True)

    def action_apply(self) -> None:
        snap = self.snapshot
        if snap is not None and not self.pending and not snap.severity_overridden:
            self.notify("Nothing to apply: move to another cell or toggle a trigger (D P R S) first.",
                        severity="warning")
            return
        self.post_message(self.Apply(self.row, self.col, self.triggers))

    def action_override(self) -> None:
        self.post_message(self.Override())

    def on_resize(self) -> None:
        # what is drawn depends on the width (shorter labels when narrow), and so does the height it needs: the
        # height measured before the width settled would stay, with blank rows or cut ones, until something else
        # asked for a layout
        self.refresh(layout=True)

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("Loading…")
        style = self.get_component_rich_style
        width = self.size.width
        cell_w = 7 if width >= 38 else 6  # " SEV1 " with room for the [ ] and * * marks
        label_w = 10 if width >= 10 + 4 * cell_w else 6
        labels = IMPACT_SHORT if label_w == 10 else IMPACT_TINY
        text = Text()
        text.append(f"{'':<{label_w}}", style("matrix--label", partial=True))
        for label in SCOPE_SHORT:
            text.append(f"{label:^{cell_w}}", style("matrix--label", partial=True))
        text.append("\n")
        cur_row, cur_col = IMPACTS.index(snap.impact), SCOPES.index(snap.scope)
        for r, impact in enumerate(IMPACTS):
            text.append(f"{labels[r]:<{label_w}}", style("matrix--label", partial=True))
            for c, scope in enumerate(SCOPES):
                sev = MATRIX[impact][scope]
                cell_style = style(f"matrix--sev{sev.value}", partial=True)
                selected = self.has_focus and (r, c) == (self.row, self.col)
                current = (r, c) == (cur_row, cur_col)
                left, right = ("[", "]") if selected else ("*", "*") if current else (" ", " ")
                cell = Text(f"{left}{sev.label}{right}".ljust(cell_w), cell_style)
                if selected:
                    cell.stylize(style("matrix--selected", partial=True), 0, 6)
                elif current:
                    cell.stylize(style("matrix--current", partial=True), 0, 6)
                text.append_text(cell)
            text.append("\n")
        for name in TRIGGER_LABELS:
            on = self.triggers.as_dict()[name]
            mark = "☒" if on else "☐"
            label = TRIGGER_SHORT[name] if width >= 44 else TRIGGER_TINY[name]
            text.append(f"{mark}{TRIGGER_KEYS[name]} {label} ",
                        style("matrix--on" if on else "matrix--off", partial=True))
        text.append("\n")
        if self.proposing:
            more = f" (+{len(self.proposal) - 1} more)" if len(self.proposal) > 1 else ""
            # the key early: at 80x24 the pane cuts the end of this line; the trigger's name stays on one row
            text.append(f"⚠ SLA breach imminent (v: review): {literal(self.proposal[0])}{more}\n",
                        style("matrix--proposal", partial=True))
        if self.pending:
            text.append(f"Enter applies: {self.preview.explanation}", style("matrix--why", partial=True))
        else:
            text.append(f"Why: {literal(snap.severity_reason)}", style("matrix--why", partial=True))
        return text
