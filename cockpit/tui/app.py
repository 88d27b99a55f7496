"""The cockpit application: themes, keymap, screens, and the bridge from the screen to the services.

Database work never runs on the screen's thread: ``call_service`` runs it in a thread worker and hands
the result back on the event loop. Errors the person can act on become notifications; a bug is logged
with its traceback and shown as one apologetic line.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual.actions import parse
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.screen import Screen

from cockpit.config import Config, config_dir, drafts_dir, log_crash
from cockpit.errors import CockpitError
from cockpit.resources import data_folder
from cockpit.service.clock import Clock, utc_now
from cockpit.service.drafts import Drafts
from cockpit.service.incidents import IncidentService
from cockpit.store.orm_import import import_orm, one_at_a_time
from cockpit.textsafe import clipboard_text, literal
from cockpit.tui.host import CockpitHost
from cockpit.tui.readonly import SENTENCE, refusal
from cockpit.tui.themes import DEFAULT_THEME, VARIABLE_DEFAULTS, load_themes, monochrome_variant

if TYPE_CHECKING:
    from cockpit.sync.relay import Relay
    from cockpit.sync.settings import Tracker
    from cockpit.tui.alerts import AlertsPoller
    from cockpit.tui.signals import SignalsRefresher

T = TypeVar("T")


class CockpitApp(App[None]):
    TITLE = "Incident Cockpit"
    CSS_PATH = "cockpit.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (70, "-narrow"), (110, "-wide")]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("l", "incident_list", "Incidents", id="app.incidents"),
        Binding("n", "declare", "Declare", id="app.declare"),
        Binding("o", "handoff", "Handoff", id="app.handoff"),
        Binding("m", "report", "Report", id="app.report"),
        Binding("C", "conflicts", "Sync conflicts & failures", show=False, id="app.conflicts"),
        Binding("V", "services", "Services", show=False, id="app.services"),
        Binding("W", "weekly", "Weekly review", show=False, id="app.weekly"),
        Binding("A", "alerts", "Alerts", show=False, id="app.alerts"),
        Binding("G", "improve", "Game Days, toil & capacity", show=False, id="app.improve"),
    ]

    def __init__(
        self,
        service: IncidentService,
        config: Config,
        *,
        clock: Clock = utc_now,
        poll_interval: float = 1.0,
        theme_dirs: list[Path] | None = None,
        sync_state: str = "local only",
        sync_interval: float = 5.0,
        read_only: bool | None = None,
        ask_responder: bool = False,
        land_on: str | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.config = config
        self.clock = clock
        self.poll_interval = poll_interval
        self.sync_state = sync_state
        self.sync_interval = sync_interval
        self._read_only = read_only  # None: read-only exactly when served to a browser (App.is_web)
        self.ask_responder = ask_responder  # nobody said who is typing: ask once, keep it in the config file
        self.land_on = land_on  # the incident to open first (a drill, a replay), else the most severe open one
        self._relay: Relay | None = None
        self._relay_for: Tracker | None = None
        self._sync_lock = threading.Lock()
        self._sync_thread: threading.Thread | None = None
        self._quitting = False
        self._quit_asked = False  # ctrl+q pressed: quitting once the keys typed before it are handled
        self._warmed = False
        self.last_incident_id: str | None = None  # the incident the list was opened from
        self.responder = service.author
        self.signals: SignalsRefresher | None = None
        self.alerts: AlertsPoller | None = None
        self.drafts = Drafts(drafts_dir(), service.store.path)
        folders = theme_dirs if theme_dirs is not None else [data_folder("themes"), config_dir() / "themes"]
        themes, self.theme_problems = load_themes(folders)
        for theme in themes:
            self.register_theme(theme)
        wanted = config.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.theme_problems_text = f"Theme '{wanted}' was not found; using {DEFAULT_THEME}."
            wanted = DEFAULT_THEME
        else:
            self.theme_problems_text = ""
        if self.no_color:  # colour becomes grey: order the severities by brightness so SEV1 stands out most
            self.register_theme(monochrome_variant(self.get_theme(wanted) or themes[0]))
        self.theme = wanted
        self.keymap: dict[str, str] = dict(config.keymap)
        if self.keymap:
            self.set_keymap(self.keymap)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is shown literally: messages often quote names and text people typed."""
        kwargs: dict[str, Any] = {"title": literal(title), "severity": severity, "markup": False}
        if timeout is not None:
            kwargs["timeout"] = timeout
        super().notify(literal(message), **kwargs)

    def copy_to_clipboard(self, text: str) -> None:
        """Every copy (comms, postmortem, commands) goes through here: no control character, escape sequence or
        bidi override reaches the clipboard, where a paste into a shell could act on it."""
        super().copy_to_clipboard(clipboard_text(text))

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    # --- read-only in a browser (cockpit serve) -----------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.is_web if self._read_only is None else self._read_only

    def _refusal(self, action: str | tuple[str, str, tuple[object, ...]], namespace: DOMNode | None,
                 namespaces: Mapping[str, DOMNode] | None) -> str | None:
        if not self.read_only:
            return None
        destination, name, params = parse(action) if isinstance(action, str) else action
        origin = namespace or self
        known: dict[str, DOMNode | None] = {"app": self, "screen": self.screen, "focused": self.focused,
                                            **(namespaces or {})}
        target = (known.get(destination) or origin) if destination else origin
        return refusal(target, name, tuple(params), origin)

    async def run_action(self, action: Any, default_namespace: DOMNode | None = None,
                         namespaces: Mapping[str, DOMNode] | None = None) -> bool:
        """Every key, footer click and palette command comes through here: in a browser session an action that
        would change something is refused, with a notice saying why (the rule: ``cockpit.tui.readonly``)."""
        if why := self._refusal(action, default_namespace, namespaces):
            self.notify(why, severity="warning", timeout=6)
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer shows the app's refused keys greyed out in a browser session."""
        return None if self.read_only and refusal(self, action, parameters) else True

    # --- start-up -----------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.read_only:
            self.service.store.refuse_writes(SENTENCE)  # under the key rule: nothing submitted can write either
            self.sync_interval = 0  # the owner's cockpit syncs; a browser session holds no tracker secret
            self.sync_state = "read-only (browser)"
        for problem in self.theme_problems:
            self.notify(f"Theme skipped: {problem}", severity="warning", timeout=10)
        if self.theme_problems_text:
            self.notify(self.theme_problems_text, severity="warning")
        # which screen comes first is decided before any is built: the list is not composed on the way
        land_on = self.land_on
        self.call_service(lambda svc: [svc.get(land_on, with_timeline=False).snapshot] if land_on
                          else svc.list_incidents(limit=1), self._land, on_error=lambda _exc: self._land([]))
        from cockpit.tui.signals import SignalsRefresher

        self.signals = SignalsRefresher(self)  # SLO figures from Prometheus, in the background
        from cockpit.tui.alerts import AlertsPoller

        self.alerts = AlertsPoller(self)  # alerts from Alertmanager, in the background (#10)
        # both start once the first frame is on screen (warm_up), so their imports and reads do not slow it; at
        # the latest after two seconds (the first load failed)
        self.set_timer(2.0, self.warm_up)
        if self.sync_interval:
            self.set_interval(self.sync_interval, self._sync_round)

    def _sync_round(self) -> None:
        """Background sync with the configured tracker; its state shows in the status line. One relay lives
        across rounds so its circuit breaker and the tracker's rate-limit pause carry over. A round runs in a
        daemon thread of its own, never in the workers' pool: quitting waits for the pool, and must never wait
        on the network (``on_unmount`` cancels the round's requests and leaves the thread behind)."""
        def work(svc: IncidentService) -> None:
            import_orm()  # never at the same moment as a worker (cockpit/store/orm_import.py)
            from cockpit.sync.control import open_relay  # in the round's thread: the screen never waits for them
            from cockpit.sync.settings import load_trackers

            if not self._sync_lock.acquire(blocking=False):
                return  # the previous round is still talking to the tracker: never two at once
            try:
                if self._quitting:
                    return
                trackers = load_trackers()
                if len(trackers) != 1:
                    return
                if self._relay is None or self._relay_for != trackers[0]:
                    self._close_relay()
                    self._relay, self._relay_for = open_relay(svc, trackers[0].name), trackers[0]
                self._relay.run_once()
            finally:
                self._sync_lock.release()

        if self._quitting or (self._sync_thread is not None and self._sync_thread.is_alive()):
            return
        self._sync_thread = threading.Thread(target=self._quiet_sync, args=(work,), name="cockpit-sync", daemon=True)
        self._sync_thread.start()

    def _close_relay(self) -> None:
        if self._relay is not None:
            self._relay.adapter.close()
            self._relay = None

    def on_unmount(self) -> None:
        self._quitting = True
        for rounds in (self.alerts, self.signals):
            if rounds is not None:
                rounds.stop()
        relay = self._relay
        if relay is not None:
            cancel = getattr(relay.adapter, "cancel", None)
            if cancel is not None:
                cancel()  # a round in flight ends at its next chunk; the process does not wait for it
        if self._sync_lock.acquire(blocking=False):  # a round in flight keeps its client; the process ends anyway
            try:
                self._close_relay()
            finally:
                self._sync_lock.release()

    def _quiet_sync(self, work: Callable[[IncidentService], None]) -> None:
        try:
            work(self.service)
        except CockpitError:
            pass  # login needed / no keyring: the status line says so
        except Exception:
            self.report_crash()

    def _ask_who(self) -> None:
        """First start: every entry carries its author's name, so ask for it rather than write as the login."""
        from cockpit.config import save_responder
        from cockpit.tui.screens.dialogs import TextPrompt

        login = self.responder

        def answered(name: str | None) -> None:
            if not name:
                self.notify(f"Writing as '{login}' (your login name). Set responder.name in {self.config.path}, "
                            "COCKPIT_RESPONDER or --as to change it.", severity="warning", timeout=12)
                return
            try:
                self.service.act_as(name)
                save_responder(self.config.path, name)
            except CockpitError as exc:
                self.notify(f"{exc} Writing as '{self.service.author}' for now.", severity="warning", timeout=12)
            self.responder = self.service.author
            self.notify(f"Writing as {self.responder}; kept in {self.config.path}.")
            if hasattr(self.screen, "reload"):
                self.screen.reload()

        self.push_screen(TextPrompt("Who are you? Your name goes on every entry you write (kept in the config file)",
                                    f"your name (Esc: write as '{login}')"), answered)

    async def action_quit(self) -> None:
        """Quit once the keys typed before ctrl+q were handled, after each open screen stored what is typed on it
        (nothing typed is lost to ctrl+q).

        ctrl+q is a priority key: on a busy machine it overtakes the keys already queued for the focused widget (an
        Enter that posts a status update) and the messages those post on their way up. So the quitting runs beside
        the message loop, which hands those on first; it waits for a quiet moment, never more than a second."""
        if self._quit_asked:
            return
        self._quit_asked = True
        self.run_worker(self._quit_in_turn(), group="quit", exit_on_error=False)

    async def _quit_in_turn(self, limit: float = 1.0) -> None:
        loop = asyncio.get_running_loop()
        deadline, quiet = loop.time() + limit, 0
        while quiet < 3 and loop.time() < deadline:  # three looks in a row with nothing waiting anywhere
            busy = self.message_queue_size or any(
                node.message_queue_size for screen in self.screen_stack for node in (screen, *screen.walk_children())
            ) or any(worker.group == "db" and worker.is_running for worker in self.workers)  # (keys held behind it)
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.005)
        for screen in reversed(self.screen_stack):
            flush = getattr(screen, "flush_unsaved", None)
            if flush is None:
                continue
            try:
                flush()
            except CockpitError:
                pass  # the database refused (busy): the local draft keeps it for the next start
            except Exception:
                self.report_crash()
        self.exit()

    def _land(self, open_incidents: list[Any]) -> None:
        """With an open incident, land on the most severe, then most recently active one; the list is one key
        away."""
        if open_incidents:
            self.open_incident(open_incidents[0].id)
        else:
            self.action_incident_list()
            self.call_after_refresh(self.warm_up)
        if self.ask_responder:  # over the landing screen, so it is the first thing seen
            self.ask_responder = False
            self.call_after_refresh(self._ask_who)

    def warm_up(self) -> None:
        """After the first frame: start the SLO and alert rounds, and import the ORM and open the engine in a
        worker so the first write is quick (the first frame reads with plain sqlite3 and never waits for them)."""
        if self._warmed:
            return
        self._warmed = True
        if self.signals is not None:
            self.signals.start()
        if self.alerts is not None and not self.read_only:
            self.alerts.start()
        self.call_service(lambda svc: svc.store.prepare(), group="warm", quiet=True)

    # --- navigation ---------------------------------------------------------------------
    def open_incident(self, incident_id: str) -> None:
        from cockpit.tui.screens.incident import IncidentScreen

        self._pop_to_list()
        self.push_screen(IncidentScreen(incident_id))

    def _pop_to_list(self) -> None:
        """Back to the incident list, or to the bottom when the cockpit opened straight onto an incident."""
        from cockpit.tui.screens.incidents import IncidentListScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, IncidentListScreen):
            self.pop_screen()

    def action_incident_list(self) -> None:
        from cockpit.tui.screens.incidents import IncidentListScreen

        for screen in reversed(self.screen_stack):  # Esc on the list goes back to it
            if isinstance(getattr(screen, "incident_id", None), str):
                self.last_incident_id = screen.incident_id
                break
        self._pop_to_list()
        if isinstance(self.screen, IncidentListScreen):
            self.screen.refresh_list()
        else:  # opened straight onto an incident: the list is built the first time it is asked for
            self.push_screen(IncidentListScreen())

    def action_declare(self) -> None:
        from cockpit.tui.screens.declare import DeclareScreen

        self.push_screen(DeclareScreen())

    def action_handoff(self) -> None:
        from cockpit.tui.screens.handoff import HandoffScreen

        self.push_screen(HandoffScreen())

    def action_report(self) -> None:
        from cockpit.tui.screens.report import ReportScreen

        self.push_screen(ReportScreen())

    def action_services(self) -> None:
        from cockpit.tui.screens.services import ServicesScreen

        self.push_screen(ServicesScreen())

    def action_weekly(self) -> None:
        from cockpit.tui.screens.services import WeeklyScreen

        self.push_screen(WeeklyScreen())

    def action_alerts(self) -> None:
        from cockpit.tui.screens.alerts import AlertsScreen

        for screen in reversed(self.screen_stack):  # `a` attaches to the incident the alerts were opened from
            if isinstance(getattr(screen, "incident_id", None), str):
                self.last_incident_id = screen.incident_id
                break
        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen())

    def action_conflicts(self) -> None:
        from cockpit.tui.screens.conflicts import ConflictsScreen

        self.push_screen(ConflictsScreen())

    def action_improve(self) -> None:
        from cockpit.tui.screens.improve import ImproveScreen

        if not isinstance(self.screen, ImproveScreen):
            self.push_screen(ImproveScreen())

    def action_help(self) -> None:
        from cockpit.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every cockpit key as a palette command that works from anywhere: a pane's command acts on that pane
        (the role under its cursor), whichever pane has focus; a command that cannot act now is not offered."""
        yield from super().get_system_commands(screen)
        from cockpit.tui.screens.help import bindings_of

        seen: set[str] = set()
        nodes: list[Any] = [screen, *(w for w in screen.query("*") if type(w).__module__.startswith("cockpit")), self]
        for node in nodes:
            for binding in bindings_of(node):
                if (binding.id in {"app.quit", "app.help"} or binding.id in seen or binding.action.startswith(
                        ("cursor", "move", "page", "jump", "focus_pane", "switch", "answer", "cancel", "close"))):
                    continue
                target: Any = self if binding.action.startswith("app.") or node is self else node
                action = binding.action.removeprefix("app.").removeprefix("screen.")
                if binding.action.startswith("screen."):
                    target = screen
                name, _, _ = action.partition("(")
                if not hasattr(target, f"action_{name}") or target.check_action(name, ()) is False:
                    continue
                seen.add(binding.id or action)
                where = "" if target in (screen, self) else f" ({type(target).__name__.replace('Pane', '')} pane)"
                yield SystemCommand(f"{binding.description or action}{where}",
                                    f"key: {binding.key} · id: {binding.id}", self._command(target, action))
        yield SystemCommand("Keys and help", "Every key, with binding ids for remapping", self.action_help)

    def _command(self, target: Any, action: str) -> Callable[[], Any]:
        def run() -> Any:
            return self.run_action(action, target)

        return run

    # --- services off the screen's thread ---------------------------------------------------
    def call_service(
        self,
        work: Callable[[IncidentService], T],
        on_done: Callable[[T], object] | None = None,
        *,
        group: str = "db",
        quiet: bool = False,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``work`` off the screen's thread; ``on_done`` gets its result, ``on_error`` (after the
        notification) a refusal the person can act on, such as a database busy for too long, or a bug (so what
        waited for the work, such as keys held behind an entry being stored, is not left waiting)."""
        # the screen (or widget) the result is for: it may be closed before the result arrives
        origin: Any = getattr(on_done, "__self__", None)
        if origin is None:
            try:
                origin = self.screen
            except Exception:
                origin = None

        def run() -> None:
            try:
                with one_at_a_time():  # until the ORM is imported whole (cockpit/store/orm_import.py)
                    result = work(self.service)
            except CockpitError as exc:
                if not quiet:
                    self.call_from_thread(self.notify, str(exc), severity="error", timeout=8)
                if on_error is not None:
                    self.call_from_thread(self._deliver, on_error, exc, origin)
                return
            except Exception as exc:
                where = self.report_crash()
                self.call_from_thread(self.notify, f"An unexpected problem (a bug); details are in {where}. "
                                      "Your data is safe.", severity="error", timeout=15)
                if on_error is not None:
                    self.call_from_thread(self._deliver, on_error, exc, origin)
                return
            if on_done is not None:
                self.call_from_thread(self._deliver, on_done, result, origin)

        self.run_worker(run, thread=True, group=group, exit_on_error=False)

    def _left_behind(self, origin: object) -> bool:
        """The screen (or a widget of the screen) a result was for has been closed: taken down, or off the screen
        stack with its widgets still being taken down (a pane queried then may already be gone)."""
        if not isinstance(origin, DOMNode):
            return False
        if not origin.is_attached:
            return True
        screen = origin if isinstance(origin, Screen) else getattr(origin, "screen", None)
        return isinstance(screen, Screen) and screen not in self.screen_stack

    def _deliver(self, on_done: Callable[[T], object], result: T, origin: object = None) -> None:
        """Hand a result to the screen; a failure there is logged and shown, never silently dropped. A screen
        closed before its result arrived (Esc right after opening it, or while its panes are being taken down)
        simply no longer shows it."""
        try:
            on_done(result)
        except NoMatches:
            if self._left_behind(origin):
                return
            where = self.report_crash()
            self.notify(f"An unexpected problem (a bug); details are in {where}. Your data is safe.",
                        severity="error", timeout=15)
        except CockpitError as exc:
            self.notify(str(exc), severity="error", timeout=8)
        except Exception:
            where = self.report_crash()
            self.notify(f"An unexpected problem (a bug); details are in {where}. Your data is safe.",
                        severity="error", timeout=15)

    def report_crash(self) -> Path | str:
        return log_crash("unexpected error in the cockpit screen") or "the log (not writable)"


def _hosts(app: CockpitApp) -> CockpitHost:
    """Never called: mypy checks here that the app offers everything a screen may ask of it."""
    return app
