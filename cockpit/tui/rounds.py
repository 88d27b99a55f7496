"""A background reader of a live source (Prometheus, Alertmanager): every ``refresh_seconds`` one round in a worker
thread, never two at once; what a round learns goes into the store through a service, and the screens only read the
store, so a slow or dead server never holds up a key. A refusal becomes the ``note`` the screens show; anything
else is a bug, logged and reported, and the next round still runs."""

from __future__ import annotations

import threading
from typing import Any

from textual.app import App

from cockpit.errors import CockpitError
from cockpit.store.orm_import import import_orm
from cockpit.tui.host import host_of


class BackgroundRounds:
    group = "rounds"  # the worker group (one per source)

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.host = host_of(app)
        self.note = ""  # what the screens say about the source (none configured, a bad settings file, unreachable)
        self.rounds = 0
        self._lock = threading.Lock()

    def every(self, seconds: float) -> None:
        """Run a round now and every ``seconds``."""
        self.app.set_interval(seconds, self.round)
        self.round()

    def round(self) -> None:
        self.app.run_worker(self._work, thread=True, group=self.group, exit_on_error=False)

    def work(self) -> None:
        """One round, in the worker thread (sets ``note``)."""
        raise NotImplementedError

    def after(self) -> None:
        """Back on the screen's thread after a round."""

    def stop(self) -> None:
        """The cockpit is quitting: end a round in flight without waiting for it."""

    def _work(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # the previous round still runs
        try:
            import_orm()  # a round may import modules built on it: never at the same moment as a worker
            self.work()
        except CockpitError as exc:
            self.note = str(exc)
        except Exception:
            self.host.report_crash()
        finally:
            self.rounds += 1
            self._lock.release()
        if type(self).after is not BackgroundRounds.after:
            self.app.call_from_thread(self.after)
