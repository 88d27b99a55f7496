"""SLO files: every mistake reported as file:line:column: field: problem, all of them, and OpenSLO accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.service.slo_files import load_file, load_library
from tests.conftest import ROOT, run_cli

GOOD = '''\
service: shop
slis:
  - sli:
      name: availability
      prometheus:
        good: 'http_requests_total{service="shop",code!~"5.."}'
        total: 'http_requests_total{service="shop"}'
slos:
  - slo:
      sli: availability
      target: 99.9
      window: 28d
'''


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    slos, errors, warnings = load_file(path, "shop.yaml")
    assert (slos == []) == bool(errors)
    return [str(p) for p in [*errors, *warnings]]


def test_a_good_file_has_no_problem(tmp_path: Path):
    assert _problems(tmp_path, GOOD) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("target: 99.9", "target: 100", "shop.yaml:11:15: slos[0].slo.target: 100 % leaves no error budget: don't aim "
                                    "for 100 %"),
    ("target: 99.9", "target: 101", "shop.yaml:11:15: slos[0].slo.target: 101 is above 100"),
    ("target: 99.9", "target: abc", "shop.yaml:11:15: slos[0].slo.target: 'abc' is not a number"),
    ("window: 28d", "window: 28x", "shop.yaml:12:15: slos[0].slo.window: '28x' is not a duration"),
    ("      window: 28d\n", "      window: 28d\n      burn_rate_alerts:\n        - {name: f, burn_rate: 14.4, "
     "short_window: 1h, long_window: 1h}\n", "shop.yaml:14:52: slos[0].slo.burn_rate_alerts[0].short_window: the "
     "short window (1h) must be shorter than the long window (1h)"),
    ("      window: 28d\n", "      window: 28d\n      colour: red\n",
     "shop.yaml:13:7: slos[0].slo.colour: unknown field"),
    ("target: 99.9", "target: !!python/object/apply:os.system ['true']",
     "shop.yaml:11:15: YAML syntax error: unsafe or unknown YAML tag refused"),
    ("target: 99.9", "target: !Ref 99.9", "shop.yaml:11:15: YAML syntax error: unsafe or unknown YAML tag refused"),
    ("      target: 99.9\n", "      target: 99.9\n      sla: 99.95\n", "shop.yaml:11:15: slos[0].slo.target: the SLO "
     "(99.9 %) must be stricter than the SLA (99.95 %)"),
    ("      target: 99.9\n", "      target: 99.9\n      sla: 99.85\n", "shop.yaml:12:12: slos[0].slo.sla: warning: "
     "only 0.05 points between the SLO (99.9 %) and the SLA (99.85 %)"),
    ("code!~\"5..\"}'", "code!~\"5..\"}[5m]) or vector(1)'", "shop.yaml:6:15: slis[0].sli.prometheus.good: is neither "
     "a series selector"),
    ("sli: availability\n      target", "sli: availabilty\n      target", "shop.yaml:10:12: slos[0].slo.sli: no SLI "
     "named 'availabilty'"),
])
def test_each_wrong_field_is_one_clear_line_naming_file_line_and_column(tmp_path: Path, old: str, new: str,
                                                                         expected: str):
    assert old in GOOD
    problems = _problems(tmp_path, GOOD.replace(old, new))
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_of_a_file_is_reported_not_just_the_first(tmp_path: Path):
    text = GOOD.replace("target: 99.9", "target: 100").replace("window: 28d", "window: 28x") + "colour: red\n"
    problems = _problems(tmp_path, text)
    assert len(problems) == 3, problems


def test_error_budget_fields_of_the_seed_template_are_checked(tmp_path: Path):
    text = GOOD.replace("window: 28d", "window: 28d\n      error_budget: 0.1\n      error_budget_minutes: 40")
    assert _problems(tmp_path, text) == []  # the seed's own numbers (40.3 minutes, written as 40)
    wrong = text.replace("error_budget_minutes: 40", "error_budget_minutes: 43.2")
    assert any("is 40.3 minutes for 99.9 % over 4w" in p for p in _problems(tmp_path, wrong))


def test_openslo_v1_ratio_metric_is_read(tmp_path: Path):
    path = tmp_path / "openslo.yaml"
    path.write_text('''\
apiVersion: openslo/v1
kind: SLO
metadata: {name: shop-availability}
spec:
  service: shop
  indicator:
    metadata: {name: availability}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{service="shop",code=~"5.."}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{service="shop"}'}}}
  timeWindow: [{duration: 4w, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: ok, target: 0.999}]
''', encoding="utf-8")
    slos, errors, _ = load_file(path)
    assert errors == []
    assert [(s.key, s.target, s.window.days, s.measure.bad != "") for s in slos] == [
        ("shop/availability", 99.9, 28, True)]
    path.write_text(path.read_text().replace("target: 0.999", "target: 1"), encoding="utf-8")
    _, errors, _ = load_file(path, "openslo.yaml")
    assert [str(e) for e in errors] == ["openslo.yaml:15:42: spec.objectives[0].target: 1 leaves no error budget: "
                                        "don't aim for 100 %"]


def test_the_sample_slo_library_is_valid():
    library = load_library([ROOT / "sample_data" / "slos"])
    assert library.problems == [] and library.warnings == []
    assert {s.service for s in library.slos} >= {"checkout-api"}


def test_cli_validate_prints_problems_and_exits_1(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("target: 99.9", "target: 101"), encoding="utf-8")
    result = run_cli("slo", "validate", str(bad), str(ROOT / "sample_data" / "slos"))
    assert result.returncode == 1
    assert f"{bad}:11:15: slos[0].slo.target: 101 is above 100" in result.stderr
    assert "1 problem(s) in 1 file(s)" in result.stderr
    ok = run_cli("slo", "validate", str(ROOT / "sample_data" / "slos"))
    assert ok.returncode == 0 and "valid" in ok.stdout
