"""The ``cockpit`` command: the root group, one module per command group registered below, and the entry
point that turns every error a person can cause into one sentence and an exit code.

Every error a person can cause prints one sentence on standard error and exits non-zero;
``--json`` prints machine-readable data where a command prints data.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import NoReturn

import click

from cockpit import __version__
from cockpit.cli.common import AppContext, run_tui
from cockpit.errors import CockpitError, InvalidInput

#: One entry per command group: its module in this package (with its COMMANDS) and the names of those commands. A
#: module is imported when one of its commands runs (``cockpit note`` does not import the SLO or tracker commands,
#: and what they import); ``--help`` imports them all to list them. ``tests/cli/test_startup.py`` checks the names.
GROUPS: dict[str, tuple[str, ...]] = {
    "incidents": ("incident", "role", "note", "comms"),
    "runbooks": ("runbook",),
    "actions": ("action",),
    "postmortems": ("postmortem", "report"),
    "handoffs": ("handoff",),
    "sync": ("tracker", "sync"),
    "slo": ("slo",),
    "alerts": ("alerts",),
    "catalog": ("service", "assess", "prr", "review"),
    "improve": ("chaos", "toil", "capacity"),
    "web": ("status-page", "serve"),
    "demo": ("demo",),
    "shell": ("shell",),
    "checkins": ("checkin",),
    "exchange": ("export", "import"),
    "replay": ("replay", "drill"),
}
_MODULE_OF = {command: module for module, commands in GROUPS.items() for command in commands}


class LazyGroup(click.Group):
    """The root group: it knows every command's name, and imports a command's module when the command is asked
    for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_MODULE_OF})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _MODULE_OF:
            module = importlib.import_module(f"cockpit.cli.{_MODULE_OF[cmd_name]}")
            for each in module.COMMANDS:
                self.add_command(each)
        command = self.commands.get(cmd_name)
        if cmd_name == "comms" and command is not None and "publish" not in {p.name for p in command.params}:
            from cockpit.cli import web

            web.extend_comms(self)  # comms ... --publish (the status page's module, imported for comms only)
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                           list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:  # suggest from every command, not only the imported ones
            raise click.exceptions.NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                                 ctx=ctx) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             invoke_without_command=True)
@click.option("--db", type=click.Path(readable=False, path_type=Path), default=None, metavar="PATH",
              help="Database file (default: $COCKPIT_DB, else the user data directory).")
@click.option("--as", "responder", default=None, metavar="NAME",
              help="Responder name for this command (default: $COCKPIT_RESPONDER, config, login name).")
@click.version_option(__version__, prog_name="cockpit")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, responder: str | None) -> None:
    """Incident Cockpit: run a live incident from the terminal, offline-first.

    With no command, opens the cockpit screen: the most severe open incident (then the most recently
    active), or the incident list when none is open (ctrl+q quits, ? lists every key). On first start
    with no --as, COCKPIT_RESPONDER or config name, it asks who you are.

    \b
    Quick start:
      cockpit incident open "Checkout 500s" --impact core-down --scope gt25 --revenue
      cockpit note K7Q2 "Rolled back v2.14.2" --kind action
      cockpit role assign K7Q2 ic priya
      cockpit incident phase K7Q2 triage
      cockpit incident show K7Q2 --json

    References look like INC-K7Q2M9XF; any unique prefix (K7Q2) works.
    """
    if responder is not None:
        from cockpit.textsafe import control_characters

        if found := control_characters(responder):
            raise InvalidInput(f"--as NAME contains a control character ({found}); type the name as plain text.")
    ctx.obj = AppContext(db=db.expanduser() if db else None, responder=responder)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        run_tui(ctx.obj)



def main(argv: list[str] | None = None) -> None:
    from cockpit.textsafe import literal, one_line

    try:
        result = cli.main(args=argv, prog_name="cockpit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "cockpit"
        click.echo(f"error: {literal(exc.format_message())} (see '{where} --help')", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {literal(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except CockpitError as exc:
        click.echo(f"error: {one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except UnicodeEncodeError:
        click.echo("error: an argument is not valid text in this system's encoding (UTF-8); retype it.", err=True)
        sys.exit(2)
    except RuntimeError as exc:
        if "home directory" not in str(exc):  # a RecursionError is a RuntimeError too: a bug, said as one
            _crashed()
        click.echo(f"error: {one_line(str(exc))}; write the path out in full instead of using ~user.", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing half-written was kept.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except Exception:
        _crashed()
    sys.exit(result if isinstance(result, int) else 0)


def _crashed() -> NoReturn:
    """An exception nobody expected: logged, said in one sentence, exit 70; never a traceback on the screen."""
    from cockpit.config import log_crash

    path = log_crash()
    where = f"; details are in {path}" if path else ""
    click.echo(f"error: an unexpected problem stopped the cockpit (a bug){where}. Your data is safe.", err=True)
    sys.exit(70)


if __name__ == "__main__":
    main()
