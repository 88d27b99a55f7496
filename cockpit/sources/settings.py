"""Where the live SLO figures come from: ``sources.yaml`` beside the config file (no secret in it).

```yaml
prometheus:
  url: https://prometheus.example.com/     # COCKPIT_PROMETHEUS_URL overrides it
  timeout_seconds: 5
  refresh_seconds: 60
```

The optional bearer token comes from ``COCKPIT_PROMETHEUS_TOKEN`` or from the OS keyring, where it is filed under
the server's origin: a token saved for one server is never looked up for another.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from cockpit.config import config_path
from cockpit.errors import CockpitError, InvalidInput
from cockpit.keyring_store import delete_secret, read_secret, write_secret
from cockpit.yamldoc import YamlDocument, read_yaml

TOKEN_VARIABLE = "COCKPIT_PROMETHEUS_TOKEN"
URL_VARIABLE = "COCKPIT_PROMETHEUS_URL"
DEFAULT_TIMEOUT = 5.0
DEFAULT_REFRESH = 60.0


class SourceLoginNeeded(CockpitError):
    exit_code = 7


@dataclass(frozen=True)
class PrometheusSettings:
    url: str
    timeout_seconds: float = DEFAULT_TIMEOUT
    refresh_seconds: float = DEFAULT_REFRESH
    token: str | None = field(default=None, repr=False, compare=False)

    @property
    def origin(self) -> str:
        return origin_of(self.url)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sources_path() -> Path:
    return config_path().parent / "sources.yaml"


def check_url(url: str) -> str:
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"'{url}' is not a Prometheus URL: give its http(s) address, e.g. http://127.0.0.1:9090/.")
    if parts.username or parts.password:
        raise InvalidInput("Put no user name or password in the URL; use `cockpit slo source login` for a token.")
    if parts.query or parts.fragment:
        raise InvalidInput(f"'{url}' has a query or fragment; give the server's base address only.")
    return text.rstrip("/") + "/"


@dataclass(frozen=True)
class SettingsSection:
    """The one section (``prometheus:``, ``alertmanager:``) of a live source's settings file, read and checked
    for unknown keys and a text ``url``; its own checks name the file, line and field."""

    doc: YamlDocument
    data: dict[str, Any]
    section: str
    label: str  # "Source settings", "Alert source settings"

    def fail(self, path: tuple[Any, ...], message: str, at_key: bool = False) -> InvalidInput:
        return InvalidInput(f"{self.label} {self.doc.problem((self.section, *path), message, at_key=at_key)}")

    def number(self, key: str, default: float, low: float, high: float, unit: str = "a number") -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not low <= value <= high:
            raise self.fail((key,), f"must be {unit} from {low:g} to {high:g}")
        return float(value)


def read_section(path: Path, section: str, label: str, known: Sequence[str],
                 url_required: bool = False) -> SettingsSection | None:
    """The file's ``section``, or None when there is no file."""
    if not path.exists():
        return None
    doc, problems = read_yaml(path)
    if problems or doc is None:
        raise InvalidInput(f"{label} {problems[0]}")
    data = doc.data or {}
    body = data.get(section) if isinstance(data, dict) else None
    if not isinstance(body, dict):
        raise InvalidInput(f"{label} {doc.problem((section,), 'must be a mapping with url')}")
    found = SettingsSection(doc, body, section, label)
    for key in body:
        if key not in known:
            raise found.fail((key,), "unknown setting", at_key=True)
    if not isinstance(body.get("url", None if url_required else ""), str):
        raise found.fail(("url",), "must be the server address")
    return found


def load_settings(path: Path | None = None) -> PrometheusSettings | None:
    """The configured Prometheus (the URL variable wins over the file); None when there is none."""
    timeout, refresh, url = DEFAULT_TIMEOUT, DEFAULT_REFRESH, ""
    prom = read_section(path or sources_path(), "prometheus", "Source settings",
                        ("url", "timeout_seconds", "refresh_seconds"), url_required=True)
    if prom is not None:
        url = prom.data["url"]
        timeout = prom.number("timeout_seconds", DEFAULT_TIMEOUT, 0.1, 60, unit="seconds")
        refresh = prom.number("refresh_seconds", DEFAULT_REFRESH, 5, 3600, unit="seconds")
    url = os.environ.get(URL_VARIABLE, "").strip() or url
    if not url or url == "none":  # "none": no source, whatever the file says (the demo without Prometheus)
        return None
    return PrometheusSettings(check_url(url), timeout, refresh)


def save_settings(url: str, timeout: float = DEFAULT_TIMEOUT, refresh: float = DEFAULT_REFRESH,
                  path: Path | None = None) -> PrometheusSettings:
    path = path or sources_path()
    settings = PrometheusSettings(check_url(url), timeout, refresh)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".yaml.tmp")
    body = {"prometheus": {"url": settings.url, "timeout_seconds": timeout, "refresh_seconds": refresh}}
    temp.write_text("# Where Incident Cockpit reads SLO figures. No secret here: see `cockpit slo source login`.\n"
                    + yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    temp.replace(path)
    return settings


# --- the token ----------------------------------------------------------------------------------
def _keyring_name(settings: PrometheusSettings) -> str:
    return f"prometheus {settings.origin}"


def token_from(variable: str, keyring_name: str) -> str | None:
    """A live source's token: the environment variable first, then the keyring (none is fine)."""
    return os.environ.get(variable, "").strip() or read_secret(keyring_name)


def save_token(variable: str, keyring_name: str, token: str) -> None:
    """Keep a live source's token in the keyring, or say plainly why it could not be kept."""
    outcome = write_secret(keyring_name, token)
    if outcome == "no keyring":
        raise SourceLoginNeeded(f"No usable OS keyring on this machine; set {variable} instead.")
    if outcome == "refused":
        raise SourceLoginNeeded(f"The OS keyring refused the token; set {variable} instead.")


def with_token(settings: PrometheusSettings) -> PrometheusSettings:
    """The settings with the token from the environment variable or the keyring (none is fine)."""
    from dataclasses import replace

    token = token_from(TOKEN_VARIABLE, _keyring_name(settings))
    return replace(settings, token=token) if token else settings


def store_token(settings: PrometheusSettings, token: str) -> None:
    save_token(TOKEN_VARIABLE, _keyring_name(settings), token)


def delete_token(settings: PrometheusSettings) -> bool:
    return delete_secret(_keyring_name(settings))
