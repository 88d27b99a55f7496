"""Command line of the web side: ``status-page build``, ``serve``, and ``comms ... --publish``.

``extend_comms`` gives the main group's ``comms`` command its ``--publish``. Heavy imports (Jinja2, textual-serve) wait
until a command runs, so the CLI's start-up stays as it was.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cockpit.cli.common import AppContext
from cockpit.errors import InvalidInput

if TYPE_CHECKING:
    from cockpit.web.statuspage import BuildResult


def _interval(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if not math.isfinite(value) or not 0.1 <= value <= 3600:
        raise click.BadParameter(f"{value:g} is not a number of seconds from 0.1 to 3600.")
    return value


@click.group("status-page")
def status_page() -> None:
    """The public status page: a folder of static files (index.html, feed.xml) to copy to any web host."""


@status_page.command("build")
@click.argument("out_dir", required=False, type=click.Path(path_type=Path), metavar="OUT_DIR")
@click.option("--title", default=None, help="The page's title (default: config status_page.title, else "
              "'Service status').")
@click.option("--component", "components", multiple=True, metavar="NAME",
              help="A component always listed (repeatable; default: config status_page.components). Services named "
                   "on published incidents are added.")
@click.option("--base-url", default=None, metavar="URL",
              help="Where the folder will be served (https://status.example.com/): gives the Atom feed absolute "
                   "links.")
@click.option("--watch", is_flag=True, help="Keep running: rebuild whenever an update is published or a published "
              "incident changes (Ctrl-C stops).")
@click.option("--interval", default=2.0, show_default=True, callback=_interval,
              help="With --watch: seconds between looks at the database (0.1 to 3600).")
@click.pass_obj
def status_page_build(app: AppContext, out_dir: Path | None, title: str | None, components: tuple[str, ...],
                      base_url: str | None, watch: bool, interval: float) -> None:
    """Render the status page into OUT_DIR (created if missing; default: config status_page.dir or
    $COCKPIT_STATUS_PAGE_DIR).

    The page lists components and their state, each open incident with the updates published for it (comms
    --publish, or P in the cockpit's comms screen), and incidents resolved in the last 90 days. Only published
    incidents and published text appear: internal notes and the internal notification never do. The page has no
    script and loads nothing from elsewhere."""
    from cockpit.web.settings import page_settings
    from cockpit.web.statuspage import build

    config = app.config()
    settings = page_settings(config.raw, config.path, folder=out_dir, title=title, components=components,
                             base_url=base_url)
    if settings.folder is None:
        raise InvalidInput("Give the folder to write the page to: cockpit status-page build OUT_DIR (or set "
                           "status_page.dir in the config file).")
    svc = app.service()
    if not watch:
        result = build(svc, settings.folder, settings.options)
        click.echo(f"Status page written to {result.folder / 'index.html'}: {result.open} open and "
                   f"{result.resolved} resolved incident(s), {result.updates} published update(s).")
        return
    import threading

    from cockpit.textsafe import one_line
    from cockpit.web.statuspage import watch as watch_page

    def built(result: BuildResult) -> None:
        click.echo(f"Rebuilt {result.folder / 'index.html'}: {result.open} open, {result.resolved} resolved, "
                   f"{result.updates} update(s) ({result.seconds * 1000:.0f} ms).")

    def failed(exc: Exception) -> None:
        click.echo(f"error: {one_line(str(exc))} (trying again in {interval:g} s)", err=True)

    stop = threading.Event()
    try:
        watch_page(svc, settings.folder, settings.options, interval=interval, stop=stop, on_build=built,
                   on_error=failed)
    except KeyboardInterrupt:
        click.echo("Stopped watching; the page stays as last built.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. textual-serve has no authentication: keep loopback and put an "
                   "authenticating reverse proxy in front (see README).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--public-url", default=None, metavar="URL",
              help="The address browsers use when behind a reverse proxy (https://cockpit.example.com), so the "
                   "page's websocket goes through the proxy too.")
@click.pass_obj
def serve(app: AppContext, host: str, port: int, public_url: str | None) -> None:
    """Serve the cockpit to browsers, read-only: every change is refused in a browser session, and says so.

    Each browser connection runs its own cockpit screen on this database (a process, about 80 MB). There is no
    authentication: anyone who reaches the port sees every incident."""
    from cockpit.web.serve import check_listen, is_loopback
    from cockpit.web.serve import serve as run_server

    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise InvalidInput("--public-url must start with http:// or https://.")
    check_listen(host, port)
    db = app.db_path()
    app.service().store.close()  # opened once here: a bad or old database is reported (or upgraded) before serving
    if not is_loopback(host):
        click.echo(f"warning: listening on {host}, and textual-serve has no authentication: anyone who reaches port "
                   f"{port} sees every incident. Put an authenticating reverse proxy in front (see README).", err=True)
    click.echo(f"Serving the cockpit read-only at {public_url or f'http://{host}:{port}'} (Ctrl-C stops).")
    sys.stdout.flush()
    run_server(db, host, port, public_url)


def _publish_comms(app: AppContext, ref: str, template: str, public_title: str | None, as_json: bool) -> None:
    from cockpit.domain.comms import Template
    from cockpit.textsafe import json_safe, literal, one_line
    from cockpit.web.settings import page_settings
    from cockpit.web.statuspage import publish_and_rebuild

    config = app.config()
    settings = page_settings(config.raw, config.path)  # checked before anything is published
    svc = app.service()
    chosen = Template.parse(template)
    rendered = svc.render_comms(ref, chosen)
    notice, page = publish_and_rebuild(svc, ref, chosen, settings, text=rendered.text, public_title=public_title)
    if as_json:
        click.echo(json_safe(json.dumps({
            "template": chosen.value, "text": notice.text, "recorded": True, "published": True,
            "publication": notice.id, "public_title": notice.public_title,
            "status_page": str(page) if page else None,
        }, ensure_ascii=False, indent=2)))
        return
    click.echo(literal(notice.text))
    where = (f"status page rebuilt: {page}" if page else "no status page folder is set (status_page.dir in the "
             "config, or COCKPIT_STATUS_PAGE_DIR): run `cockpit status-page build OUT_DIR`")
    click.echo(f"Published as “{one_line(notice.public_title)}” and logged as sent; {where}.", err=True)


def extend_comms(group: click.Group) -> None:
    """Give the main group's ``comms`` command ``--publish`` and ``--public-title``, keeping the rest as it is."""
    command = group.commands.get("comms")
    if command is None or command.callback is None:
        return
    command.params.append(click.Option(
        ["--publish"], is_flag=True,
        help="Make it public: log it as sent, show it on the status page and rebuild the page (customer and "
             "resolution only; the internal initial notification is never published)."))
    command.params.append(click.Option(
        ["--public-title"], default=None, metavar="TEXT",
        help="With --publish: the incident's name on the status page (default: the last one published, else the "
             "incident's title)."))
    original = command.callback

    @functools.wraps(original)
    def callback(*args: Any, publish: bool, public_title: str | None, **kwargs: Any) -> Any:
        if not publish:
            if public_title is not None:
                raise InvalidInput("--public-title goes with --publish.")
            return original(*args, **kwargs)
        if kwargs.get("record"):
            raise InvalidInput("Use --publish or --record, not both: publishing also logs it as sent.")
        _publish_comms(click.get_current_context().obj, kwargs["ref"], kwargs["template"],
                       public_title, bool(kwargs.get("as_json")))
        return None

    command.callback = callback


COMMANDS: list[click.Command] = [status_page, serve]
