"""``cockpit shell REF``: work in your own shell while the cockpit records each command line into the incident."""

from __future__ import annotations

import click

from cockpit.cli.common import AppContext, pass_ctx


def known_secrets() -> list[str]:
    """Every secret the cockpit knows on this machine: tracker tokens (variables and keyring), the cockpit's secret
    variables, and the Prometheus and Alertmanager tokens."""
    import os

    from cockpit.errors import CockpitError
    from cockpit.redact import secret_variables
    from cockpit.sources import alert_settings, settings
    from cockpit.sync.settings import stored_secrets

    found = [*stored_secrets(), *secret_variables(os.environ)]
    try:
        prometheus = settings.load_settings()
        found += [prometheus_token] if prometheus and (prometheus_token := settings.with_token(prometheus).token) \
            else []
    except CockpitError:
        pass  # a broken sources file has no token to find
    try:
        alertmanager = alert_settings.load_settings()
        found += [alert_token] if alertmanager and (alert_token := alert_settings.with_token(alertmanager).token) \
            else []
    except CockpitError:
        pass
    return found


@click.command()
@click.argument("ref")
@click.option("--exit-codes", is_flag=True, help="Record each command's exit status too.")
@pass_ctx
def shell(app: AppContext, ref: str, exit_codes: bool) -> None:
    """Open your shell (bash or zsh, from $SHELL; else bash) recording each command line you run into the
    incident's timeline as a `command` entry, with the folder it ran in.

    Known secrets (tracker, Prometheus and Alertmanager tokens, COCKPIT_* secret variables) and the patterns of
    `secret_patterns:` in the config (besides GitHub tokens, Bearer tokens, password=… and user:password@ in URLs)
    are replaced by [redacted] before anything is stored; none of them reaches the shell's environment. Leave the
    shell (exit, ctrl+d) to stop: the cockpit says how many commands it recorded.
    """
    from cockpit.redact import SECRET_PATTERNS, Redactor
    from cockpit.service.shell_capture import Capture, run_shell
    from cockpit.textsafe import one_line

    patterns = Redactor.build(SECRET_PATTERNS, app.config().secret_patterns)

    def started(capture: Capture) -> None:
        click.echo(f"Recording commands into {capture.ref} ({capture.shell}); leave the shell to stop.", err=True)

    capture = run_shell(app.service(), ref, known_secrets(), patterns, exit_codes, started=started)
    redacted = f"; {capture.redacted} with secrets redacted" if capture.redacted else ""
    click.echo(f"Recorded {capture.recorded} command{'s' if capture.recorded != 1 else ''} into {capture.ref}"
               f"{redacted}.")
    for problem in dict.fromkeys(capture.refused):
        click.echo(f"warning: a command was not recorded: {one_line(problem)}", err=True)


COMMANDS: list[click.Command] = [shell]
