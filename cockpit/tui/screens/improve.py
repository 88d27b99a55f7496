"""The improvement loops on one screen (``G``): chaos experiments and Game Days (with each service's chaos
maturity), the toil inventory ranked by the seed's matrix against the 25 % budget, and capacity runways.
Reading only; Enter on an experiment or a Game Day opens the Game Day walker, where every write is confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.domain import chaos
from cockpit.domain.toil import CELL_ORDER
from cockpit.textsafe import one_line
from cockpit.tui.footer import CockpitFooter
from cockpit.tui.host import CockpitHost, host_of

if TYPE_CHECKING:
    from cockpit.service.gamedays import GameDay
    from cockpit.service.incidents import IncidentService

VIEWS = ("experiments", "toil", "capacity")
TITLES = {"experiments": "Experiments & Game Days", "toil": "Toil", "capacity": "Capacity"}


@dataclass
class ImproveData:
    experiments: list[chaos.Experiment] = field(default_factory=list)
    game_days: list[GameDay] = field(default_factory=list)
    maturity: dict[str, tuple[int, str]] = field(default_factory=dict)
    toil: list[dict[str, Any]] = field(default_factory=list)
    capacity: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    folders: dict[str, list[Path]] = field(default_factory=dict)


def load_improve(app: CockpitHost, svc: IncidentService, with_prometheus: bool = True) -> ImproveData:
    """Everything the screen shows, read off the screen's thread."""
    from cockpit.domain.toil import merge
    from cockpit.domain.toil import report as toil_report
    from cockpit.service import improve_files as files
    from cockpit.service.gamedays import GameDays
    from cockpit.sources.capacity import reports as capacity_reports

    config = app.config
    folders = {kind: files.folders(kind, getattr(config, f"{kind}_dirs")) for kind in ("chaos", "toil", "capacity")}
    data = ImproveData(folders=folders)
    loaded = files.experiments(folders["chaos"])
    data.experiments = [e for _, e in loaded.items]
    data.problems += [str(p) for p in loaded.problems]
    days = GameDays(svc)
    data.game_days = days.all()
    now = app.clock()
    services = sorted({e.target for e in data.experiments} | {d.service for d in data.game_days})
    data.maturity = days.maturity(services, now.date())
    inventories = files.toil_inventories(folders["toil"])
    data.problems += [str(p) for p in inventories.problems]
    data.toil = [toil_report(inv) for inv in merge([i for _, i in inventories.items]).values()]
    models = files.capacity_models(folders["capacity"])
    data.problems += [str(p) for p in models.problems]
    reports, notes = capacity_reports([m for _, m in models.items], now, use_prometheus=with_prometheus)
    data.capacity = reports
    data.problems += notes
    return data


class ImproveScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="improve.back"),
        Binding("1", "view('experiments')", "Experiments", id="improve.experiments"),
        Binding("2", "view('toil')", "Toil", id="improve.toil"),
        Binding("3", "view('capacity')", "Capacity", id="improve.capacity"),
        Binding("r", "reload", "Reload", show=False, id="improve.reload"),
    ]

    def __init__(self, view: str = "experiments") -> None:
        super().__init__()
        self.view = view
        self.data = ImproveData()
        self.loaded = False

    @property
    def cockpit(self) -> CockpitHost:
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="improve-tabs")
        yield OptionList(id="improve-list")
        with VerticalScroll(id="improve-body"):
            yield Static(id="improve-detail")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        app = self.cockpit
        self.cockpit.call_service(lambda svc: load_improve(app, svc), self._loaded, group="improve")

    def _loaded(self, data: ImproveData) -> None:
        self.data, self.loaded = data, True
        for problem in data.problems[:3]:
            self.notify(f"Skipped: {problem}", severity="warning", timeout=8)
        self._show()

    def action_view(self, view: str) -> None:
        self.view = view
        self._show()

    def action_back(self) -> None:
        self.dismiss(None)

    # --- what is shown -------------------------------------------------------------------------
    def _show(self) -> None:
        tabs = Text()
        for index, view in enumerate(VIEWS, 1):
            style = "reverse bold" if view == self.view else ""
            tabs.append(f" {index} {TITLES[view]} ", style=style)
            tabs.append(" ")
        self.query_one("#improve-tabs", Static).update(tabs)
        options = self.query_one("#improve-list", OptionList)
        options.display = self.view == "experiments"
        detail = self.query_one("#improve-detail", Static)
        if not self.loaded:
            detail.update(Text("Loading…"))
            return
        if self.view == "experiments":
            self._experiments(options)
            self._experiment_detail()
        elif self.view == "toil":
            detail.update(self._toil())
        else:
            detail.update(self._capacity())

    def _experiments(self, options: OptionList) -> None:
        keep = options.highlighted
        options.clear_options()
        for index, day in enumerate(d for d in self.data.game_days if d.state.stage is not None):
            stage = day.state.stage
            assert stage is not None
            options.add_option(Option(Text(one_line(f"▶ {day.ref} {day.experiment} — next: {stage.key}")),
                                      id=f"day:{index}"))
        for index, e in enumerate(self.data.experiments):
            outcome = e.results.outcome or "not run"
            options.add_option(Option(Text(one_line(f"{e.name} [{e.target}, {e.environment}] {outcome}")),
                                      id=f"exp:{index}"))
        if options.option_count:
            options.highlighted = min(keep or 0, options.option_count - 1)
            options.focus()

    def _open_days(self) -> list[GameDay]:
        return [d for d in self.data.game_days if d.state.stage is not None]

    def _chosen(self) -> tuple[str, int] | None:
        options = self.query_one("#improve-list", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        option = options.get_option_at_index(options.highlighted)
        kind, _, index = str(option.id).partition(":")
        return kind, int(index)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._experiment_detail()

    def _experiment_detail(self) -> None:
        detail = self.query_one("#improve-detail", Static)
        chosen = self._chosen()
        if not self.data.experiments and not self.data.game_days:
            where = ", ".join(str(p) for p in self.data.folders.get("chaos", [])) or "no chaos_dirs configured"
            detail.update(Text(one_line(f"No chaos experiments ({where}). `cockpit chaos new FILE --from "
                                        "db-latency-200ms` writes one; chaos_dirs in the config file (or "
                                        "COCKPIT_CHAOS_DIRS) says where.")))
            return
        text = Text()

        def line(value: str, style: str = "") -> None:
            text.append(one_line(value) + "\n", style=style)  # text from files and people: shown literally

        if chosen is not None and chosen[0] == "day":
            day = self._open_days()[chosen[1]]
            stage = day.state.stage
            line(f"Game Day {day.ref}: {day.experiment}", "bold")
            line(f"{day.service} ({day.environment}) · started {day.declared_at:%Y-%m-%d %H:%M}Z")
            line(f"Next: {stage.title if stage else 'done'}")
            if day.state.fault_on:
                line("The fault is ON.", "bold reverse")
            line("")
            line("Enter: continue the Game Day", "dim")
        elif chosen is not None:
            e = self.data.experiments[chosen[1]]
            level, why = self.data.maturity.get(e.target, (0, chaos.MATURITY_ACTIVITIES[0]))
            line(e.name, "bold")
            line(e.hypothesis)
            line(f"{e.fault_type} fault on {e.target} ({e.environment}), {e.blast_radius or 'blast radius —'}, "
                 f"{int(e.duration.total_seconds() // 60)} min")
            line("Steady state: " + "; ".join(f"{m.name} {m.acceptable_range}" for m in e.metrics))
            line("Abort if: " + "; ".join(a.name + (" [PromQL]" if a.query else "") for a in e.abort_conditions))
            line(f"Rollback: {e.rollback_plan}")
            if e.results.outcome:
                line(f"Last result: {e.results.outcome}")
            line(f"{e.target}: chaos maturity {level} ({chaos.MATURITY[level]}): {why}")
            line("Enter: walk it as a Game Day", "dim")
        detail.update(text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        from cockpit.tui.screens.gameday import GameDayScreen

        chosen = self._chosen()
        if chosen is None:
            return
        if chosen[0] == "day":
            day = self._open_days()[chosen[1]]
            experiment = next((e for e in self.data.experiments if e.source == day.source), None)
            self.app.push_screen(GameDayScreen(experiment, day.incident_id), lambda _: self.action_reload())
            return
        experiment = self.data.experiments[chosen[1]]
        open_day = next((d for d in self._open_days() if d.source == experiment.source), None)
        self.app.push_screen(GameDayScreen(experiment, open_day.incident_id if open_day else None),
                             lambda _: self.action_reload())

    def _toil(self) -> Text | Table:
        if not self.data.toil:
            where = ", ".join(str(p) for p in self.data.folders.get("toil", [])) or "no toil_dirs configured"
            return Text(f"No toil inventory ({where}). `cockpit toil add FILE --team NAME …` starts one.")
        out = Table.grid(padding=(0, 1))
        out.add_column()
        for rep in self.data.toil:
            table = Table(title=one_line(f"{rep['team']}: {rep['toil_hours_per_month']:.1f} h a month, ranked by the "
                                         "seed's priority matrix"),
                          title_justify="left", title_style="bold", expand=True, box=box.SIMPLE_HEAD,
                          show_edge=False, pad_edge=False)
            table.add_column("Cell", no_wrap=True)
            table.add_column("h/mo", justify="right", no_wrap=True)
            table.add_column("Score", justify="right", no_wrap=True)
            table.add_column("Effort", no_wrap=True)
            table.add_column("Toil", ratio=1)
            for cell in CELL_ORDER:
                for row in (r for r in rep["items"] if r["cell"] == cell):
                    table.add_row(cell, f"{row['total_hours_per_month']:.1f}", f"{row['priority_score']:.2f}",
                                  row["difficulty"], Text(one_line(row["name"])))
            out.add_row(table)
            budget = rep.get("budget")
            if budget:
                style = "bold reverse" if budget["over"] else ""
                out.add_row(Text(("OVER BUDGET: " if budget["over"] else "") + budget["sentence"], style=style))
            else:
                out.add_row(Text("No team hours: the 25 % toil budget is not checked."))
            out.add_row(Text(""))
        return out

    def _capacity(self) -> Text:
        if not self.data.capacity:
            where = ", ".join(str(p) for p in self.data.folders.get("capacity", [])) or "no capacity_dirs configured"
            return Text(one_line(f"No capacity models ({where})."))
        text = Text()

        def line(value: str, style: str = "") -> None:
            text.append(one_line(value), style=style)
            text.append("\n")

        for rep in sorted(self.data.capacity, key=lambda r: (r["threshold_month"] is None, r["threshold_month"] or 0)):
            soon = rep["threshold_month"] is not None and rep["threshold_month"] <= 3
            text.append(one_line(rep["service"]), style="bold")
            line(f" ({rep['bottleneck_resource'] or '—'}): peak {rep['peak_utilization_pct']:.1f} % "
                 f"({rep['peak_from']}), headroom {rep['headroom_pct']:.1f} %, growth "
                 f"{rep['monthly_growth_pct']:g} %/mo")
            line(f"{'⚠ ' if soon else ''}{rep['runway']} (threshold {rep['scale_up_threshold']:g} %)",
                 "bold reverse" if soon else "bold")
            cost = rep["cost_projection"]
            line(f"utilisation {rep['utilization_6mo_pct']:.0f} % in 6 mo, {rep['utilization_12mo_pct']:.0f} % in 12 · "
                 f"cost ${cost['current_monthly']:,.0f} → ${cost['projected_12mo_monthly']:,.0f} a month in 12")
            done = sum(1 for row in rep["checklist"] if row["done"])
            missing = [row["item"] for row in rep["checklist"] if not row["done"]]
            line(f"checklist {done}/{len(rep['checklist'])} done; not yet: {', '.join(missing[:4])}"
                 + ("…" if len(missing) > 4 else ""), "dim")
            text.append("\n")
        return text
