"""``cockpit action``: postmortem action items (add, list, done)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from cockpit.cli.common import (
    AppContext,
    emit_json,
    json_option,
    pass_ctx,
)

if TYPE_CHECKING:  # imported when a command runs: the CLI starts quickly
    from cockpit.domain.postmortem import ActionItem


@click.group()
def action() -> None:
    """Postmortem action items (AI-001...): add, list, done."""


@action.command("add")
@click.argument("description")
@click.option("--incident", "ref", default=None, metavar="REF", help="The incident it comes from.")
@click.option("--type", "type_", type=click.Choice(["prevent", "detect", "mitigate", "process"]), default="prevent",
              show_default=True)
@click.option("--owner", default="", help="Who owns it.")
@click.option("--priority", type=click.Choice(["P0", "P1", "P2"]), default="P1", show_default=True)
@click.option("--due", "deadline", default=None, metavar="YYYY-MM-DD", help="Deadline.")
@click.option("--ticket", default="", help="Tracker ticket, e.g. OPS-123.")
@json_option
@pass_ctx
def action_add(app: AppContext, description: str, ref: str | None, type_: str, owner: str, priority: str,
               deadline: str | None, ticket: str, as_json: bool) -> None:
    """Add an action item."""
    from cockpit.service.aftercare import Aftercare

    item = Aftercare(app.service()).add_action(description, query=ref, type_=type_, owner=owner, priority=priority,
                                               deadline=deadline, ticket=ticket)
    if as_json:
        emit_json(_action_json(item))
    else:
        click.echo(item.key)


def _action_json(item: ActionItem) -> dict[str, Any]:
    from cockpit.domain.discipline import orphan_gaps

    today = datetime.now(UTC).date()
    return {"id": item.key, "type": item.type, "description": item.description, "owner": item.owner,
            "priority": item.priority, "deadline": item.deadline.isoformat() if item.deadline else None,
            "status": item.status, "ticket": item.ticket, "incident": item.incident_ref or None,
            "overdue": item.overdue(today),
            "orphan": [] if item.status == "done" else orphan_gaps(item.owner, item.deadline, item.ticket)}


@action.command("list")
@click.option("--incident", "ref", default=None, metavar="REF", help="Only this incident's items.")
@click.option("--all", "show_all", is_flag=True, help="Include done items.")
@click.option("--overdue", is_flag=True, help="Only overdue items.")
@json_option
@pass_ctx
def action_list(app: AppContext, ref: str | None, show_all: bool, overdue: bool, as_json: bool) -> None:
    """Action items, open first; overdue ones and orphans (no owner, date or ticket) are marked."""
    from cockpit.domain.discipline import orphan_gaps, orphan_text
    from cockpit.service.aftercare import Aftercare
    from cockpit.textsafe import one_line

    today = datetime.now(UTC).date()
    items = Aftercare(app.service()).actions(ref, include_done=show_all)
    if overdue:
        items = [i for i in items if i.overdue(today)]
    if as_json:
        emit_json([_action_json(i) for i in items])
        return
    if not items:
        click.echo("No action items.")
    for i in items:
        flag = " OVERDUE" if i.overdue(today) else ""
        if i.status != "done" and (gaps := orphan_gaps(i.owner, i.deadline, i.ticket)):
            flag += f" {orphan_text(gaps)}"  # the seed's anti-pattern: every item needs owner + date + ticket
        due = i.deadline.isoformat() if i.deadline else "no date"
        click.echo(f"{i.key} {i.priority} {i.type:<8} {i.status:<11} {due}{flag}  {one_line(i.owner) or '—'}: "
                   f"{one_line(i.description)}")


@action.command("done")
@click.argument("key", metavar="AI-NNN")
@pass_ctx
def action_done(app: AppContext, key: str) -> None:
    """Mark an action item done."""
    from cockpit.service.aftercare import Aftercare

    item = Aftercare(app.service()).set_status(key, "done")
    click.echo(f"{item.key} done.")


COMMANDS: list[click.Command] = [action]
