"""The one family of errors a person reads.

Every error here carries a single plain sentence that says what is wrong and what to do.
The CLI maps them to exit codes in one place (``cockpit.cli``); the TUI shows them as
notifications. Anything that is not a ``CockpitError`` is a bug.
"""

from __future__ import annotations


class CockpitError(Exception):
    """Base of all user-facing errors. ``str(err)`` is the sentence shown to the person."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(CockpitError):
    """The person gave a value the cockpit cannot use (wrong phase name, empty title...)."""

    exit_code = 2


class ReadOnly(CockpitError):
    """This session may only read (the cockpit served to a browser): the change was not made."""

    exit_code = 2


class NotFound(CockpitError):
    """A reference or id matched nothing."""

    exit_code = 3


class Ambiguous(CockpitError):
    """A reference prefix matched more than one record."""

    exit_code = 3


class RuleViolation(CockpitError):
    """An incident rule forbids the change (for example skipping MITIGATE)."""

    exit_code = 4


class StoreError(CockpitError):
    """The database cannot be opened or used."""

    exit_code = 5


class StoreConflict(StoreError):
    """A change clashed with a record the database already holds (a UNIQUE constraint): nothing was written, and
    the file is not damaged. ``detail`` names the constraint."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class StoreLocked(StoreError):
    """Another process holds the database's write lock for too long."""

    exit_code = 6
