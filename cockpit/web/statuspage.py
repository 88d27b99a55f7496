"""The static status page: ``index.html`` and an Atom ``feed.xml`` rendered with Jinja2 from what was published.

The folder is all there is: copy it to any static host and it keeps working when the cockpit's machine is gone.
The page has no script and loads nothing from elsewhere (its Content-Security-Policy allows only its own inline
style, by hash). Every string from people is HTML-escaped by Jinja2's autoescaping, after control characters are
made visible (``\\x1b``): nothing anyone typed can become markup, a script or a terminal sequence.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import jinja2
from markupsafe import Markup

from cockpit.domain.comms import Template
from cockpit.domain.lifecycle import Phase
from cockpit.domain.metrics import format_duration
from cockpit.domain.statuspage import (
    RESOLVED_WINDOW_DAYS,
    banner_text,
    format_utc,
    impact_state,
    overall,
    public_status,
)
from cockpit.errors import CockpitError, InvalidInput
from cockpit.service.incidents import IncidentService
from cockpit.service.publishing import PublicIncident, PublishedNotice, StatusPageData, fingerprint, status_page
from cockpit.textsafe import literal

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_TITLE = "Service status"
FILES = ("index.html", "feed.xml")


@dataclass(frozen=True)
class PageOptions:
    title: str = DEFAULT_TITLE
    components: Sequence[str] = ()
    base_url: str = ""  # where the folder is served, ending in "/"; gives the feed absolute links
    window_days: int = RESOLVED_WINDOW_DAYS


class PageSettingsLike(Protocol):
    @property
    def folder(self) -> Path | None: ...

    @property
    def options(self) -> PageOptions: ...


@dataclass(frozen=True)
class BuildResult:
    folder: Path
    open: int
    resolved: int
    updates: int
    seconds: float


def check_options(title: str, components: Sequence[str], base_url: str | None) -> PageOptions:
    """Options as typed on the command line, checked: plain text, and an http(s) base URL without credentials."""
    from urllib.parse import urlsplit

    from cockpit.textsafe import control_characters

    for what, value in [("--title", title), *[("--component", c) for c in components]]:
        if found := control_characters(value):
            raise InvalidInput(f"{what} contains a control character ({found}); type it as plain text.")
        if not value.strip():
            raise InvalidInput(f"{what} is empty; give a name.")
    url = (base_url or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise InvalidInput("--base-url must be the http(s) address the folder is served at, such as "
                               "https://status.example.com/, without a query or fragment.")
        if "@" in parts.netloc:
            raise InvalidInput("--base-url must not hold a user name or password; the page is public.")
        url = url if url.endswith("/") else url + "/"
    return PageOptions(title=" ".join(title.split()), components=tuple(" ".join(c.split()) for c in components),
                       base_url=url)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _label(update: PublishedNotice) -> str:
    return "Resolved" if update.template is Template.RESOLUTION else "Update"


def _lasted(incident: PublicIncident) -> str:
    return format_duration((incident.resolved_at or incident.started_at) - incident.started_at)


def _status(phase: Phase) -> str:
    return public_status(phase)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, HTML and XML alike
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["literal"] = literal
    env.globals.update(iso=_iso, utc=format_utc, label=_label, lasted=_lasted, impact=impact_state, status=_status)
    return env


@cache
def _style() -> tuple[Markup, str]:
    """The page's CSS (our own file, not text from people) and its CSP hash."""
    css = (TEMPLATES / "status.css").read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    return Markup(css), f"sha256-{digest}"


def render(data: StatusPageData, options: PageOptions) -> dict[str, str]:
    """The page's files (name → text) for ``data``."""
    env = _environment()
    css, css_hash = _style()
    banner = overall(c.state for c in data.components)
    if data.open:
        banner = max(banner, *(impact_state(i.severity) for i in data.open))
    feed_id = (f"{options.base_url}feed.xml" if options.base_url
               else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'incident-cockpit-status:' + options.title)}")
    context: dict[str, Any] = {
        "page_title": options.title, "css": css, "css_hash": css_hash, "banner": banner,
        "banner_text": banner_text(banner), "components": data.components, "open": data.open,
        "resolved": data.resolved, "generated_at": data.generated_at, "window_days": options.window_days,
        "feed": data.feed, "feed_id": feed_id, "base_url": options.base_url,
        "updated": data.feed[0][1].published_at if data.feed else data.generated_at,
    }
    return {
        "index.html": env.get_template("status.html.j2").render(context),
        "feed.xml": env.get_template("feed.xml.j2").render(context),
    }


def _prepare(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} is a file, not a folder; give the status page a folder of its own.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"Cannot create the folder {folder} for the status page: "
                           f"{(exc.strerror or str(exc)).lower()}; choose a folder you can write to.") from None


def _write(folder: Path, name: str, text: str) -> None:
    """Write one file so that a reader (a web server, a sync to a static host) sees the old or the new file, never
    half of one: a temporary file beside it, flushed, then renamed over it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # served to anyone: readable, like any static file
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def build(svc: IncidentService, folder: Path, options: PageOptions) -> BuildResult:
    """Render the page from the store into ``folder`` (created if missing)."""
    started = time.perf_counter()
    folder = folder.expanduser()
    _prepare(folder)
    data = status_page(svc, options.components, options.window_days)
    files = render(data, options)
    try:
        for name in FILES:
            _write(folder, name, files[name])
    except OSError as exc:
        raise InvalidInput(f"Cannot write the status page to {folder}: {(exc.strerror or str(exc)).lower()}; "
                           "choose a folder you can write to.") from None
    return BuildResult(folder, len(data.open), len(data.resolved), sum(len(i.updates) for i in
                                                                         [*data.open, *data.resolved]),
                       time.perf_counter() - started)


def watch(
    svc: IncidentService,
    folder: Path,
    options: PageOptions,
    *,
    interval: float,
    stop: threading.Event,
    on_build: Callable[[BuildResult], None],
    on_error: Callable[[CockpitError], None],
) -> None:
    """Build now, then rebuild whenever something on the page changed: a published update, or a published
    incident's state. Between looks it sleeps ``interval`` seconds (a poll of three indexed aggregates); ``stop``
    ends it. A problem after the first build (a locked store, a full disk) is reported and retried next round."""
    seen = fingerprint(svc)
    on_build(build(svc, folder, options))
    while not stop.wait(interval):
        try:
            now = fingerprint(svc)
            if now != seen:
                on_build(build(svc, folder, options))
                seen = now
        except CockpitError as exc:
            on_error(exc)


def publish_and_rebuild(
    svc: IncidentService, query: str, template: Template, settings: PageSettingsLike, *, text: str | None = None,
    public_title: str | None = None,
) -> tuple[PublishedNotice, Path | None]:
    """Publish a filled template and rebuild the page where the settings say it lives (the CLI's ``comms
    --publish`` and the cockpit's comms screen both come here). Returns the notice and the page, if rebuilt."""
    from cockpit.service.publishing import publish

    notice = publish(svc, query, template, text=text, public_title=public_title)
    if settings.folder is None:
        return notice, None
    try:
        return notice, build(svc, settings.folder, settings.options).folder / "index.html"
    except InvalidInput as exc:
        raise InvalidInput(f"Published, but the status page was not rebuilt: {exc}") from None
