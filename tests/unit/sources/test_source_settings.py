"""The SLO source's settings: a URL in sources.yaml (no secret there), the token from the variable or the keyring,
filed under the server's origin so it is never looked up for another server."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.errors import InvalidInput
from cockpit.sources.settings import delete_token, load_settings, save_settings, store_token, with_token
from tests.conftest import run_cli
from tests.unit.sync.test_settings import MemoryKeyring, memory_keyring  # noqa: F401  (fixture)


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COCKPIT_CONFIG", str(tmp_path / "config.yaml"))
    monkeypatch.delenv("COCKPIT_PROMETHEUS_URL", raising=False)
    monkeypatch.delenv("COCKPIT_PROMETHEUS_TOKEN", raising=False)
    return tmp_path


def test_url_is_checked_and_saved_without_a_secret(config_home: Path, memory_keyring: MemoryKeyring):  # noqa: F811
    assert load_settings() is None
    for bad in ("ftp://x", "prometheus:9090", "https://user:pw@prom.example.com/", "https://p.example.com/?a=1"):
        with pytest.raises(InvalidInput):
            save_settings(bad)
    settings = save_settings("https://prom.example.com/prometheus", timeout=3, refresh=30)
    assert (settings.url, settings.origin) == ("https://prom.example.com/prometheus/", "https://prom.example.com")
    store_token(settings, "tok-in-keyring")
    assert with_token(load_settings()).token == "tok-in-keyring"
    text = (config_home / "sources.yaml").read_text()
    assert "tok-in-keyring" not in text and "https://prom.example.com/prometheus/" in text
    # the same token is not offered to another server
    other = save_settings("https://other.example.com/")
    assert with_token(other).token is None
    assert delete_token(settings) and memory_keyring.items == {}


def test_variables_win_and_none_means_no_source(config_home: Path, monkeypatch: pytest.MonkeyPatch):
    save_settings("https://prom.example.com/")
    monkeypatch.setenv("COCKPIT_PROMETHEUS_TOKEN", "tok-from-env")
    assert with_token(load_settings()).token == "tok-from-env"
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "http://127.0.0.1:9090")
    assert load_settings().url == "http://127.0.0.1:9090/"
    monkeypatch.setenv("COCKPIT_PROMETHEUS_URL", "none")
    assert load_settings() is None


def test_a_broken_settings_file_names_file_line_and_field(config_home: Path):
    (config_home / "sources.yaml").write_text("prometheus:\n  url: http://x:9090/\n  timeout_seconds: 0\n")
    with pytest.raises(InvalidInput, match=r"sources.yaml:3:20: prometheus.timeout_seconds: must be seconds"):
        load_settings()


def test_cli_set_and_show_never_print_a_token(tmp_path: Path):
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml"), "COCKPIT_PROMETHEUS_TOKEN": "tok-secret-55"}
    result = run_cli("slo", "source", "set", "http://127.0.0.1:1/", "--timeout", "1", env=env)
    assert result.returncode == 0, result.stderr
    assert "note: Prometheus at http://127.0.0.1:1/ is unreachable (ConnectError). It is saved anyway" in result.stderr
    shown = run_cli("slo", "source", "show", env=env)
    assert shown.stdout.strip() == "Prometheus http://127.0.0.1:1/ (timeout 1 s, refresh every 60 s, token: set)"
    everything = result.stdout + result.stderr + shown.stdout + shown.stderr + (tmp_path / "sources.yaml").read_text()
    assert "tok-secret-55" not in everything


@pytest.mark.parametrize(("group", "name", "variable"), [("slo", "Prometheus", "COCKPIT_PROMETHEUS_TOKEN"),
                                                         ("alerts", "Alertmanager", "COCKPIT_ALERTMANAGER_TOKEN")])
def test_source_login_asks_nothing_a_keyring_cannot_keep(tmp_path: Path, group: str, name: str, variable: str):
    env = {"COCKPIT_CONFIG": str(tmp_path / "config.yaml")}
    unset = run_cli(group, "source", "show", env=env)
    assert unset.stdout.strip() == (f"No {name} configured: `cockpit {group} source set URL` "
                                    f"(or COCKPIT_{name.upper()}_URL).")
    assert run_cli(group, "source", "show", "--json", env=env).stdout.strip() == "null"
    first = run_cli(group, "source", "login", env=env, input_text="tok-123\n")
    assert first.returncode != 0 and f"Set the source first: `cockpit {group} source set URL`." in first.stderr
    assert run_cli(group, "source", "set", "http://127.0.0.1:1/", env=env).returncode == 0
    for backend, said in (("keyring.backends.fail.Keyring", f"No usable OS keyring on this machine; set {variable}"),
                          ("keyrings.alt.file.PlaintextKeyring", "keyrings.alt.file.PlaintextKeyring) is one keyring "
                                                                 "rates as not recommended")):
        refused = run_cli(group, "source", "login", env={**env, "PYTHON_KEYRING_BACKEND": backend,
                                                         "XDG_DATA_HOME": str(tmp_path)}, input_text="tok-123\n")
        assert refused.returncode != 0 and said in refused.stderr, refused.stderr
        assert "token for" not in refused.stdout + refused.stderr  # refused before anyone typed the token
        assert "Traceback" not in refused.stderr
    assert "tok-123" not in "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_an_unreachable_alertmanager_is_named_once(tmp_path: Path):
    result = run_cli("alerts", "source", "set", "http://127.0.0.1:1/", env={"COCKPIT_CONFIG": str(tmp_path / "c.yaml")})
    assert result.returncode == 0
    assert "note: Alertmanager at http://127.0.0.1:1/ unreachable (ConnectError). It is saved anyway" in result.stderr
    assert result.stderr.count("http://127.0.0.1:1/") == 1
