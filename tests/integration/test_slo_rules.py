"""Rules from SLO files: `promtool check rules` accepts them, and `promtool test rules` shows the page alert
firing at a 14.4× burn within its window and not at 1× (nor just under 14.4×)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None,
                                reason="promtool (Debian's prometheus package) is not installed; "
                                       "scripts/install-system-deps.sh installs it when run as root")

SLO = '''\
service: shop
slis:
  - sli:
      name: availability
      prometheus:
        bad: 'http_requests_total{service="shop",code="500"}'
        total: 'http_requests_total{service="shop"}'
slos:
  - slo: {sli: availability, target: 99.9, window: 30d, runbook: https://runbooks.example.com/shop-errors}
'''


def _rules(tmp_path: Path) -> Path:
    (tmp_path / "shop.yaml").write_text(SLO, encoding="utf-8")
    out = tmp_path / "rules.yml"
    result = run_cli("slo", "rules", str(tmp_path / "shop.yaml"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_generated_rules_pass_promtool_check(tmp_path: Path):
    out = _rules(tmp_path)
    check = subprocess.run(["promtool", "check", "rules", str(out)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 8 rules found" in check.stdout  # 5 recording windows + 3 alerts
    alerts = [r for g in yaml.safe_load(out.read_text())["groups"] for r in g["rules"] if "alert" in r]
    assert all(a["annotations"]["runbook_url"] == "https://runbooks.example.com/shop-errors" for a in alerts)
    sample = run_cli("slo", "rules", str(ROOT / "sample_data" / "slos"))
    assert sample.returncode == 0, sample.stderr
    (tmp_path / "sample.yml").write_text(sample.stdout, encoding="utf-8")
    check = subprocess.run(["promtool", "check", "rules", str(tmp_path / "sample.yml")], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def _alert(name: str, severity: str, factor: str, short: str, long: str) -> dict[str, object]:
    return {"exp_labels": {"service": "shop", "slo": "availability", "severity": severity, "burn_rate_alert": name},
            "exp_annotations": {"summary": f"shop availability: error budget burning at {factor}x or faster over "
                                           f"{short} and {long} (SLO 99.9 % over 30d)",
                                "runbook_url": "https://runbooks.example.com/shop-errors"}}


def _case(bad_per_minute: int, minutes: int, eval_time: str, expected: dict[str, list[dict[str, object]]]) -> dict:
    return {
        "interval": "1m",
        "input_series": [
            {"series": 'http_requests_total{service="shop",code="200"}',
             "values": f"0+{10_000 - bad_per_minute}x{minutes}"},
            {"series": 'http_requests_total{service="shop",code="500"}', "values": f"0+{bad_per_minute}x{minutes}"},
        ],
        "alert_rule_test": [{"eval_time": eval_time, "alertname": f"SLOBurnRate_shop_availability_{name}",
                             "exp_alerts": alerts} for name, alerts in expected.items()],
    }


def test_promtool_shows_the_page_alert_at_14_4x_within_its_window_and_not_at_1x(tmp_path: Path):
    rules = _rules(tmp_path)
    fast = _alert("fast_burn", "page", "14.4", "5m", "1h")
    medium = _alert("medium_burn", "page", "6", "30m", "6h")
    slow = _alert("slow_burn", "ticket", "1", "6h", "3d")
    tests = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [
        # 144 bad of 10,000 a minute: 1.44 % errors, exactly 14.4× the 0.1 % budget: the page fires within the
        # hour, and the slower alerts (6×, 1×) with it
        _case(144, 120, "10m", {"fast_burn": [fast], "medium_burn": [medium], "slow_burn": [slow]}),
        _case(144, 120, "60m", {"fast_burn": [fast]}),
        # just under 14.4×: no fast page
        _case(143, 120, "60m", {"fast_burn": [], "medium_burn": [medium]}),
        # 1×: no page at all, only the slow-burn ticket
        _case(10, 120, "60m", {"fast_burn": [], "medium_burn": [], "slow_burn": [slow]}),
        # no traffic yet: nothing
        _case(144, 120, "0m", {"fast_burn": []}),
    ]}
    path = tmp_path / "tests.yml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_refuse_an_slo_without_a_runbook(tmp_path: Path):
    (tmp_path / "shop.yaml").write_text(SLO.replace(", runbook: https://runbooks.example.com/shop-errors", ""),
                                        encoding="utf-8")
    result = run_cli("slo", "rules", str(tmp_path / "shop.yaml"))
    assert result.returncode == 1
    assert "shop/availability: no runbook: every alert must have a runbook link" in result.stderr
