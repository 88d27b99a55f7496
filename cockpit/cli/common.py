"""What every command group shares: the context (database, responder, config), JSON output, times, and the
choices built from the domain's enums."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from cockpit.domain.incident import PERSON_KINDS
from cockpit.domain.lifecycle import Phase
from cockpit.domain.roles import Role
from cockpit.errors import CockpitError, InvalidInput

if TYPE_CHECKING:  # imported when a command runs: `cockpit --help` stays quick
    from cockpit.config import Config
    from cockpit.service.incidents import IncidentService

F = TypeVar("F", bound=Callable[..., Any])

IMPACT_CHOICES = ["core-down", "degraded", "non-core-down", "cosmetic"]  # option spellings of Impact
SCOPE_CHOICES = ["one-user", "lt25", "gt25", "all"]  # option spellings of Scope
ROLE_CHOICES = [role.value for role in Role]
PHASE_CHOICES = [phase.value.lower() for phase in Phase]
NOTE_KINDS = list(PERSON_KINDS)  # the kinds a person writes, from the domain
TEMPLATE_CHOICES = ["initial", "customer", "resolution"]


@dataclass
class AppContext:
    db: Path | None
    responder: str | None
    _service: IncidentService | None = None

    def config(self) -> Config:
        from cockpit.config import load_config

        return load_config()

    def db_path(self) -> Path:
        from cockpit.config import default_db_path

        if self.db is not None:
            return self.db
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def service(self) -> IncidentService:
        if self._service is None:
            from cockpit.redact import SYNC_PATTERNS, Redactor
            from cockpit.service.incidents import IncidentService
            from cockpit.store.db import Store

            config = self.config()
            author = self.responder or config.responder
            redactor = Redactor.build(SYNC_PATTERNS, config.redact_patterns, label="name")
            self._service = IncidentService(Store.open(self.db_path()), author, redactor=redactor)
        return self._service

    def use(self, service: IncidentService) -> None:
        """Work on this service from now on (the demo's scratch database)."""
        self._service = service

    def close(self) -> None:
        """The command is done: close the database (checkpointing its journal, as the end of a process does)."""
        if self._service is not None:
            self._service.store.close()
            self._service = None


pass_ctx = click.make_pass_decorator(AppContext)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def emit_json(data: Any) -> None:
    from cockpit.textsafe import json_safe

    click.echo(json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str)))


T = TypeVar("T")


def emit_rows(items: Sequence[T], as_json: bool, to_json: Callable[[T], Any], empty: str,
              line: Callable[[T], str]) -> None:
    """A listing command's output: a JSON array (``[]`` when empty), or one line per item, or ``empty`` (a
    sentence saying there is nothing, and often what makes something)."""
    if as_json:
        emit_json([to_json(item) for item in items])
        return
    if not items:
        click.echo(empty)
    for item in items:
        click.echo(line(item))


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_stored(stored: str) -> str:
    """What ``iso`` writes for a time, from the text the store keeps (``2026-11-18T14:01:00.000000Z``) without parsing
    it: ``show --json`` writes 100,000 of them."""
    if len(stored) == 27 and stored[19] == "." and stored[26] == "Z" and stored[20:26].isdigit():
        return stored[:19] + "Z" if stored[20:26] == "000000" else stored
    from cockpit.store.schema import from_db_time

    return iso(from_db_time(stored)) or ""


def local_and_utc(moment: datetime, seconds: bool = True) -> str:
    fmt = "%H:%M:%S" if seconds else "%H:%M"
    local = moment.astimezone()
    return f"{local:%Y-%m-%d} {local.strftime(fmt)} ({moment.astimezone(UTC).strftime(fmt)}Z)"


def parse_when(text: str) -> datetime:
    """An ISO 8601 time (UTC if no zone), a relative one like ``-15m`` or ``15 min ago``, or a UTC clock time."""
    from cockpit.domain.when import parse_started

    return parse_started(text, datetime.now(UTC))



def run_tui(app: AppContext, demo: bool = False) -> None:
    """Open the cockpit screen on the context's database (a demo never syncs with a real tracker)."""
    from cockpit.tui.app import CockpitApp

    service = app.service()
    config = app.config()
    if demo:
        CockpitApp(service, config, sync_interval=0, sync_state="demo: no sync").run()
    else:  # nobody said who is typing (no --as, COCKPIT_RESPONDER or config): the cockpit asks once
        CockpitApp(service, config, ask_responder=app.responder is None and config.responder_source == "login").run()


class _Server(Protocol):
    @property
    def origin(self) -> str: ...


class _Checked(Protocol):
    def check(self) -> str: ...


S = TypeVar("S", bound=_Server)


allow_plaintext_option = click.option(
    "--allow-plaintext-keyring", "allow_plaintext", is_flag=True,
    help="Store the secret even in a keyring that keeps it unencrypted in a file (refused otherwise; the "
         "environment variable is the alternative).")


def show_source(settings: S | None, group: str, name: str, data: Callable[[S], dict[str, Any]],
                line: Callable[[S, dict[str, Any]], str], as_json: bool) -> None:
    """``cockpit slo|alerts source show``: the configured source and whether a token is available (never the
    token itself), as a line or as JSON (``null`` when none is set)."""
    if settings is None:
        if as_json:
            emit_json(None)
        else:
            click.echo(f"No {name} configured: `cockpit {group} source set URL` "
                       f"(or COCKPIT_{name.upper()}_URL).")
        return
    facts = data(settings)
    if as_json:
        emit_json(facts)
    else:
        click.echo(line(settings, facts))


def login_to_source(settings: S | None, group: str, open_source: Callable[[S], AbstractContextManager[_Checked]],
                    store: Callable[[S, str], None], variable: str, allow_plaintext: bool) -> None:
    """``cockpit slo|alerts source login``: ask for the token without echo, try it on the server, keep it in the
    keyring. A token the server refuses is not kept; one that cannot be checked now is kept, and said so. A
    keyring that cannot keep it (or would keep it unencrypted) is found out before anyone types it."""
    from dataclasses import replace

    from cockpit.keyring_store import keyring_refusal
    from cockpit.textsafe import one_line

    if settings is None:
        raise InvalidInput(f"Set the source first: `cockpit {group} source set URL`.")
    if refusal := keyring_refusal(variable, allow_plaintext):
        raise InvalidInput(refusal)
    token = click.prompt(f"token for {settings.origin}", hide_input=True, default="", show_default=False).strip()
    if not token:
        raise InvalidInput("Nothing was typed; the token is unchanged.")
    try:
        with open_source(replace(settings, token=token)) as source:  # type: ignore[type-var]
            source.check()
    except CockpitError as exc:
        if "refused the credentials" in str(exc):
            raise InvalidInput(f"{exc} The token was not saved.") from None
        click.echo(f"note: {one_line(str(exc))} The token is saved unchecked.", err=True)
    store(settings, token)
    click.echo(f"Token for {settings.origin} saved in the OS keyring.")
