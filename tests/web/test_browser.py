"""The status page and the served cockpit in a real headless Chromium (issue #15, "Done when").

The static page is checked through its DOM; the served cockpit draws on a canvas, so it is checked through
screenshots (saved in ``test-output/web/``) and through the terminal output the browser received and drew.
"""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cockpit.domain.comms import Template
from cockpit.domain.lifecycle import Phase
from cockpit.domain.severity import Impact, Scope
from cockpit.service.incidents import IncidentService
from cockpit.service.publishing import publish
from cockpit.service.sample import load_sample_data
from cockpit.store.db import Store
from cockpit.textsafe import literal
from cockpit.web.statuspage import PageOptions, build
from tests.conftest import ROOT, FakeClock, interruptible

pytestmark = pytest.mark.xdist_group("browser")  # one Chromium per test session (make test: --dist loadgroup)

OPTIONS = PageOptions(title="Northwind status", components=("checkout-api", "search", "login"))
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Scenario:
    svc: IncidentService
    clock: FakeClock
    folder: Path
    ref: str

    def rebuild(self) -> str:
        build(self.svc, self.folder, OPTIONS)
        return (self.folder / "index.html").as_uri()


def open_incident_with_history(svc: IncidentService, clock: FakeClock, folder: Path) -> Scenario:
    """A SEV2 with internal notes, the internal notification sent, and two published customer updates; plus an
    incident nobody published."""
    snap = svc.open_incident("Checkout API 500s", Impact.DEGRADED, Scope.GT25, services=["checkout-api", "orders-db"])
    svc.add_entry(snap.ref, "INTERNAL: rotated the orders-db password after the leak in #ops")
    svc.record_comms_sent(snap.ref, Template.INITIAL)
    publish(svc, snap.ref, Template.CUSTOMER)
    clock.advance(minutes=25)
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE):
        svc.set_phase(snap.ref, phase)
    publish(svc, snap.ref, Template.CUSTOMER)
    svc.add_entry(snap.ref, "INTERNAL: plan B is failing over to the DR region", kind="decision")
    svc.open_incident("Payroll export stuck", Impact.NON_CORE_DOWN, Scope.ONE_USER, services=["payroll"])
    return Scenario(svc, clock, folder, snap.ref)


def resolve(scenario: Scenario) -> None:
    scenario.clock.advance(minutes=40)
    scenario.svc.set_phase(scenario.ref, Phase.RESOLVE)
    scenario.svc.set_root_cause(scenario.ref, "Migration 0142 added a column without an index")
    publish(scenario.svc, scenario.ref, Template.RESOLUTION)


@pytest.fixture
def scenario(svc: IncidentService, clock: FakeClock, tmp_path: Path) -> Scenario:
    return open_incident_with_history(svc, clock, tmp_path / "site")


@pytest.fixture
def page(browser: Any) -> Any:
    # bypass_csp: the page's own Content-Security-Policy would stop any injected script anyway; the tests must
    # prove the escaping, and inject axe-core
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def body_text(page: Any) -> str:
    return str(page.locator("body").inner_text())


