"""The status page's settings: the ``status_page`` section of the config file, then the command line.

```yaml
status_page:
  dir: ~/status-site                 # where `status-page build` writes and publishing rebuilds
  title: Northwind status
  components: [checkout-api, search] # always listed; services named on published incidents are added
  base_url: https://status.example.com/
```
``COCKPIT_STATUS_PAGE_DIR`` overrides ``dir``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.errors import InvalidInput
from cockpit.web.statuspage import DEFAULT_TITLE, PageOptions, check_options

KEYS = {"dir", "title", "components", "base_url"}


@dataclass(frozen=True)
class PageSettings:
    folder: Path | None
    options: PageOptions


def _problem(path: Path, field: str, what: str) -> InvalidInput:
    return InvalidInput(f"Config file {path}: status_page.{field} {what}.")


def page_settings(
    raw: Mapping[str, Any], config_path: Path, *, folder: Path | None = None, title: str | None = None,
    components: Sequence[str] = (), base_url: str | None = None,
) -> PageSettings:
    """The config's ``status_page`` section with the command line's values on top (given ones win)."""
    section = raw.get("status_page") or {}
    if not isinstance(section, dict):
        raise InvalidInput(f"Config file {config_path}: status_page must be a mapping of dir, title, components, "
                           "base_url.")
    for key in section:
        if key not in KEYS:
            raise _problem(config_path, str(key), f"is not a setting (known: {', '.join(sorted(KEYS))})")
    for key in ("dir", "title", "base_url"):
        if section.get(key) is not None and not isinstance(section[key], str):
            raise _problem(config_path, key, "must be text")
    listed = section.get("components") or []
    if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
        raise _problem(config_path, "components", "must be a list of names")
    env_dir = os.environ.get("COCKPIT_STATUS_PAGE_DIR", "").strip()
    chosen = folder or (Path(env_dir) if env_dir else None) or (Path(section["dir"]) if section.get("dir") else None)
    options = check_options(title if title is not None else section.get("title") or DEFAULT_TITLE,
                            list(components) or listed, base_url if base_url is not None else section.get("base_url"))
    return PageSettings(chosen.expanduser() if chosen else None, options)
