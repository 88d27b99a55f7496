"""``cockpit export REF DIR`` and ``cockpit import DIR``: an incident as Markdown plus JSON Lines, and back."""

from __future__ import annotations

from pathlib import Path

import click

from cockpit.cli.common import AppContext, pass_ctx


@click.command("export")
@click.argument("ref")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def export(app: AppContext, ref: str, folder: Path) -> None:
    """Write the whole incident to DIR: incident.md to read, and JSON Lines (incident, timeline, roles, decisions,
    action items, postmortem) in a stable order and format, diffable in a pull request. `cockpit import DIR` reads
    it back into another cockpit."""
    from cockpit.service.exchange import Exchange
    from cockpit.textsafe import one_line

    done = Exchange(app.service()).export(ref, folder.expanduser())
    click.echo(f"Exported {done.ref} ({done.entries} entries) to {one_line(str(done.folder))}: "
               f"{', '.join(done.files)}.")


@click.command("import")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def import_(app: AppContext, folder: Path) -> None:
    """Read an incident written by `cockpit export` into this cockpit, every id and time kept. Refused when this
    cockpit already has it, or when a file is not what an export writes (file:line says where). It is queued for
    the tracker like anything written here; the sync looks for it there first, so nothing is sent twice."""
    from cockpit.service.exchange import Exchange

    done = Exchange(app.service()).import_folder(folder.expanduser())
    click.echo(f"Imported {done.ref}: {done.entries} entries, {done.roles} role assignments, {done.actions} action "
               f"items.")
    for was, now in done.renumbered:
        click.echo(f"AI-{was} is AI-{now} here: AI-{was} was taken in this cockpit.")
    if done.queued:
        click.echo(f"{done.queued} changes queued for the tracker (looked for there first).")
    click.echo(done.ref)


COMMANDS: list[click.Command] = [export, import_]
