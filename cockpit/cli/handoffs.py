"""``cockpit handoff``: shift handoff notes (draft, list, show, export, sign off, acknowledge)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from cockpit.cli.common import (
    AppContext,
    emit_json,
    iso,
    json_option,
    pass_ctx,
)
from cockpit.cli.runbooks import runbook_library


@click.group()
def handoff() -> None:
    """On-call handoffs: draft from the store, sign off, acknowledge, export."""


@handoff.command("draft")
@click.option("--to", "recipient", default=None, metavar="NAME",
              help="Who it is for (default: the next primary on the rotation, if there is one).")
@pass_ctx
def handoff_draft(app: AppContext, recipient: str | None) -> None:
    """Start a handoff prefilled from the store (known risks carry over from the previous one); prints its id."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    library = runbook_library(app)
    for problem in library.problems:  # a broken runbook is left out of "runbook updates", and said so
        click.echo(f"warning: {one_line(str(problem))}", err=True)
    made = Handoffs(app.service()).draft(library.runbooks, recipient=recipient)
    whom = f" for {one_line(made.recipient)}" if made.recipient else ""
    click.echo(f"Drafted {made.key}{whom}: {sum(len(v) for v in made.sections.values())} items prefilled.")
    click.echo(made.key)


@handoff.command("list")
@json_option
@pass_ctx
def handoff_list(app: AppContext, as_json: bool) -> None:
    """Handoffs, newest first; a signed handoff not acknowledged in time (config handoff_ack_minutes, default
    60) is flagged."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    now = datetime.now(UTC)
    window = timedelta(minutes=app.config().handoff_ack_minutes)
    items = Handoffs(app.service()).list()
    if as_json:
        emit_json([{"id": h.key, "author": h.author, "recipient": h.recipient, "created_at": iso(h.created_at),
                    "state": h.state, "signed_at": iso(h.signed_at), "acknowledged_by": h.acknowledged_by,
                    "acknowledged_at": iso(h.acknowledged_at), "overdue_ack": h.overdue_ack(now, window)}
                   for h in items])
        return
    if not items:
        click.echo("No handoffs yet: `cockpit handoff draft` starts one.")

    for h in items:
        flag = "  NOT ACKNOWLEDGED" if h.overdue_ack(now, window) else ""
        line = f"{h.key} {h.created_at:%Y-%m-%d %H:%M}Z {h.state:<12} from {one_line(h.author)}"
        if h.recipient:
            line += f" to {one_line(h.recipient)}"
        if h.acknowledged_by and h.acknowledged_at:
            line += f"; acknowledged by {one_line(h.acknowledged_by)} {h.acknowledged_at:%Y-%m-%d %H:%M}Z"
        click.echo(line + flag)


@handoff.command("show")
@click.argument("key", metavar="ID")
@pass_ctx
def handoff_show(app: AppContext, key: str) -> None:
    """One handoff."""
    click.echo(_handoff_markdown(app, key))


def _handoff_markdown(app: AppContext, key: str) -> str:
    from cockpit.domain.handoff import to_markdown
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import literal

    return literal(to_markdown(Handoffs(app.service()).get(key)))


@handoff.command("export")
@click.argument("key", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["md"]), default="md", show_default=True)
@pass_ctx
def handoff_export(app: AppContext, key: str, fmt: str) -> None:
    """Markdown to paste into a ticket or chat."""
    click.echo(_handoff_markdown(app, key), nl=False)


@handoff.command("sign")
@click.argument("key", metavar="ID")
@pass_ctx
def handoff_sign(app: AppContext, key: str) -> None:
    """The outgoing engineer signs the handoff off."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    made = Handoffs(app.service()).sign(key)
    click.echo(f"{made.key} signed off by {one_line(made.author)}.")


@handoff.command("ack")
@click.argument("key", metavar="ID")
@pass_ctx
def handoff_ack(app: AppContext, key: str) -> None:
    """The incoming engineer acknowledges the handoff (their name and the time are recorded)."""
    from cockpit.service.handoffs import Handoffs
    from cockpit.textsafe import one_line

    made = Handoffs(app.service()).acknowledge(key)
    click.echo(f"{made.key} acknowledged by {one_line(made.acknowledged_by or '')}.")


COMMANDS: list[click.Command] = [handoff]
