"""``cockpit postmortem`` and ``cockpit report``: the postmortem document and the monthly report."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from cockpit.cli.common import (
    AppContext,
    emit_json,
    pass_ctx,
)


@click.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["md", "yaml"]), default="md", show_default=True)
@click.option("--full", is_flag=True, help="The full template even for SEV3/SEV4 (which get the quick one).")
@pass_ctx
def postmortem(app: AppContext, ref: str, fmt: str, full: bool) -> None:
    """Draft a blameless postmortem from what the cockpit recorded."""
    import yaml

    from cockpit.domain import postmortem as pm
    from cockpit.service.aftercare import Aftercare
    from cockpit.textsafe import literal, one_line

    draft = Aftercare(app.service()).postmortem(ref, full=True if full else None)
    if draft.unresolved:
        click.echo(f"note: {one_line(ref)} is not resolved yet; this is a draft with times so far.", err=True)
    for flag in draft.blame_flags:
        click.echo(f"blameless check: “{literal(flag.sentence)}” — {flag.suggestion}", err=True)
    if fmt == "yaml":
        click.echo(literal(yaml.safe_dump(pm.as_dict(draft), sort_keys=False, allow_unicode=True, width=100)))
    else:
        click.echo(literal(pm.to_markdown(draft)))


@click.group()
def report() -> None:
    """Reliability reports."""


@report.command("monthly")
@click.option("--month", default=None, metavar="YYYY-MM", help="The month (default: this month).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@pass_ctx
def report_monthly(app: AppContext, month: str | None, fmt: str) -> None:
    """The seed's monthly reliability report, with on-call health against its thresholds."""
    from cockpit.domain.report import to_markdown
    from cockpit.service.aftercare import Aftercare
    from cockpit.textsafe import literal

    today = datetime.now(UTC).date()
    data = Aftercare(app.service()).monthly_report(month or f"{today:%Y-%m}", today)
    if fmt == "json":
        emit_json(data)
    else:
        click.echo(literal(to_markdown(data)))


COMMANDS: list[click.Command] = [postmortem, report]
