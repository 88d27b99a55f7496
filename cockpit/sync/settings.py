"""Trackers the cockpit syncs with (``trackers.yaml`` beside the config file) and their credentials.

Secrets never touch a file: they live in the OS keyring (service ``incident-cockpit``) or in the
environment variable ``COCKPIT_TRACKER_TOKEN_<NAME>`` (NAME upper-cased, other characters as ``_``),
which wins, for CI and headless boxes. For Roundup the secret is ``user:password``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cockpit.config import config_path
from cockpit.errors import CockpitError, InvalidInput, NotFound
from cockpit.keyring_store import KEYRING_SERVICE, keyring_usable, plaintext_keyring
from cockpit.keyring_store import delete_secret as forget_secret
from cockpit.sync.kinds import KIND_RULES, KINDS
from cockpit.yamldoc import read_yaml

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


class LoginNeeded(CockpitError):
    exit_code = 7


@dataclass(frozen=True)
class Tracker:
    name: str
    kind: str
    url: str
    project: str = ""
    options: tuple[tuple[str, str], ...] = ()  # kind-specific settings, sorted by name (see KindRule.options)

    @property
    def env_var(self) -> str:
        return token_variable(self.name)

    def option(self, name: str, default: str = "") -> str:
        return dict(self.options).get(name, default)


def token_variable(name: str) -> str:
    return "COCKPIT_TRACKER_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def trackers_path() -> Path:
    return config_path().parent / "trackers.yaml"


def load_trackers(path: Path | None = None) -> list[Tracker]:
    path = path or trackers_path()
    if not path.exists():
        return []
    doc, problems = read_yaml(path)
    if problems or doc is None:
        raise InvalidInput(f"Tracker settings {problems[0]}")
    data = doc.data or {}
    items = data.get("trackers", []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InvalidInput(f"Tracker settings {doc.problem(('trackers',), 'must be a list of trackers')}")
    found = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("name", "kind", "url")):
            raise InvalidInput(f"Tracker settings {doc.problem(('trackers', index), 'needs name, kind and url')}")
        options = item.get("options") or {}
        if not isinstance(options, dict) or not all(isinstance(v, str | int) for v in options.values()):
            where = doc.problem(("trackers", index, "options"), "must map names to text")
            raise InvalidInput(f"Tracker settings {where}")
        found.append(Tracker(item["name"], item["kind"], item["url"], str(item.get("project", "") or ""),
                             tuple(sorted((str(k), str(v)) for k, v in options.items()))))
    return found


def save_trackers(trackers: list[Tracker], path: Path | None = None) -> None:
    path = path or trackers_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"trackers": [
        {"name": t.name, "kind": t.kind, "url": t.url, **({"project": t.project} if t.project else {}),
         **({"options": dict(t.options)} if t.options else {})}
        for t in trackers]}
    temp = path.with_suffix(".yaml.tmp")
    temp.write_text("# Trackers Incident Cockpit syncs with. Secrets are never stored here: see `cockpit tracker "
                    "login`.\n" + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    temp.replace(path)


def add_tracker(name: str, kind: str, url: str = "", project: str = "",
                options: Mapping[str, str] | None = None) -> Tracker:
    """Check and save a tracker's settings (replacing one of the same name). ``url`` empty: the kind's default."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(f"'{name}' is not a tracker name: use letters, digits, '-', '_' or '.'.")
    rule = KIND_RULES.get(kind)
    if rule is None:
        raise InvalidInput(f"'{kind}' is not a tracker kind: use one of {', '.join(KINDS)}.")
    url = url or rule.default_url
    if not url:
        raise InvalidInput(f"A {kind} tracker needs --url, e.g. {rule.url_example}.")
    check_url_holds_no_credentials(url)
    if not re.match(r"https?://[^/\s]+", url):
        raise InvalidInput(f"'{url}' is not a tracker URL: give its http(s) address.")
    project = project.strip().strip("/")
    if rule.project and not project:
        raise InvalidInput(f"A {kind} tracker needs --project {rule.project}.")
    if rule.project and not re.fullmatch(rule.project_pattern, project):
        raise InvalidInput(f"'{project}' is not a project: give it as {rule.project.split(' (')[0]}, "
                           f"e.g. {rule.project_example}.")
    given = dict(options or {})
    if unknown := sorted(set(given) - set(rule.options)):
        known = ", ".join(rule.options) or "none"
        raise InvalidInput(f"'{unknown[0]}' is not an option of a {kind} tracker (its options: {known}).")
    for key, allowed in rule.option_values.items():
        if key in given and not re.fullmatch(allowed, given[key].strip()):
            raise InvalidInput(f"'{given[key]}' is not a value of --option {key} ({rule.options[key]}).")
    if missing := [key for key in rule.required if not given.get(key, "").strip()]:
        raise InvalidInput(f"A {kind} tracker needs --option {missing[0]}=… ({rule.options[missing[0]]}).")
    trackers = [t for t in load_trackers() if t.name != name]
    tracker = Tracker(name, kind, url.rstrip("/") + "/", project if rule.project else "",
                      tuple(sorted((key, value.strip()) for key, value in given.items())))
    save_trackers([*trackers, tracker])
    return tracker


