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

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from cockpit.config import config_path
from cockpit.domain.alerts import DEFAULT_GROUP_BY, DEFAULT_PROPOSALS, ProposeRule
from cockpit.domain.severity import Impact, Scope
from cockpit.errors import InvalidInput
from cockpit.sources.settings import KEYRING_SERVICE, SourceLoginNeeded, _keyring_usable, check_url, origin_of
from cockpit.yamldoc import YamlDocument, read_yaml

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


def _fail(doc: YamlDocument, path: tuple[Any, ...], message: str, at_key: bool = False) -> InvalidInput:
    return InvalidInput(f"Alert source settings {doc.problem(('alertmanager', *path), message, at_key=at_key)}")


def _number(doc: YamlDocument, data: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise _fail(doc, (key,), f"must be a number from {low:g} to {high:g}")
    return float(value)


def _texts(doc: YamlDocument, data: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value) or len(value) > 20:
        raise _fail(doc, (key,), "must be a list of up to 20 non-empty texts")
    return tuple(v.strip() for v in value)


def _proposals(doc: YamlDocument, raw: object) -> tuple[ProposeRule, ...]:
    if raw is None:
        return DEFAULT_PROPOSALS
    if not isinstance(raw, list):
        raise _fail(doc, ("propose",), "must be a list of {when, impact, scope}")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("when"), dict) or not item["when"] \
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in item["when"].items()):
            raise _fail(doc, ("propose", i, "when"), "must map label names to values")
        try:
            impact = Impact(item.get("impact"))
        except ValueError:
            raise _fail(doc, ("propose", i, "impact"),
                        f"must be one of {', '.join(m.value for m in Impact)}") from None
        try:
            scope = Scope(item.get("scope"))
        except ValueError:
            raise _fail(doc, ("propose", i, "scope"), f"must be one of {', '.join(m.value for m in Scope)}") from None
        out.append(ProposeRule(dict(item["when"]), impact, scope))
    return tuple(out)


def load_settings(path: Path | None = None) -> AlertmanagerSettings | None:
    """The configured Alertmanager (the URL variable wins over the file); None when there is none."""
    path = path or alerts_path()
    settings = AlertmanagerSettings(url="")
    if path.exists():
        doc, problems = read_yaml(path)
        if problems or doc is None:
            raise InvalidInput(f"Alert source settings {problems[0]}")
        data = doc.data or {}
        am = data.get("alertmanager") if isinstance(data, dict) else None
        if not isinstance(am, dict):
            raise InvalidInput(f"Alert source settings "
                               f"{doc.problem(('alertmanager',), 'must be a mapping with url')}")
        for key in am:
            if key not in KEYS:
                raise _fail(doc, (key,), "unknown setting", at_key=True)
        if not isinstance(am.get("url", ""), str):
            raise _fail(doc, ("url",), "must be the server address")
        receiver = am.get("receiver", "")
        if not isinstance(receiver, str):
            raise _fail(doc, ("receiver",), "must be a regular expression (text)")
        settings = AlertmanagerSettings(
            url=am.get("url", ""), timeout_seconds=_number(doc, am, "timeout_seconds", 5, 0.1, 60),
            refresh_seconds=_number(doc, am, "refresh_seconds", 15, 1, 3600), receiver=receiver,
            filters=_texts(doc, am, "filters", ()), group_by=_texts(doc, am, "group_by", DEFAULT_GROUP_BY),
            silence_hours=_number(doc, am, "silence_hours", 12, 0.1, 24 * 14),
            propose=_proposals(doc, am.get("propose")))
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
    env = os.environ.get(TOKEN_VARIABLE, "").strip()
    if env:
        return replace(settings, token=env)
    if not _keyring_usable():
        return settings
    import keyring
    from keyring.errors import KeyringError

    try:
        value = keyring.get_password(KEYRING_SERVICE, _keyring_name(settings))
    except KeyringError:
        return settings
    return replace(settings, token=value) if value else settings


def store_token(settings: AlertmanagerSettings, token: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    if not _keyring_usable():
        raise SourceLoginNeeded(f"No usable OS keyring on this machine; set {TOKEN_VARIABLE} instead.")
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_name(settings), token)
    except KeyringError:
        raise SourceLoginNeeded(f"The OS keyring refused the token; set {TOKEN_VARIABLE} instead.") from None
