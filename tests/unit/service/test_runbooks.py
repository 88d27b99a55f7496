"""Runbook validation through the real command: every broken file gets its file:line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cockpit.domain.runbook import Position, Walk
from cockpit.service.runbooks import load_library, load_runbook
from tests.conftest import ROOT, run_cli

BAD = ROOT / "tests" / "data" / "runbooks_bad"
SAMPLES = ROOT / "sample_data" / "runbooks"


def validate(*paths: Path):
    result = run_cli("runbook", "validate", *map(str, paths))
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.parametrize(("name", "expected"), [
    ("bad_indent.yaml", "bad_indent.yaml:7:6: YAML syntax error: the indentation does not line up"),
    ("tabs.yaml", "tabs.yaml:3:1: YAML syntax error: a tab character is not allowed for indentation"),
    ("wrong_types.yaml", "wrong_types.yaml:9:14: diagnosis: must be a list of steps, not text"),
    ("wrong_types.yaml", "wrong_types.yaml:19:20: escalation.after_minutes: must be a whole number of minutes"),
    ("wrong_types.yaml", "wrong_types.yaml:16:18: mitigation[0].steps[0].shell: must be true or false"),
    ("wrong_types.yaml", "wrong_types.yaml:3:10: title: must be text, not a list"),
    ("missing_fields.yaml", "missing_fields.yaml:18:7: diagnosis[2].expected: this field is required"),
    ("missing_fields.yaml", "missing_fields.yaml:2:3: escalation: this field is required"),
    ("unknown_key.yaml", "unknown_key.yaml:12:7: diagnosis[0].comand: unknown field (did you mean 'command'?)"),
    ("unknown_key.yaml", "unknown_key.yaml:9:3: severity: unknown field"),
    ("empty.yaml", "empty.yaml:1:1: the file is empty"),
    ("binary.yaml", "binary.yaml:1:1: this is a binary file, not YAML"),
    ("python_tag.yaml", "python_tag.yaml:3:10: YAML syntax error: unsafe or unknown YAML tag refused"),
    ("auto_remediation_bad.yaml", "auto_remediation_bad.yaml:16:7: auto_remediation[0].acton: unknown field (did "
                                  "you mean 'action'?)"),
    ("auto_remediation_bad.yaml", "auto_remediation_bad.yaml:14:7: auto_remediation[0].action: this field is "
                                  "required"),
    ("auto_remediation_bad.yaml", "auto_remediation_bad.yaml:18:7: auto_remediation[1]: must be an "
                                  "auto-remediation entry"),
])
def test_each_broken_runbook_is_reported(name: str, expected: str) -> None:
    result = validate(BAD / name)
    assert result.returncode == 1
    assert expected in result.stderr
    assert not Path("/tmp/pwned").exists()


def test_problems_are_collected_not_stopped_at_the_first() -> None:
    result = validate(BAD / "wrong_types.yaml")
    lines = [line for line in result.stderr.splitlines() if "wrong_types.yaml:" in line]
    assert len(lines) == 5
    assert [int(line.split(":")[1]) for line in lines] == sorted(int(line.split(":")[1]) for line in lines)


def test_duplicate_ids_across_the_library() -> None:
    result = validate(BAD / "dup_a.yaml", BAD / "dup_b.yaml")
    assert result.returncode == 1
    assert "dup_b.yaml:2:7: id: duplicate id 'same-id' (also in" in result.stderr and "dup_a.yaml:2)" in result.stderr


def test_a_ten_megabyte_file(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_text("runbook:\n  title: x\n" + "# padding\n" * 1_100_000)
    result = validate(huge)
    assert result.returncode == 1 and "huge.yaml:1:1: the file is" in result.stderr and "the limit is" in result.stderr


def test_the_seeds_template_is_valid_as_written() -> None:
    result = validate(ROOT / "tests" / "data" / "seed_runbook_template.yaml")
    assert result.returncode == 0, result.stderr


def test_the_sample_runbooks_are_valid_and_cover_the_seed_failure_modes() -> None:
    result = validate(*sorted(SAMPLES.glob("*.yaml")))
    assert result.returncode == 0, result.stderr
    library = load_library([SAMPLES])
    assert len(library.runbooks) >= 6
    ids = " ".join(b.id for b in library.runbooks)
    for mode in ("pool", "disk", "cert", "crash", "5xx", "429"):
        assert mode in ids


def test_new_writes_a_valid_skeleton_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "my-alert.yaml"
    assert run_cli("runbook", "new", str(target), "--title", "My alert").returncode == 0
    assert validate(target).returncode == 0
    book, _ = load_runbook(target)
    assert book is not None and book.id == "my-alert" and book.title == "My alert"
    again = run_cli("runbook", "new", str(target))
    assert again.returncode != 0 and "already exists" in again.stderr


def test_list_show_and_suggest(tmp_path: Path) -> None:
    env = {"COCKPIT_RUNBOOK_DIRS": str(SAMPLES)}
    listed = json.loads(run_cli("runbook", "list", "--json", env=env).stdout)
    assert {"id", "title", "alert_name", "services"} <= set(listed[0])
    first = listed[0]["id"]
    shown = run_cli("runbook", "show", first, env=env)
    assert shown.returncode == 0 and "Diagnosis:" in shown.stdout and "Escalation:" in shown.stdout
    missing = run_cli("runbook", "show", "no-such-runbook", env=env)
    assert missing.returncode == 3 and "No runbook 'no-such-runbook'" in missing.stderr
    db = tmp_path / "c.db"
    ref = run_cli("incident", "open", "Checkout 500s", "--impact", "core-down", "--scope", "all",
                  "--service", "checkout-api", db=db).stdout.splitlines()[-1]
    run_cli("note", ref, "PagerDuty CheckoutErrorRateHigh fired; pgbouncer pool at 160/160", db=db)
    suggested = json.loads(run_cli("runbook", "suggest", ref, "--json", db=db, env=env).stdout)
    ids = [s["id"] for s in suggested]
    assert ids[0] == "checkout-error-rate-high"  # its alert name appears in the timeline
    assert "db-connection-pool-exhausted" in ids  # shares the service


def test_walk_moves_through_diagnosis_then_a_chosen_option() -> None:
    book, problems = load_runbook(ROOT / "tests" / "data" / "seed_runbook_template.yaml")
    assert book is not None and not problems
    walk = Walk(book)
    assert walk.current() is book.diagnosis[0] and walk.progress() == (0, 3)
    for _ in range(3):
        walk.position = walk.advance()
    assert walk.awaiting_option and walk.current() is None
    assert walk.choose(0) == Position("done")  # the seed's options have no steps yet


def test_the_library_comes_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"runbook_dirs:\n  - {SAMPLES}\n")
    result = run_cli("runbook", "list", "--json", env={"COCKPIT_CONFIG": str(config), "COCKPIT_RUNBOOK_DIRS": ""})
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) >= 6


@pytest.mark.parametrize(("text", "expected"), [
    ("runbook:\n  id: &a [*a]\n", "id: '"),                        # a recursive alias
    ("a: " + "[" * 200 + "]" * 200 + "\n", "nested more than 64 levels deep"),
    ("runbook:\n  id: \"abc\\n\"\n", "is not a usable id"),        # no trailing newline sneaks past the pattern
    ("runbook:\n  title: \"nul \\0 here\"\n", "contains a NUL character"),
])
def test_hostile_yaml_is_a_problem_not_a_crash(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    result = validate(path)
    assert result.returncode == 1 and expected in result.stderr


def test_a_billion_laughs_is_cheap(tmp_path: Path) -> None:
    import time

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(8):
        name, prev = chr(98 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    result = validate(path)
    assert result.returncode == 1 and time.monotonic() - started < 10


def test_auto_remediation_entries_are_read_and_kept_with_a_run() -> None:
    from cockpit.domain.runbook import AutoRemediation, as_data, from_data
    from cockpit.service.runbooks import load_library

    book = load_library([SAMPLES]).get("pod-crash-loop")
    assert book.auto_remediation == (AutoRemediation("pod_crash_loop", "restart_count > 3 in 10 min",
                                                     "Delete pod, let scheduler reschedule",
                                                     "Still crashing after 3 auto-remediations"),)
    again = from_data(as_data(book))  # a run keeps its own copy of the runbook
    assert again is not None and again.auto_remediation == book.auto_remediation