def test_an_open_incident_shows_its_latest_public_update_and_never_an_internal_note(
        scenario: Scenario, page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    url = scenario.rebuild()
    page.goto(url)
    article = page.locator("#active article")
    assert article.count() == 1
    assert article.locator("h3").inner_text() == "Checkout API 500s"
    assert article.locator(".meta .state").inner_text() == "Partial outage"  # SEV2, in words
    assert article.locator(".meta .status").inner_text() == "Monitoring"
    updates = article.locator(".update .text")
    assert updates.count() == 2
    assert updates.nth(0).inner_text().startswith("checkout-api, orders-db - Monitoring a fix")  # newest first
    assert updates.nth(1).inner_text().startswith("checkout-api, orders-db - Investigating checkout API 500s")
    assert page.locator("#banner").inner_text() == "Partial service outage"
    components = page.locator("#components li").all_inner_texts()
    assert [" ".join(c.split()) for c in components] == [
        "checkout-api Partial outage", "search Operational", "login Operational", "orders-db Partial outage"]
    text = body_text(page)
    for never in ("INTERNAL", "password", "plan B", "🔴 INCIDENT", "Payroll", "payroll", "SEV2"):
        assert never not in text, never
    # self-contained, no script: the one request is the page itself
    assert requests == [url]
    assert page.evaluate("document.scripts.length") == 0
    assert "default-src 'none'" in str(page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute(
        "content"))


def test_after_resolving_and_rebuilding_it_shows_resolved_with_the_notice(scenario: Scenario, page: Any,
                                                                         shots: Path) -> None:
    page.goto(scenario.rebuild())
    assert page.locator("#active article").count() == 1
    resolve(scenario)
    page.goto(scenario.rebuild())
    assert page.locator("#active").inner_text().endswith("No incidents are in progress.")
    article = page.locator("#resolved article")
    assert article.count() == 1
    assert article.locator(".meta .state").inner_text() == "Resolved"
    notice = article.locator(".resolution .text").inner_text()
    assert notice.startswith("✅ RESOLVED: Checkout API 500s\nDuration: ")
    assert "Root cause: Migration 0142 added a column without an index" in notice
    assert article.locator("summary").inner_text() == "Earlier updates (2)"  # the two customer updates, folded
    assert page.locator("#banner").inner_text() == "All systems operational"
    assert "Partial outage" not in body_text(page)
    page.screenshot(path=str(shots / "status-resolved-1280.png"), full_page=True)
    feed = ET.parse(scenario.folder / "feed.xml").getroot()
    assert feed.findtext(f"{ATOM}entry/{ATOM}title") == "Checkout API 500s: Resolved"


MALICIOUS = ('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> [bold red]RED[/] '
             '\x1b[31mESC\x1b[0m \u202eevil')


def test_a_malicious_title_shows_as_text(svc: IncidentService, tmp_path: Path, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    snap = svc.open_incident(MALICIOUS, Impact.CORE_DOWN, Scope.ALL, services=["<b>api</b>"])
    publish(svc, snap.ref, Template.CUSTOMER)
    folder = tmp_path / "site"
    build(svc, folder, OPTIONS)
    page.goto((folder / "index.html").as_uri())
    shown = literal(" ".join(MALICIOUS.split()))
    assert page.locator("#active h3").inner_text() == shown
    assert "\\x1b[31mESC\\x1b[0m" in shown and "\\u202eevil" in shown  # escape sequences made visible
    assert shown in page.locator("#active .update .text").inner_text()
    assert "[bold red]RED[/]" in page.locator("#active h3").inner_text()  # Rich markup stays as typed
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('script, img, b').length") == 0
    assert dialogs == []
    assert "<b>api</b>" in page.locator("#components").inner_text()
    raw = (folder / "index.html").read_text()
    assert "\x1b" not in raw and "\u202e" not in raw
    feed = ET.parse(folder / "feed.xml").getroot()  # still well-formed XML
    assert feed.findtext(f"{ATOM}entry/{ATOM}title") == f"{shown}: Update"


def test_axe_finds_no_serious_or_critical_violations(scenario: Scenario, page: Any, axe_script: Path) -> None:
    resolved = open_incident_with_history(scenario.svc, scenario.clock, scenario.folder)
    resolve(resolved)  # one open and one resolved incident, so every part of the page is there
    page.goto(scenario.rebuild())
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}));
    }""")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert page.evaluate("axe.version") == "4.14.1"


def test_renders_at_375_and_1280_pixels_wide(scenario: Scenario, browser: Any, shots: Path) -> None:
    resolved = open_incident_with_history(scenario.svc, scenario.clock, scenario.folder)
    resolve(resolved)
    url = scenario.rebuild()
    for width in (375, 1280):
        # without JavaScript: the page must not need it
        context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=False)
        try:
            page = context.new_page()
            page.goto(url)
            assert page.locator("#active h3").inner_text() == "Checkout API 500s"
            assert page.locator("#resolved details").count() == 1
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{overflow}px of content in a {width}px window"
            box = page.locator("#active article").bounding_box()
            assert box is not None and box["width"] <= width
            page.screenshot(path=str(shots / f"status-{width}.png"), full_page=True)
        finally:
            context.close()
    assert (shots / "status-375.png").stat().st_size > 10_000


# --- cockpit serve ---------------------------------------------------------------------------------------------
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str, page: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if page is not None:
            page.wait_for_timeout(50)  # lets the browser run; not a fixed sleep: the condition decides
        else:
            time.sleep(0.05)


def digest(db: Path) -> list[str]:
    raw = sqlite3.connect(db)
    try:
        return list(raw.iterdump())
    finally:
        raw.close()


def test_cockpit_serve_shows_the_incident_screen_and_a_write_key_changes_nothing(
        browser: Any, shots: Path, tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    store = Store.open(db)
    load_sample_data(store, now=datetime.now(UTC))
    ref = IncidentService(store, "reader").list_incidents()[0].ref  # the live SEV1 the cockpit lands on
    store.close()
    before = digest(db)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "cockpit", "--db", str(db), "serve", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=interruptible)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        def listening() -> bool:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False

        wait_for(listening, 30, "cockpit serve to listen")
        page = context.new_page()
        local = f"http://127.0.0.1:{port}"
        # textual-serve's page asks for a web font; nothing leaves this machine
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            (local, f"ws://127.0.0.1:{port}")) else route.abort())
        drawn: list[str] = []

        def on_socket(ws: Any) -> None:
            ws.on("framereceived", lambda payload: drawn.append(ANSI.sub("", payload.decode("utf-8", "replace")
                                                                         if isinstance(payload, bytes) else payload)))

        page.on("websocket", on_socket)
        page.goto(local + "/")
        screen = lambda: "".join(drawn)  # noqa: E731
        wait_for(lambda: "[1] Timeline" in screen() and ref in screen(), 60, "the incident screen", page)
        wait_for(lambda: "read-only (browser)" in screen(), 20, "the read-only mark", page)
        page.screenshot(path=str(shots / "serve-incident.png"))
        page.click("#terminal")  # the terminal takes the keyboard
        page.keyboard.press("e")
        wait_for(lambda: "“Entry” is off" in screen(), 30, "the refusal notice", page)
        page.screenshot(path=str(shots / "serve-refused.png"))
        page.keyboard.press("]")
        wait_for(lambda: "“Phase+” is off" in screen(), 30, "the refusal of ]", page)
        # every other writing key is refused by the same rule: tests/tui/test_readonly.py presses each of them
    finally:
        context.close()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    after = digest(db)
    assert after == before, [line for line in after if line not in before][:5]
