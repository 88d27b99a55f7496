"""Where the alerts come from: ``alerts.yaml`` beside the config file (no secret in it).

```yaml
alertmanager:
  url: http://alertmanager.example.com:9093/   # COCKPIT_ALERTMANAGER_URL overrides it ("none": no source)
  timeout_seconds: 5
  refresh_seconds: 15          # one poll of /api/v2/alerts every 15 s
  receiver: ""                 # only alerts for receivers matching this regex (Alertmanager's own filter)
  filters: ['team="payments"'] # label matchers, as Alertmanager's API takes them
  group_by: [alertname, service]
  silence_hours: 12            # an acknowledgement's silence lasts this long, or until the incident resolves
  propose:                     # impact and scope proposed when declaring from an alert: first match wins
    - when: {severity: page}
      impact: core-down
      scope: gt25
```

The optional bearer token (or ``user:password`` for basic auth) comes from ``COCKPIT_ALERTMANAGER_TOKEN`` or from
the OS keyring, filed under the server's origin; never from a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from cockpit.config import config_path
from cockpit.domain.alerts import DEFAULT_GROUP_BY, DEFAULT_PROPOSALS, ProposeRule
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput
from cockpit.sources.settings import SettingsSection, check_url, origin_of, read_section, save_token, token_from
from cockpit.yamldoc import read_yaml

TOKEN_VARIABLE = "COCKPIT_ALERTMANAGER_TOKEN"
URL_VARIABLE = "COCKPIT_ALERTMANAGER_URL"
KEYS = ("url", "timeout_seconds", "refresh_seconds", "receiver", "filters", "group_by", "silence_hours", "propose")


@dataclass(frozen=True)
class AlertmanagerSettings:
    url: str
    timeout_seconds: float = 5.0
    refresh_seconds: float = 15.0
    receiver: str = ""
    filters: tuple[str, ...] = ()
    group_by: tuple[str, ...] = DEFAULT_GROUP_BY
    silence_hours: float = 12.0
    propose: tuple[ProposeRule, ...] = DEFAULT_PROPOSALS
    token: str | None = field(default=None, repr=False, compare=False)

    @property
    def origin(self) -> str:
        return origin_of(self.url)


def alerts_path() -> Path:
    return config_path().parent / "alerts.yaml"


def _texts(am: SettingsSection, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = am.data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value) or len(value) > 20:
        raise am.fail((key,), "must be a list of up to 20 non-empty texts")
    return tuple(v.strip() for v in value)


def _proposals(am: SettingsSection) -> tuple[ProposeRule, ...]:
    raw = am.data.get("propose")
    if raw is None:
        return DEFAULT_PROPOSALS
    if not isinstance(raw, list):
        raise am.fail(("propose",), "must be a list of {when, impact, scope}")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("when"), dict) or not item["when"] \
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in item["when"].items()):
            raise am.fail(("propose", i, "when"), "must map label names to values")
        try:
            impact = Impact(item.get("impact"))
        except ValueError:
            raise am.fail(("propose", i, "impact"),
                        f"must be one of {', '.join(m.value for m in Impact)}") from None
        try:
            scope = Scope(item.get("scope"))
        except ValueError:
            raise am.fail(("propose", i, "scope"), f"must be one of {', '.join(m.value for m in Scope)}") from None
        out.append(ProposeRule(dict(item["when"]), impact, scope))
    return tuple(out)


def load_settings(path: Path | None = None) -> AlertmanagerSettings | None:
    """The configured Alertmanager (the URL variable wins over the file); None when there is none."""
    settings = AlertmanagerSettings(url="")
    am = read_section(path or alerts_path(), "alertmanager", "Alert source settings", KEYS)
    if am is not None:
        receiver = am.data.get("receiver", "")
        if not isinstance(receiver, str):
            raise am.fail(("receiver",), "must be a regular expression (text)")
        settings = AlertmanagerSettings(
            url=am.data.get("url", ""), timeout_seconds=am.number("timeout_seconds", 5, 0.1, 60),
            refresh_seconds=am.number("refresh_seconds", 15, 1, 3600), receiver=receiver,
            filters=_texts(am, "filters", ()), group_by=_texts(am, "group_by", DEFAULT_GROUP_BY),
            silence_hours=am.number("silence_hours", 12, 0.1, 24 * 14), propose=_proposals(am))
    url = os.environ.get(URL_VARIABLE, "").strip() or settings.url
    if not url or url == "none":
        return None
    return replace(settings, url=_check(url))


def _check(url: str) -> str:
    try:
        return check_url(url)
    except InvalidInput as exc:
        raise InvalidInput(str(exc).replace("a Prometheus URL", "an Alertmanager URL")
                           .replace("cockpit slo source login", "cockpit alerts source login")) from None


def save_settings(url: str, refresh: float = 15.0, path: Path | None = None) -> AlertmanagerSettings:
    """Write (or change) the URL, keeping the file's other settings."""
    path = path or alerts_path()
    checked = _check(url)
    body: dict[str, Any] = {}
    if path.exists():
        doc, problems = read_yaml(path)
        if not problems and doc is not None and isinstance(doc.data, dict) \
                and isinstance(doc.data.get("alertmanager"), dict):
            body = dict(doc.data["alertmanager"])
    body["url"] = checked
    body.setdefault("refresh_seconds", refresh)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".yaml.tmp")
    temp.write_text("# Where Incident Cockpit reads alerts. No secret here: see `cockpit alerts source login`.\n"
                    + yaml.safe_dump({"alertmanager": body}, sort_keys=False), encoding="utf-8")
    temp.replace(path)
    loaded = load_settings(path)
    assert loaded is not None
    return loaded


# --- the token ----------------------------------------------------------------------------------
def _keyring_name(settings: AlertmanagerSettings) -> str:
    return f"alertmanager {settings.origin}"


def with_token(settings: AlertmanagerSettings) -> AlertmanagerSettings:
    token = token_from(TOKEN_VARIABLE, _keyring_name(settings))
    return replace(settings, token=token) if token else settings


def store_token(settings: AlertmanagerSettings, token: str) -> None:
    save_token(TOKEN_VARIABLE, _keyring_name(settings), token)
