"""Trackers the cockpit syncs with (``trackers.yaml`` beside the config file) and their credentials.

Secrets never touch a file: they live in the OS keyring (service ``incident-cockpit``) or in the
environment variable ``COCKPIT_TRACKER_TOKEN_<NAME>`` (NAME upper-cased, other characters as ``_``),
which wins, for CI and headless boxes. For Roundup the secret is ``user:password``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cockpit.config import config_path
from cockpit.errors import CockpitError, InvalidInput, NotFound
from cockpit.yamldoc import read_yaml

KINDS = ("roundup", "github")
KEYRING_SERVICE = "incident-cockpit"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


class LoginNeeded(CockpitError):
    exit_code = 7


@dataclass(frozen=True)
class Tracker:
    name: str
    kind: str
    url: str
    project: str = ""

    @property
    def env_var(self) -> str:
        return token_variable(self.name)


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
        found.append(Tracker(item["name"], item["kind"], item["url"], str(item.get("project", "") or "")))
    return found


def save_trackers(trackers: list[Tracker], path: Path | None = None) -> None:
    path = path or trackers_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"trackers": [
        {"name": t.name, "kind": t.kind, "url": t.url, **({"project": t.project} if t.project else {})}
        for t in trackers]}
    temp = path.with_suffix(".yaml.tmp")
    temp.write_text("# Trackers Incident Cockpit syncs with. Secrets are never stored here: see `cockpit tracker "
                    "login`.\n" + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    temp.replace(path)


def add_tracker(name: str, kind: str, url: str, project: str = "") -> Tracker:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(f"'{name}' is not a tracker name: use letters, digits, '-', '_' or '.'.")
    if kind not in KINDS:
        raise InvalidInput(f"'{kind}' is not a tracker kind: use one of {', '.join(KINDS)}.")
    if not re.match(r"https?://[^/\s]+", url):
        raise InvalidInput(f"'{url}' is not a tracker URL: give its http(s) address.")
    if "@" in url.split("//", 1)[1].split("/", 1)[0]:
        raise InvalidInput("Put no user name or password in the URL; use `cockpit tracker login` instead.")
    if kind == "github" and not project:
        raise InvalidInput("A GitHub tracker needs --project OWNER/REPO (the repository whose issues hold incidents).")
    if kind == "github" and not re.fullmatch(r"[\w.-]+/[\w.-]+", project.strip().strip("/")):
        raise InvalidInput(f"'{project}' is not a project: give it as OWNER/REPO, e.g. acme/incidents.")
    trackers = [t for t in load_trackers() if t.name != name]
    tracker = Tracker(name, kind, url.rstrip("/") + "/", project.strip().strip("/") if kind == "github" else "")
    save_trackers([*trackers, tracker])
    return tracker


def get_tracker(name: str) -> Tracker:
    for tracker in load_trackers():
        if tracker.name == name:
            return tracker
    raise NotFound(f"No tracker named '{name}'; `cockpit tracker add` creates one, `cockpit tracker list` shows them.")


def remove_tracker(name: str) -> None:
    get_tracker(name)
    save_trackers([t for t in load_trackers() if t.name != name])


# --- credentials -------------------------------------------------------------------------------
def _keyring_usable() -> bool:
    import keyring
    from keyring.backends import fail

    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    return not isinstance(backend, fail.Keyring) and "null" not in type(backend).__module__


def no_keyring_message(tracker: Tracker) -> str:
    return (f"No usable OS keyring on this machine; set the environment variable {tracker.env_var} to the "
            f"{'user:password' if tracker.kind == 'roundup' else 'token'} instead.")


def require_keyring(tracker: Tracker) -> None:
    """Before asking anyone to type a secret: is there a keyring to keep it in?"""
    if not _keyring_usable():
        raise LoginNeeded(no_keyring_message(tracker))


def store_secret(tracker: Tracker, secret: str) -> None:
    import keyring
    from keyring.errors import KeyringError

    if not _keyring_usable():
        raise LoginNeeded(no_keyring_message(tracker))
    try:
        keyring.set_password(KEYRING_SERVICE, tracker.name, secret)
    except KeyringError:
        raise LoginNeeded(no_keyring_message(tracker)) from None


def delete_secret(tracker: Tracker) -> bool:
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    if not _keyring_usable():
        return False
    try:
        keyring.delete_password(KEYRING_SERVICE, tracker.name)
        return True
    except (PasswordDeleteError, KeyringError):
        return False


def secret_for(tracker: Tracker) -> str:
    """The tracker's secret: the environment variable first, then the keyring; else LoginNeeded."""
    env = os.environ.get(tracker.env_var)
    if env:
        return env
    if not _keyring_usable():
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
