"""``cockpit replay`` and ``cockpit drill``: a past incident played again for training, or opened as a tabletop
exercise."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import click

from cockpit.cli.common import AppContext, local_and_utc, pass_ctx

if TYPE_CHECKING:
    from cockpit.domain.incident import Entry


@click.command()
@click.argument("ref")
@click.option("--speed", type=float, default=10.0, show_default=True, metavar="TIMES",
              help="Times the original pace (60: an hour in a minute).")
@click.option("--max-wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Skip quiet stretches: never wait longer than this between two entries (default: the pace).")
@click.option("--no-tui", is_flag=True, help="Play it here, one line per entry, instead of opening the cockpit.")
@click.option("--keep", is_flag=True, help="Keep the scratch database afterwards and print where it is.")
@pass_ctx
def replay(app: AppContext, ref: str, speed: float, max_wait: float | None, no_tui: bool, keep: bool) -> None:
    """Play a finished incident's timeline again, at SPEED times its pace, into a scratch database (never your
    real one, never synced) and open the cockpit on it: entries appear as they did, for training."""
    from cockpit.domain.replay import check_speed
    from cockpit.errors import InvalidInput
    from cockpit.service.incidents import IncidentService
    from cockpit.service.replay import Replay, Scratch
    from cockpit.textsafe import one_line

    if problem := check_speed(speed):
        raise InvalidInput(problem)
    source = app.service()
    scratch = Scratch.create()
    try:
        player = Replay(source, ref, scratch.store)
        incident_id = player.prepare()
        total = len(player.entries)
        clock = player.clock(speed, max_wait)
        span = clock.offsets[-1]
        click.echo(f"Replaying {player.snapshot.ref} ({total} entries) at ×{speed:g}: about {span:.0f} s, into the "
                   f"scratch database {scratch.path} (never synced).")
        if no_tui:
            def shown(entry: Entry, elapsed: float) -> None:
                click.echo(f"+{elapsed:7.2f}s {local_and_utc(entry.at)} [{entry.kind}] {one_line(entry.author)}: "
                           f"{one_line(entry.text)[:200]}")

            played = player.run(clock, shown)
            click.echo(f"Replayed {played} of {total} entries; nothing was queued for any tracker.")
        else:
            from cockpit.tui.app import CockpitApp

            stop = threading.Event()
            driver = threading.Thread(target=player.run, args=(clock, None, stop), daemon=True, name="replay")
            viewer = IncidentService(scratch.store, source.author, clock=clock)
            driver.start()
            try:
                CockpitApp(viewer, app.config(), clock=clock, sync_interval=0,
                           sync_state=f"replay ×{speed:g}: never synced", land_on=incident_id).run()
            finally:
                stop.set()
                driver.join(timeout=5)
    finally:
        if keep:
            scratch.store.close()
            click.echo(f"Scratch database kept: {scratch.path}")
        else:
            scratch.discard()


@click.command()
@click.argument("ref")
@click.option("--entries", "count", type=click.IntRange(0, 100), default=6, show_default=True, metavar="N",
              help="How many of the past incident's opening entries (what people wrote, and alerts) to seed it with.")
@click.option("--to-tracker", is_flag=True, help="Also send the exercise to the tracker (it is not, by default).")
@click.option("--no-tui", is_flag=True, help="Start it and print its reference instead of opening the cockpit.")
@pass_ctx
def drill(app: AppContext, ref: str, count: int, to_tracker: bool, no_tui: bool) -> None:
    """Start a tabletop exercise from a past incident: a new incident of kind exercise (marked EXERCISE on screen,
    never counted in the figures, never sent to a tracker unless --to-tracker), seeded with the past incident's
    opening entries, its clock running from now. The reference is printed alone on the last line."""
    from cockpit.service.replay import start_drill

    svc = app.service()
    drill_ref, seeded = start_drill(svc, ref, count, to_tracker)
    where = "sent to the tracker" if to_tracker else "not sent to any tracker"
    click.echo(f"EXERCISE {drill_ref} started from {svc.get(ref, with_timeline=False).snapshot.ref} with {seeded} "
               f"opening entries ({where}).")
    if not no_tui:
        from cockpit.tui.app import CockpitApp

        CockpitApp(svc, app.config(), land_on=svc.resolve(drill_ref)).run()
    click.echo(drill_ref)


COMMANDS: list[click.Command] = [replay, drill]
