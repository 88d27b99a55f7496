"""``cockpit demo``: the sample incident, its SLOs and (when installed) a local Prometheus."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from cockpit.cli.common import (
    AppContext,
    run_tui,
)
from cockpit.cli.incidents import incident_list, print_detail


@click.command()
@click.option("--no-ui", is_flag=True, help="Load the demo data and print it instead of opening the cockpit.")
@click.pass_context
def demo(ctx: click.Context, no_ui: bool) -> None:
    """Load the sample data into a scratch database (never your real one) and open it."""
    from cockpit.config import cache_dir
    from cockpit.service.incidents import IncidentService
    from cockpit.service.sample import SAMPLE_DIR, load_sample_data
    from cockpit.store.db import Store

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store.open(path)
    loaded = load_sample_data(store, now=datetime.now(UTC))
    app: AppContext = ctx.obj
    app.db = path
    app.use(IncidentService(store, app.responder or app.config().responder))
    click.echo(f"Demo: {len(loaded.incidents)} sample incidents loaded into {path} (a scratch database).")
    os.environ["COCKPIT_RUNBOOK_DIRS"] = str(SAMPLE_DIR / "runbooks")  # demo mode: the sample runbook library
    from cockpit.cli.improve import demo_dirs

    demo_dirs(folder / "demo-improve")  # copies of the sample experiments, toil and capacity files
    os.environ["COCKPIT_SERVICE_DIRS"] = str(SAMPLE_DIR / "services")  # and the sample service catalog (#11)
    if not no_ui:
        from cockpit.cli.slo import demo_signals
        from cockpit.sources.local_alertmanager import demo_alerts

        with demo_signals(loaded.shift) as signals_note, demo_alerts() as alerts_note:  # live sources, if installed
            click.echo(signals_note)
            click.echo(alerts_note)
            run_tui(app, demo=True)
        return
    ctx.invoke(incident_list, show_all=True, as_json=False)
    open_refs = [s.ref for s in app.service().list_incidents()]
    if open_refs:
        click.echo("")
        print_detail(app.service().get(open_refs[0]), tail=15)
    click.echo(f"\nTry: cockpit --db {path} incident show {open_refs[0] if open_refs else 'REF'}")


COMMANDS: list[click.Command] = [demo]
