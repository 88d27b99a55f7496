"""Where things live and who is typing: paths, the config file, the responder's name.

Precedence for the database: ``--db`` > ``COCKPIT_DB`` > the user data directory.
Precedence for the responder: ``--as`` > ``COCKPIT_RESPONDER`` > config file > login name.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from cockpit.errors import InvalidInput
from cockpit.textsafe import control_characters

if TYPE_CHECKING:  # PyYAML is imported only when there is a config file to read
    from cockpit.yamldoc import YamlDocument

APP_NAME = "incident-cockpit"
KNOWN_KEYS = {"responder", "theme", "keymap", "runbook_dirs", "trackers", "handoff_ack_minutes", "status_page",
              "slo_dirs", "slo_breach_horizon_hours", "chaos_dirs", "toil_dirs", "capacity_dirs",
              "service_dirs", "redact_patterns", "secret_patterns", "ic_handover_minutes"}


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def drafts_dir() -> Path:
    """Where unsaved typing is kept between a keystroke and the database write (see ``service.drafts``)."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)) / "drafts"


def config_path() -> Path:
    env = os.environ.get("COCKPIT_CONFIG")
    return Path(env).expanduser() if env else config_dir() / "config.yaml"


def default_db_path() -> Path:
    env = os.environ.get("COCKPIT_DB")
    return Path(env).expanduser() if env else data_dir() / "cockpit.db"


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "responder"


@dataclass
class Config:
    path: Path
    responder: str
    theme: str = "cockpit-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    runbook_dirs: list[Path] = field(default_factory=list)
    handoff_ack_minutes: int = 60
    #: after this long in the role the role board suggests an Incident Commander handover (at most 180: three hours
    #: is the limit in any case)
    ic_handover_minutes: int = 60
    slo_dirs: list[Path] = field(default_factory=list)
    slo_breach_horizon_hours: float = 24.0
    service_dirs: list[Path] = field(default_factory=list)
    chaos_dirs: list[Path] = field(default_factory=list)
    toil_dirs: list[Path] = field(default_factory=list)
    capacity_dirs: list[Path] = field(default_factory=list)
    #: name -> regex replaced in what is sent to a tracker (besides email and ip); see ``cockpit.redact``
    redact_patterns: dict[str, str] = field(default_factory=dict)
    #: name -> regex never stored by ``cockpit shell`` (besides tokens, Bearer, password=, user:pass@ in URLs)
    secret_patterns: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    #: where the responder name came from: "env", "config" or "login" (nobody said: the login name)
    responder_source: str = "config"