_CREDENTIAL_PARAM = re.compile(r"token|secret|passw|pwd|pass$|key|auth|credential|session|sig", re.IGNORECASE)


def check_url_holds_no_credentials(url: str) -> None:
    """Refuse a tracker URL carrying a credential: user info (``user:password@``), or a query string or fragment
    (``?token=...``, ``#access_token=...``). A tracker's base address has neither, and ``trackers.yaml`` must never
    hold a secret. The URL itself is not repeated in the message: it may be the secret."""
    from urllib.parse import parse_qsl, urlsplit

    login = "use `cockpit tracker login NAME` (the OS keyring) or the COCKPIT_TRACKER_TOKEN_<NAME> variable instead"
    try:
        parts = urlsplit(url.strip())
        userinfo = parts.username is not None or parts.password is not None
    except ValueError:
        raise InvalidInput("That is not a tracker URL: give its http(s) address.") from None
    if userinfo or "@" in parts.netloc or "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        raise InvalidInput(f"Put no user name or password in the URL, nor a token; {login}. Nothing was saved.")
    extra = "&".join(part for part in (parts.query, parts.fragment) if part)
    if extra or "?" in url or "#" in url:
        names = [name for name, _ in parse_qsl(extra.replace(";", "&"), keep_blank_values=True)] or [extra]
        if any(_CREDENTIAL_PARAM.search(name) for name in names):
            raise InvalidInput(f"The URL carries a credential in its query string or fragment; {login}. "
                               f"Nothing was saved.")
        raise InvalidInput("Give the tracker's base address without a ?query or #fragment (the cockpit adds its own "
                           "paths to it); for a credential, use `cockpit tracker login NAME`. Nothing was saved.")


def get_tracker(name: str) -> Tracker:
    for tracker in load_trackers():
        if tracker.name == name:
            return tracker
    raise NotFound(f"No tracker named '{name}'; `cockpit tracker add` creates one, `cockpit tracker list` shows them.")


def remove_tracker(name: str) -> None:
    get_tracker(name)
    save_trackers([t for t in load_trackers() if t.name != name])


# --- credentials -------------------------------------------------------------------------------
def no_keyring_message(tracker: Tracker) -> str:
    return (f"No usable OS keyring on this machine; set the environment variable {tracker.env_var} to the "
            f"{secret_label(tracker)} instead.")


def secret_label(tracker: Tracker) -> str:
    """What the tracker's secret is, in the words the login prompt and messages use."""
    rule = KIND_RULES.get(tracker.kind)
    return rule.secret if rule is not None else "token"


def plaintext_message(tracker: Tracker, backend: str) -> str:
    return (f"The keyring here ({backend}) is one keyring rates as not recommended: it may keep secrets unencrypted "
            f"in a file, so the secret was not saved; set the environment variable {tracker.env_var} instead, or run "
            f"`cockpit tracker login {tracker.name} --allow-plaintext-keyring` to store it there anyway.")


def require_keyring(tracker: Tracker, allow_plaintext: bool = False) -> None:
    """Before asking anyone to type a secret: is there a keyring to keep it in, and does it encrypt?"""
    if not keyring_usable():
        raise LoginNeeded(no_keyring_message(tracker))
    if not allow_plaintext and (backend := plaintext_keyring()):
        raise LoginNeeded(plaintext_message(tracker, backend))


def store_secret(tracker: Tracker, secret: str, allow_plaintext: bool = False) -> None:
    import keyring
    from keyring.errors import KeyringError

    require_keyring(tracker, allow_plaintext)
    try:
        keyring.set_password(KEYRING_SERVICE, tracker.name, secret)
    except KeyringError:
        raise LoginNeeded(no_keyring_message(tracker)) from None


def delete_secret(tracker: Tracker) -> bool:
    return forget_secret(tracker.name)


def stored_secrets() -> list[str]:
    """Every tracker secret this machine holds (variables, then the keyring), so that a runbook step neither
    receives nor prints one into the timeline. Best effort: a tracker without a usable secret is skipped."""
    try:
        trackers = load_trackers()
    except CockpitError:
        return []
    found = [value for tracker in trackers if (value := os.environ.get(tracker.env_var))]
    if not trackers or not keyring_usable():
        return found
    import keyring

    for tracker in trackers:
        try:
            value = keyring.get_password(KEYRING_SERVICE, tracker.name)
        except Exception:  # a keyring backend failing in its own way: nothing to add
            continue
        if value:
            found.append(value)
    return found


def secret_for(tracker: Tracker) -> str:
    """The tracker's secret: the environment variable first, then the keyring; else LoginNeeded."""
    env = os.environ.get(tracker.env_var)
    if env:
        return env
    if not keyring_usable():
        raise LoginNeeded(no_keyring_message(tracker))
    import keyring
    from keyring.errors import KeyringError

    try:
        value = keyring.get_password(KEYRING_SERVICE, tracker.name)
    except KeyringError:
        raise LoginNeeded(no_keyring_message(tracker)) from None
    if not value:
        raise LoginNeeded(f"Not logged in to '{tracker.name}': run `cockpit tracker login {tracker.name}` "
                          f"or set {tracker.env_var}.")
    return value
