"""``cockpit runbook``: validate, list, show, suggest and start runbook files."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cockpit.cli.common import (
    AppContext,
    emit_json,
    emit_rows,
    json_option,
    pass_ctx,
)
from cockpit.errors import InvalidInput

if TYPE_CHECKING:  # imported when a command runs: the CLI starts quickly
    from cockpit.service.runbooks import Library


@click.group()
def runbook() -> None:
    """Validate, list, show, suggest and write runbooks (walk one in the cockpit: b on an incident)."""


def runbook_library(app: AppContext) -> Library:
    from cockpit.service.runbooks import library_folders, load_library

    return load_library(library_folders(app.config().runbook_dirs))


@runbook.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def runbook_validate(paths: tuple[Path, ...]) -> None:
    """Check runbook files (or folders of them): syntax, schema, duplicate ids. Exit 1 on any problem.

    Only regular files of at most 5 MB are read: a device, a pipe or a socket is reported, never read."""
    from cockpit.service.runbooks import load_library
    from cockpit.textsafe import one_line

    library = load_library(paths)
    for problem in library.problems:
        click.echo(one_line(str(problem)), err=True)
    if library.problems:
        files = len({p.file for p in library.problems})
        click.echo(f"{len(library.problems)} problem(s) in {files} file(s); "
                   f"{len(library.runbooks)} of {library.files} runbook(s) valid.", err=True)
        sys.exit(1)
    click.echo(f"{len(library.runbooks)} runbook(s) valid.")


@runbook.command("list")
@json_option
@pass_ctx
def runbook_list(app: AppContext, as_json: bool) -> None:
    """Runbooks in the library (config runbook_dirs, or $COCKPIT_RUNBOOK_DIRS)."""
    from cockpit.textsafe import one_line

    library = runbook_library(app)
    for problem in library.problems:
        click.echo(f"warning: {one_line(str(problem))}", err=True)
    if as_json:
        emit_json([{"id": b.id, "title": b.title, "alert_name": b.alert_name, "services": list(b.services),
                    "tags": list(b.tags), "owner": b.owner, "last_updated": b.last_updated, "file": b.source}
                   for b in library.runbooks])
        return
    if not library.runbooks:
        click.echo("No runbooks. Add folders under runbook_dirs in the config file, or write one with "
                   "`cockpit runbook new`.")
        return
    for b in library.runbooks:
        click.echo(f"{b.id:<34} {one_line(b.alert_name)[:28]:<28} {one_line(b.title)}")


@runbook.command("show")
@click.argument("runbook_id", metavar="ID")
@json_option
@pass_ctx
def runbook_show(app: AppContext, runbook_id: str, as_json: bool) -> None:
    """One runbook in full."""
    import dataclasses

    from cockpit.textsafe import literal

    book = runbook_library(app).get(runbook_id)
    if as_json:
        emit_json(dataclasses.asdict(book))
        return
    out = [f"{book.id}: {book.title}", f"alert {book.alert_name} · owner {book.owner} · updated {book.last_updated}",
           f"services: {', '.join(book.services) or '—'} · tags: {', '.join(book.tags) or '—'}", "",
           book.overview.strip(), "", f"Impact: {book.impact.strip()}", "", "Diagnosis:"]
    for i, step in enumerate(book.diagnosis, 1):
        out += [f"  {i}. {step.step}", f"     $ {step.command}" + ("   (shell)" if step.shell else ""),
                f"     expected: {step.expected}", f"     if not: {step.if_unexpected}"]
    out.append("Mitigation:")
    for i, option in enumerate(book.mitigation, 1):
        out.append(f"  {chr(96 + i)}) {option.option} — when {option.when}")
        for step in option.steps:
            out.append(f"     - {step.step}" + (f"  $ {step.command}" if step.command else ""))
    esc = book.escalation
    out.append(f"Escalation: after {esc.after_minutes} min to {esc.contact}; provide: {esc.context_to_provide}")
    click.echo(literal("\n".join(out)))


@runbook.command("suggest")
@click.argument("ref")
@json_option
@pass_ctx
def runbook_suggest(app: AppContext, ref: str, as_json: bool) -> None:
    """Runbooks for an incident: alert names seen in its timeline, then its services."""
    from cockpit.textsafe import one_line

    detail = app.service().get(ref)
    words = [detail.snapshot.title, *(e.text for e in detail.timeline)]
    books = runbook_library(app).suggest(detail.snapshot.services, words)
    emit_rows(books, as_json, lambda b: {"id": b.id, "title": b.title, "alert_name": b.alert_name},
              "No runbook matches this incident's alerts or services.", lambda b: f"{b.id:<34} {one_line(b.title)}")


@runbook.command("new")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", default="Describe the alert", help="The runbook's title.")
@click.option("--alert", "alert_name", default="AlertName", help="The exact alert that triggers it.")
def runbook_new(path: Path, title: str, alert_name: str) -> None:
    """Write a valid skeleton runbook to PATH (never overwrites)."""
    from cockpit.domain.runbook import SKELETON
    from cockpit.service.runbooks import default_id

    if path.exists():
        raise InvalidInput(f"{path} already exists; choose another file name.")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.")
    # json.dumps gives a double-quoted YAML string with every special character escaped
    text = SKELETON.format(id=default_id(path), title=json.dumps(title)[1:-1], alert=json.dumps(alert_name)[1:-1],
                           today=datetime.now(UTC).date().isoformat(), path=path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path}: {exc.strerror or exc}.") from None
    from cockpit.textsafe import one_line

    shown = one_line(str(path))
    click.echo(f"Wrote {shown}; edit it, then run: cockpit runbook validate {shown}")


COMMANDS: list[click.Command] = [runbook]
