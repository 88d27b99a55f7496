"""The improvement loops' arithmetic and rules, against answers computed by hand (in the comments)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cockpit.domain import capacity, chaos, toil


# --- toil: the seed's priority matrix, every band boundary and every cell ---------------------------------
@pytest.mark.parametrize(("hours", "band"), [
    (10.01, "high"), (10.0, "medium"),  # high is "> 10 hrs/mo": 10 itself is medium
    (2.0, "medium"), (1.99, "low"),  # medium is "2-10": 2 itself is medium
    (0.0, "low"), (500.0, "high"),
])
def test_value_bands_at_their_boundaries(hours: float, band: str) -> None:
    assert toil.value_band(hours) == band


@pytest.mark.parametrize(("hours", "difficulty", "cell"), [
    (12, "low", "do first"), (12, "medium", "do second"), (12, "high", "plan"),
    (10, "low", "do second"), (10, "medium", "plan"), (10, "high", "evaluate"),
    (2, "low", "do second"), (2, "medium", "plan"), (2, "high", "evaluate"),
    (1.5, "low", "quick win"), (1.5, "medium", "skip"), (1.5, "high", "skip"),
])
def test_every_cell_of_the_matrix(hours: float, difficulty: str, cell: str) -> None:
    assert toil.matrix_cell(hours, difficulty) == cell


def test_total_hours_and_priority_score() -> None:
    # 90 minutes, 8 times a month: 720 min = 12 h; medium effort (2): score 12 / 2 = 6
    item = toil.ToilItem("deploys", "deployment", "weekly", 90, 8, "medium")
    assert item.total_hours == 12.0 and item.score == 6.0 and item.cell == "do second"
    # 20 minutes daily (30 a month): 600 min = 10 h; high effort (3): 10 / 3 = 3.333…; 10 h is medium: evaluate
    fixes = toil.ToilItem("data fixes", "data", "daily", 20, 30, "high")
    assert fixes.total_hours == 10.0 and fixes.score == pytest.approx(3.3333333) and fixes.cell == "evaluate"
    # automation value given: it, not the total, sets the band and the score (4 h saved, low effort: 4)
    partial = toil.ToilItem("certs", "config", "monthly", 60, 12, "low", value_hours=4)
    assert partial.total_hours == 12.0 and partial.value == 4 and partial.score == 4.0 and partial.cell == "do second"


def test_ranking_by_cell_then_score() -> None:
    items = [toil.ToilItem("skip me", "", "", 10, 6, "high"),  # 1 h, high: skip
             toil.ToilItem("quick", "", "", 30, 3, "low"),  # 1.5 h, low: quick win, score 1.5
             toil.ToilItem("first", "", "", 60, 11, "low"),  # 11 h, low: do first
             toil.ToilItem("second a", "", "", 60, 12, "medium"),  # 12 h medium: do second, score 6
             toil.ToilItem("second b", "", "", 60, 8, "low")]  # 8 h low: do second, score 8
    assert [i.name for i in toil.ranked(items)] == ["first", "second b", "second a", "quick", "skip me"]


def test_toil_budget_at_exactly_25_percent_is_over() -> None:
    # two items of 120 min × 40 = 80 h each: 160 h of 640 = 25.0 %: the seed's target is *under* 25 %
    items = [toil.ToilItem("a", "", "", 120, 40, "low"), toil.ToilItem("b", "", "", 120, 40, "low")]
    verdict = toil.budget(items, 640)
    assert verdict.toil_hours == 160 and verdict.pct == 25.0 and verdict.over
    assert "over the 25 % toil budget" in verdict.sentence()
    # 60 min × 159 = 159 h of 640 = 24.84 %: within
    under = toil.budget([toil.ToilItem("c", "", "", 60, 159, "low")], 640)
    assert under.pct == pytest.approx(24.84375) and not under.over
    assert "within the 25 % toil budget" in under.sentence()


def test_toil_report_ranks_and_flags() -> None:
    inventory = toil.ToilInventory("sre", 100, [toil.ToilItem("x", "", "", 60, 30, "low")])  # 30 h of 100: 30 %
    report = toil.report(inventory)
    assert report["budget"]["pct_of_team_time"] == 30.0 and report["budget"]["over"] is True
    assert report["items"][0]["cell"] == "do first"
    assert toil.report(inventory, team_hours=200)["budget"]["over"] is False  # 15 %


# --- capacity: compound growth, the threshold month, costs -------------------------------------------------
def test_compound_growth_projections() -> None:
    # 100 growing 10 % a month: 1.1^6 = 1.771561, 1.1^12 = 3.138428376721
    assert capacity.grow(100, 10, 6) == pytest.approx(177.1561)
    assert capacity.grow(100, 10, 12) == pytest.approx(313.8428376721)
    assert capacity.grow(100, 0, 12) == 100
    assert capacity.grow(100, -10, 2) == pytest.approx(81.0)  # 0.9^2


@pytest.mark.parametrize(("peak", "growth", "threshold", "month"), [
    (50, 10, 80, 5),  # 50·1.1^4 = 73.205 < 80 ≤ 50·1.1^5 = 80.5255
    (40, 100, 80, 1),  # 40·2 = 80: reaching the threshold exactly counts
    (80, 5, 80, 0),  # already at it
    (95, 5, 80, 0),  # already above it
    (81, 2, 85, 3),  # 81·1.02^2 = 84.27 < 85 ≤ 81·1.02^3 = 85.96
    (60, 0, 80, None),  # no growth: never
    (60, -5, 80, None),  # shrinking: never
    (1, 1, 99, None),  # log(99)/log(1.01) = 461.8 months: beyond the ten-year horizon
])
def test_threshold_month(peak: float, growth: float, threshold: float, month: int | None) -> None:
    assert capacity.threshold_month(peak, growth, threshold) == month


def test_projection_of_a_model() -> None:
    model = capacity.CapacityModel(service="log-store", bottleneck="storage", peak_pct=81, growth_pct=2,
                                   current=8100, cost=3100, scale_up=85, as_of=date(2026, 11, 1))
    p = capacity.project(model)
    assert p.headroom_pct == 19
    assert p.projected_6mo == pytest.approx(8100 * 1.126162419264)  # 1.02^6
    assert p.cost_12mo == pytest.approx(3100 * 1.268241794562545)  # 1.02^12 = 3931.55
    assert p.threshold_month == 3 and p.threshold_date == date(2027, 2, 1)  # November + 3 months
    assert "month 3 (2027-02)" in p.runway()
    # a peak read from Prometheus replaces the file's: 84.5·1.02 = 86.19 ≥ 85 in month 1
    assert capacity.project(model, peak_pct=84.5).threshold_month == 1
    assert capacity.add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


# --- chaos: ranges, the Game Day walk, maturity -----------------------------------------------------------
def test_acceptable_ranges() -> None:
    below = chaos.parse_range("< 0.01")
    assert below is not None and below.holds(0.0099) and not below.holds(0.01)
    at_most = chaos.parse_range("<= 500ms")
    assert at_most is not None and at_most.holds(500) and not at_most.holds(500.1)
    at_least = chaos.parse_range(">= 0.95")
    assert at_least is not None and at_least.holds(0.95) and not at_least.holds(0.9499)
    between = chaos.parse_range("0.1..0.5")
    assert between is not None and between.holds(0.1) and between.holds(0.5) and not between.holds(0.51)
    assert chaos.parse_range("low") is None and chaos.parse_range("5..1") is None


def test_every_library_template_is_a_valid_experiment_once_filled_in() -> None:
    import yaml

    assert len(chaos.LIBRARY) == 12 and len({e.slug for e in chaos.LIBRARY}) == 12
    for entry in chaos.LIBRARY:
        data = yaml.safe_load(chaos.template_text(entry, "checkout-api"))
        made, issues = chaos.validate(data)
        assert made is None and issues == [(("experiment", "safety", "rollback_plan"),
                                             "is empty: say how the fault is removed if an abort condition hits")]
        data["experiment"]["safety"]["rollback_plan"] = "undo it"
        made, issues = chaos.validate(data)
        assert issues == [] and made is not None and made.target == "checkout-api", entry.slug
        assert made.fault_type == entry.fault_type and len(made.abort_conditions) == 3


T = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_game_day_state_from_its_timeline() -> None:
    m = timedelta(minutes=1)
    assert chaos.game_day_state([]).stage == chaos.STAGES[0]
    walked = [(T, {"gameday": "pregame"}), (T + m, {"gameday": "baseline"}), (T + 2 * m, {"gameday": "announce"}),
              (T + 3 * m, {"gameday": "inject"}), (T + 4 * m, {})]
    state = chaos.game_day_state(walked)
    assert state.fault_on and state.stage is not None and state.stage.key == "observe"
    aborted = chaos.game_day_state([*walked, (T + 9 * m, {"gameday": "abort", "condition": "5xx above 5 %"})])
    assert aborted.aborted and aborted.abort_reason == "5xx above 5 %" and not aborted.fault_on
    assert aborted.removed_at == T + 9 * m and aborted.stage is not None and aborted.stage.key == "recovery"
    done = chaos.game_day_state([*walked, (T + 30 * m, {"gameday": "remove"}), (T + 31 * m, {"gameday": "recovery"}),
                                 (T + 40 * m, {"gameday": "results"})])
    assert done.stage is None and not done.aborted


def test_steady_state_range_check() -> None:
    metric = chaos.SteadyMetric("5xx", "", "< 0.01", "q", chaos.parse_range("< 0.01"))
    assert chaos.check_range(metric, [0.001, 0.002])[0]
    ok, line = chaos.check_range(metric, [0.001, 0.02, 0.03])
    assert not ok and "2 of 3 readings outside < 0.01" in line and "worst 0.03" in line
    assert chaos.check_range(metric, []) == (False, "5xx: no data")


TODAY = date(2026, 11, 22)


def _run(days_ago: float, env: str = "staging", **kw: bool) -> chaos.Run:
    return chaos.Run(datetime(2026, 11, 22, 12, tzinfo=UTC) - timedelta(days=days_ago), env, **kw)


def test_maturity_levels_from_history() -> None:
    assert chaos.maturity([], TODAY)[0] == 0
    assert chaos.maturity([_run(10)], TODAY)[0] == 1  # one run: exploratory
    assert chaos.maturity([_run(10, completed=False)], TODAY) == (1, "runs started, none completed yet")
    # the 30-day periods end at the end of today (2026-11-23 00:00): 10, 40 and 70 days ago fall in each one
    systematic = [_run(10), _run(40), _run(70)]
    assert chaos.maturity(systematic, TODAY)[0] == 2
    assert chaos.maturity([_run(10), _run(40), _run(100)], TODAY)[0] == 1  # a gap in the third period
    production = [*systematic, _run(5, "production")]
    assert chaos.maturity(production, TODAY)[0] == 3
    assert chaos.maturity([_run(10), _run(40), _run(70, "production")], TODAY)[0] == 3  # 70 days: within 90
    assert chaos.maturity([_run(10), _run(40), _run(70), _run(95, "production")], TODAY)[0] == 2  # 95: too old
    automated = [_run(d, "production", automated=True, watched=True) for d in (1, 8, 15, 22)]
    assert chaos.maturity([*production, *automated], TODAY)[0] == 4
    assert chaos.maturity([*production, *automated[:3]], TODAY)[0] == 3  # three automated runs are not four
    unwatched = [_run(d, "production", automated=True) for d in (1, 8, 15, 22)]
    assert chaos.maturity([*production, *unwatched], TODAY)[0] == 3  # no safety controls: not continuous