def load_config(path: Path | None = None) -> Config:
    """Read the config file if it exists; a mistake in it is reported with file, line and field."""
    path = path or config_path()
    data: dict[str, Any] = {}
    doc: YamlDocument | None = None
    if path.exists():
        from cockpit.yamldoc import read_yaml

        doc, problems = read_yaml(path)
        if problems:
            raise InvalidInput(f"Config file {problems[0]}")
        assert doc is not None
        if doc.data is None:
            data = {}
        elif not isinstance(doc.data, dict):
            raise InvalidInput(f"Config file {doc.problem((), 'must be a mapping of settings')}")
        else:
            data = doc.data
    for key in data:
        if key not in KNOWN_KEYS:
            assert doc is not None
            known = ", ".join(sorted(KNOWN_KEYS))
            raise InvalidInput(f"Config file {doc.problem((key,), f'unknown setting (known: {known})', at_key=True)}")

    def need(key: str, kind: type, what: str) -> Any:
        value = data.get(key)
        if value is not None and not isinstance(value, kind):
            assert doc is not None
            raise InvalidInput(f"Config file {doc.problem((key,), f'must be {what}')}")
        return value

    responder = need("responder", dict, "a mapping like {name: alice}") or {}
    name = responder.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        assert doc is not None
        raise InvalidInput(f"Config file {doc.problem(('responder', 'name'), 'must be a non-empty name')}")
    if isinstance(name, str) and (found := control_characters(name)):
        assert doc is not None
        problem = doc.problem(("responder", "name"), f"contains a control character ({found}); write it as plain text")
        raise InvalidInput(f"Config file {problem}")
    keymap = need("keymap", dict, "a mapping of binding id to keys") or {}
    for key, value in keymap.items():
        if not isinstance(value, str) or not value.strip():
            assert doc is not None
            raise InvalidInput(f"Config file {doc.problem(('keymap', key), 'must be keys such as ctrl+s or u')}")
    dirs = need("runbook_dirs", list, "a list of folders") or []
    for index, value in enumerate(dirs):
        if not isinstance(value, str) or not value.strip():
            assert doc is not None
            raise InvalidInput(f"Config file {doc.problem(('runbook_dirs', index), 'must be a folder path')}")
    slo_dirs = need("slo_dirs", list, "a list of folders") or []
    for index, value in enumerate(slo_dirs):
        if not isinstance(value, str) or not value.strip():
            assert doc is not None
            raise InvalidInput(f"Config file {doc.problem(('slo_dirs', index), 'must be a folder path')}")
    listed_dirs: dict[str, list[Path]] = {}
    for kind in ("service_dirs", "chaos_dirs", "toil_dirs", "capacity_dirs"):
        listed = need(kind, list, "a list of folders") or []
        for index, value in enumerate(listed):
            if not isinstance(value, str) or not value.strip():
                assert doc is not None
                raise InvalidInput(f"Config file {doc.problem((kind, index), 'must be a folder path')}")
        listed_dirs[kind] = [Path(str(d)).expanduser() for d in listed]
    horizon = data.get("slo_breach_horizon_hours", 24)
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float)) or not 0 < horizon <= 24 * 90:
        assert doc is not None
        problem = doc.problem(("slo_breach_horizon_hours",), "must be hours above 0, up to 2160 (90 days)")
        raise InvalidInput(f"Config file {problem}")
    theme = need("theme", str, "a theme name") or "cockpit-dark"
    ack = data.get("handoff_ack_minutes", 60)
    if isinstance(ack, bool) or not isinstance(ack, int) or not 1 <= ack <= 7 * 24 * 60:
        assert doc is not None
        raise InvalidInput(f"Config file {doc.problem(('handoff_ack_minutes',), 'must be minutes from 1 to 10080')}")
    patterns = {key: _patterns(doc, key, need(key, dict, "a mapping of name to regular expression") or {})
                for key in ("redact_patterns", "secret_patterns")}
    handover = data.get("ic_handover_minutes", 60)
    if isinstance(handover, bool) or not isinstance(handover, int) or not 1 <= handover <= 180:
        assert doc is not None
        raise InvalidInput(f"Config file {doc.problem(('ic_handover_minutes',), 'must be minutes from 1 to 180')}")
    env_name = os.environ.get("COCKPIT_RESPONDER", "").strip()
    if found := control_characters(env_name):
        raise InvalidInput(f"COCKPIT_RESPONDER contains a control character ({found}); set it to a plain name.")
    return Config(
        path=path,
        responder=env_name or (name.strip() if name else login_name()),
        responder_source="env" if env_name else "config" if name else "login",
        theme=theme,
        keymap={str(k): str(v) for k, v in keymap.items()},
        runbook_dirs=[Path(str(d)).expanduser() for d in dirs],
        handoff_ack_minutes=ack,
        ic_handover_minutes=handover,
        slo_dirs=[Path(str(d)).expanduser() for d in slo_dirs],
        slo_breach_horizon_hours=float(horizon),
        service_dirs=listed_dirs["service_dirs"],
        chaos_dirs=listed_dirs["chaos_dirs"],
        toil_dirs=listed_dirs["toil_dirs"],
        capacity_dirs=listed_dirs["capacity_dirs"],
        redact_patterns=patterns["redact_patterns"],
        secret_patterns=patterns["secret_patterns"],
        raw=data,
    )


def _patterns(doc: YamlDocument | None, key: str, given: dict[Any, Any]) -> dict[str, str]:
    """``redact_patterns:`` / ``secret_patterns:``: each name a usable regular expression, or file:line: why."""
    from cockpit.redact import PatternError, compile_pattern

    for name, source in given.items():
        try:
            if not isinstance(source, str):
                raise PatternError("must be a regular expression in quotes")
            compile_pattern(str(name), source)
        except PatternError as exc:
            assert doc is not None
            raise InvalidInput(f"Config file {doc.problem((key, name), str(exc))}") from None
    return {str(name): str(source) for name, source in given.items()}


def save_responder(path: Path, name: str) -> None:
    """Keep the responder's name in the config file (created if missing; other settings and comments kept)."""
    import json

    clean = " ".join(name.split())
    if not clean or len(clean) > 100 or any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in clean):
        raise InvalidInput("A responder name is 1 to 100 characters without control characters.")
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if existing:
        from cockpit.yamldoc import read_yaml

        load_config(path)  # a broken file is reported, never overwritten
        doc, _ = read_yaml(path)
        if doc is not None and isinstance(doc.data, dict) and "responder" in doc.data:
            raise InvalidInput(f"{path} already has a responder setting; change its name there.")
    path.parent.mkdir(parents=True, exist_ok=True)
    block = f"responder:\n  name: {json.dumps(clean, ensure_ascii=False)}  # the author of every entry you write\n"
    sep = "" if not existing or existing.endswith("\n") else "\n"
    path.write_text(existing + sep + block, encoding="utf-8")


def log_crash(message: str = "unexpected error") -> Path | None:
    """Append the current exception's traceback to the log file as one JSON line (the seed's structured log
    standard); returns where, or None when the log cannot be written. Never holds a secret: only tracebacks."""
    import json
    import traceback
    from datetime import UTC, datetime

    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "cockpit.log"
        record = {"timestamp": datetime.now(UTC).isoformat(), "level": "error", "service": "cockpit",
                  "message": message, "traceback": traceback.format_exc()}
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        return path
    except OSError:
        return None
