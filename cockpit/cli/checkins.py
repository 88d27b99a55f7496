"""``cockpit checkin``: "Ops Lead, back to you in 5 minutes", a countdown on a role, written to the timeline."""

from __future__ import annotations

import click

from cockpit.cli.common import AppContext, emit_json, iso, json_option, local_and_utc, pass_ctx


@click.command()
@click.argument("ref")
@click.argument("role_name", metavar="ROLE")
@click.argument("minutes", type=click.IntRange(0, 24 * 60))
@click.argument("note")
@json_option
@pass_ctx
def checkin(app: AppContext, ref: str, role_name: str, minutes: int, note: str, as_json: bool) -> None:
    """Set a check-in on ROLE (ic, comms, ops, sme, scribe): back in MINUTES, about NOTE.

    The role board shows the countdown, then "overdue"; the cockpit of whoever set it records once that it is
    overdue. MINUTES 0 records that the role checked in and clears the countdown.
    """
    from cockpit.domain.roles import Role
    from cockpit.service.role_watch import RoleWatch
    from cockpit.textsafe import one_line

    entry = RoleWatch(app.service()).set_checkin(ref, Role.parse(role_name), minutes, note)
    if as_json:
        emit_json({"id": entry.id, "at": iso(entry.at), "kind": entry.kind, "author": entry.author,
                   "text": entry.text})
        return
    click.echo(one_line(entry.text))
    click.echo(f"Recorded at {local_and_utc(entry.at)}.")


COMMANDS: list[click.Command] = [checkin]
