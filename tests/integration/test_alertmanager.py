"""The alert source end to end against a real Alertmanager (Debian's package, started once per session).

Each test posts alerts carrying a label of its own (``test=<uuid>``) and reads only those (the source's filter), so
tests sharing the server never see each other's alerts; silences are told apart by the acknowledgement's marker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from cockpit.domain.alerts import fingerprint
from cockpit.domain.lifecycle import Phase
from cockpit.service.alerts import AlertLog
from cockpit.service.incidents import IncidentService
from cockpit.sources.alert_settings import AlertmanagerSettings
from cockpit.sources.alertmanager import AlertmanagerSource, poll_once
from cockpit.sources.local_alertmanager import RunningAlertmanager, alert
from cockpit.store.db import Store
from tests.conftest import ROOT
from tests.loopback import QuickHandler

pytestmark = pytest.mark.usefixtures("alertmanager_server")

SAMPLE_RUNBOOKS = ROOT / "sample_data" / "runbooks"


@pytest.fixture
def am(alertmanager_server: RunningAlertmanager) -> RunningAlertmanager:
    return alertmanager_server


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:12]


def settings_for(url: str, tag: str, **kwargs: Any) -> AlertmanagerSettings:
    return AlertmanagerSettings(url=url, filters=(f'test="{tag}"',), timeout_seconds=2.0, **kwargs)


def now() -> datetime:
    return datetime.now(UTC)


def post(am: RunningAlertmanager, tag: str, name: str, service: str = "checkout", severity: str = "page",
         summary: str = "Checkout error rate above 5 %", starts: datetime | None = None,
         ends: datetime | None = None, **extra: str) -> None:
    am.post_alerts([alert({"alertname": name, "service": service, "severity": severity, "test": tag, **extra},
                          {"summary": summary}, starts_at=starts, ends_at=ends)])


def ours(am: RunningAlertmanager, log: AlertLog) -> list[dict[str, Any]]:
    """The silences in Alertmanager made by this test's acknowledgements."""
    markers = [s.marker for s in log.silences()]
    return [s for s in am.silences() if any(m in s.get("comment", "") for m in markers)]


def poll_until(log: AlertLog, source: AlertmanagerSource, condition: Any, rounds: int = 50) -> None:
    """Poll until ``condition()`` holds (Alertmanager takes a moment to index a posted alert)."""
    for _ in range(rounds):
        poll_once(log, source)
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the condition never held")


@pytest.fixture
def clock() -> Any:
    """Alertmanager refuses a silence that ends in the past: the test clock starts at the real now."""
    from tests.conftest import FakeClock

    return FakeClock(now())


@pytest.fixture
def log(svc: IncidentService) -> AlertLog:
    return AlertLog(svc)


def test_posted_alerts_reach_the_log_in_one_poll_and_resolved_ones_are_recorded(am: RunningAlertmanager,
                                                                                log: AlertLog, tag: str) -> None:
    post(am, tag, "CheckoutErrorRateHigh", pod="a")
    post(am, tag, "CheckoutErrorRateHigh", pod="b")
    with AlertmanagerSource(settings_for(am.url, tag)) as source:
        report = poll_once(log, source)
        assert report.ok and report.poll is not None
        assert len(report.poll.changes.fired) == 2  # Alertmanager has them as soon as the POST returns
        firing = log.current()
        assert {a.labels["pod"] for a in firing} == {"a", "b"}
        assert all(a.level is not None and a.level.value == "P0" for a in firing)
        assert {a.group_key for a in firing} == {"alertname=CheckoutErrorRateHigh,service=checkout"}
        assert all(a.fingerprint == fingerprint(a.labels) for a in firing)  # ours computes Alertmanager's
        # pod b resolves (endsAt now): the next poll records it resolved, the other stays firing
        post(am, tag, "CheckoutErrorRateHigh", pod="b", starts=now() - timedelta(minutes=5), ends=now())
        poll_until(log, source, lambda: len(log.current()) == 1)
    everything = {a.labels["pod"]: a for a in log.current(include_resolved=True)}
    assert everything["b"].state == "resolved" and everything["b"].resolved_at is not None
    assert everything["a"].state == "firing"


def test_declare_from_an_alert_offers_its_runbook_and_a_second_alert_is_proposed_for_that_incident(
        am: RunningAlertmanager, db_path: Path, tag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cockpit.cli.main import cli

    monkeypatch.setenv("COCKPIT_ALERTMANAGER_URL", am.url)
    monkeypatch.setenv("COCKPIT_RUNBOOK_DIRS", str(SAMPLE_RUNBOOKS))
    config = db_path.parent / "alerts.yaml"
    monkeypatch.setenv("COCKPIT_CONFIG", str(db_path.parent / "config.yaml"))
    config.write_text(f"alertmanager:\n  url: {am.url}\n  filters: ['test=\"{tag}\"']\n", encoding="utf-8")
    post(am, tag, "CheckoutErrorRateHigh", summary="Checkout error rate above 5 %", pod="a")
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, ["--db", str(db_path), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    run("alerts", "poll")
    declared = run("alerts", "declare", "CheckoutErrorRateHigh").output.splitlines()
    ref = declared[-1]
    assert declared[0].startswith("Declared SEV1: Checkout error rate above 5 % (core function down, >25% of users")
    assert "service: checkout" in declared[0]
    assert "Runbook for CheckoutErrorRateHigh: checkout-error-rate-high" in declared[1]
    store = Store.open(db_path)
    try:
        svc = IncidentService(store, "tester")
        snapshot = svc.get(ref).snapshot
        assert snapshot.title == "Checkout error rate above 5 %" and snapshot.services == ("checkout",)
        # a second alert of the same group arrives: proposed for the open incident, not for a new one
        post(am, tag, "CheckoutErrorRateHigh", pod="c")
        run("alerts", "poll")
        log = AlertLog(svc)
        second = next(a for a in log.current() if a.labels.get("pod") == "c")
        assert second.incident_id is None
        assert log.open_incident_for(second) == snapshot.id
        refused = runner.invoke(cli, ["--db", str(db_path), "alerts", "declare", second.fingerprint])
        assert refused.exit_code != 0 and f"belongs to the open incident {ref}" in str(refused.exception)
    finally:
        store.close()


class DroppingProxy:
    """A loopback proxy to Alertmanager that forwards every request; for the chosen ones it then drops the
    answer (closes the connection without a byte) or holds it until released."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.drop_posts = 0  # how many silence creations lose their answer
        self.hold = False  # hold silence creation answers (the cockpit is killed meanwhile)
        self.forwarded = threading.Event()
        self.release = threading.Event()
        self.posts = 0
        proxy = self

        class Handler(QuickHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                answer = httpx.request(self.command, proxy.upstream + self.path, content=body, headers=headers,
                                       timeout=10)
                creating = self.command == "POST" and self.path.startswith("/api/v2/silences")
                if creating:
                    proxy.posts += 1
                    proxy.forwarded.set()
                    if proxy.hold:
                        proxy.release.wait(30)
                        self.close_connection = True
                        return
                    if proxy.drop_posts > 0:
                        proxy.drop_posts -= 1
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(am: RunningAlertmanager) -> Iterator[DroppingProxy]:
    running = DroppingProxy(am.url)
    yield running
    running.close()


def test_acknowledging_makes_exactly_one_silence_when_the_answer_is_dropped_and_resolving_expires_it(
        am: RunningAlertmanager, proxy: DroppingProxy, svc: IncidentService, tag: str) -> None:
    log = AlertLog(svc)
    post(am, tag, "CheckoutErrorRateHigh", pod="a")
    post(am, tag, "CheckoutErrorRateHigh", pod="b")
    with AlertmanagerSource(settings_for(proxy.url, tag)) as source:
        poll_once(log, source)
        snapshot, _ = log.declare("CheckoutErrorRateHigh")
        record = log.acknowledge("CheckoutErrorRateHigh")
        assert record.state == "pending"
        proxy.drop_posts = 1
        first = poll_once(log, source)
        assert first.silences_sent == 0 and first.problems  # the answer was lost: it may or may not have landed
        assert log.silences()[0].state == "pending"
        second = poll_once(log, source)  # looks for the marker first: it landed, so it is not created again
        assert second.silences_found == 1 and second.silences_sent == 0
        third = poll_once(log, source)
        assert third.silences_sent == 0 and third.silences_found == 0
    assert proxy.posts == 1
    made = ours(am, log)
    assert len(made) == 1
    silence = made[0]
    assert silence["createdBy"] == "alice"
    assert snapshot.ref in silence["comment"] and record.marker in silence["comment"]
    assert sorted((m["name"], m["value"], m["isEqual"], m["isRegex"]) for m in silence["matchers"]) == [
        ("alertname", "CheckoutErrorRateHigh", True, False), ("service", "checkout", True, False)]
    assert silence["status"]["state"] == "active"
    kinds = [(e.kind, e.text) for e in svc.get(snapshot.id).timeline]
    assert any(k == "alert" and t.startswith("Acknowledged CheckoutErrorRateHigh: silence of") for k, t in kinds)
    assert any(k == "alert" and "found already in Alertmanager" in t for k, t in kinds)
    # the incident resolves: the next round expires the silence
    for phase in (Phase.TRIAGE, Phase.RESPOND, Phase.MITIGATE, Phase.RESOLVE):
        svc.set_phase(snapshot.id, phase)
    with AlertmanagerSource(settings_for(am.url, tag)) as source:
        report = poll_once(log, source)
    assert report.silences_expired == 1
    assert [s["status"]["state"] for s in ours(am, log)] == ["expired"]
    assert log.silences()[0].state == "expired"


def test_a_cockpit_killed_between_sending_and_recording_leaves_exactly_one_silence(
        am: RunningAlertmanager, proxy: DroppingProxy, db_path: Path, tag: str) -> None:
    store = Store.open(db_path)
    svc = IncidentService(store, "dana")
    log = AlertLog(svc)
    post(am, tag, "PaymentAuthFailureRateHigh", service="payments")
    with AlertmanagerSource(settings_for(am.url, tag)) as source:
        poll_once(log, source)
    log.declare("PaymentAuthFailureRateHigh")
    store.close()
    proxy.hold = True
    config = db_path.parent / "cfg"
    config.mkdir()
    (config / "alerts.yaml").write_text(f"alertmanager:\n  url: {proxy.url}\n  filters: ['test=\"{tag}\"']\n",
                                        encoding="utf-8")
    env = {**os.environ, "COCKPIT_CONFIG": str(config / "config.yaml"), "COCKPIT_RESPONDER": "dana"}
    env.pop("COCKPIT_ALERTMANAGER_URL", None)
    child = subprocess.Popen([sys.executable, "-m", "cockpit", "--db", str(db_path), "alerts", "ack",
                              "PaymentAuthFailureRateHigh"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        assert proxy.forwarded.wait(60), "the acknowledgement never reached Alertmanager"
        child.send_signal(signal.SIGKILL)  # the silence exists; the cockpit never heard so
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    proxy.hold = False
    proxy.release.set()
    store = Store.open(db_path)
    try:
        log = AlertLog(IncidentService(store, "dana"))
        assert [s.state for s in log.silences()] == ["pending"]  # recorded before it was sent
        with AlertmanagerSource(settings_for(am.url, tag)) as source:
            report = poll_once(log, source)
        assert report.silences_found == 1 and report.silences_sent == 0
        made = ours(am, log)
        assert len(made) == 1 and made[0]["createdBy"] == "dana"
        assert [s.state for s in log.silences()] == ["active"]
    finally:
        store.close()


def test_offline_the_last_alerts_stay_with_their_age_and_an_acknowledgement_waits_then_goes_once(
        am: RunningAlertmanager, svc: IncidentService, clock: Any, tag: str) -> None:
    from cockpit.sources.local_server import free_port

    log = AlertLog(svc)
    post(am, tag, "DiskUsageHigh", service="db", severity="ticket", summary="Disk 91 % full")
    with AlertmanagerSource(settings_for(am.url, tag)) as source:
        poll_once(log, source, now=clock())
    snapshot, _ = log.declare("DiskUsageHigh")
    clock.advance(minutes=12)
    down = f"http://127.0.0.1:{free_port()}/"
    with AlertmanagerSource(settings_for(down, tag)) as source:
        report = poll_once(log, source, now=clock())
        assert report.error is not None and "unreachable" in report.error
        record = log.acknowledge("DiskUsageHigh")
        again = poll_once(log, source, now=clock())
        assert again.error is not None and again.silences_sent == 0
    shown = log.current()
    assert [a.name for a in shown] == ["DiskUsageHigh"]
    status = log.status()
    assert status.age_text(clock()).startswith("as of 12 min ago — Alertmanager at ")
    assert "unreachable" in status.age_text(clock())
    assert log.silences()[0].state == "pending"
    assert not ours(am, log)
    with AlertmanagerSource(settings_for(am.url, tag)) as source:  # it is back
        back = poll_once(log, source, now=clock())
        assert back.silences_sent == 1
        assert poll_once(log, source, now=clock()).silences_sent == 0
    made = ours(am, log)
    assert len(made) == 1 and snapshot.ref in made[0]["comment"] and record.marker in made[0]["comment"]
    assert log.status().age_text(clock()) == "live"


class OddServer:
    """A loopback server that is not Alertmanager: a web page, or a 401 to everything."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        class Handler(QuickHandler):

            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("status", "body", "expected"), [
    (200, b"<html><body>Welcome to nginx</body></html>", "does not answer like Alertmanager (not JSON"),
    (200, b'{"status": "success", "data": {}}', "does not answer like Alertmanager (no list of alerts"),
    (401, b'{"error": "unauthorized"}', "refused the credentials (401); check the token"),
])
def test_a_url_that_is_not_alertmanager_or_a_401_is_a_clear_sentence_and_loses_nothing(
        am: RunningAlertmanager, log: AlertLog, tag: str, status: int, body: bytes, expected: str) -> None:
    post(am, tag, "CheckoutErrorRateHigh")
    with AlertmanagerSource(settings_for(am.url, tag)) as source:
        poll_once(log, source)
    odd = OddServer(status, body, "text/html" if body.startswith(b"<") else "application/json")
    try:
        with AlertmanagerSource(settings_for(odd.url, tag, token="s3cret-token")) as source:
            report = poll_once(log, source)
    finally:
        odd.close()
    assert report.error is not None and expected in report.error
    assert "s3cret" not in report.error and "\n" not in report.error
    assert [a.name for a in log.current()] == ["CheckoutErrorRateHigh"]  # nothing lost
    assert expected in (log.status().error or "")


def test_a_silence_expired_by_hand_is_expired_in_alertmanager_and_recorded(am: RunningAlertmanager, log: AlertLog,
                                                                           svc: IncidentService, tag: str) -> None:
    post(am, tag, "CertificateExpiringSoon", service="edge", severity="ticket")
    with AlertmanagerSource(settings_for(am.url, tag)) as source:
        poll_once(log, source)
        snapshot, _ = log.declare("CertificateExpiringSoon")
        record = log.acknowledge("CertificateExpiringSoon", whole_group=False)
        assert poll_once(log, source).silences_sent == 1
        [made] = ours(am, log)
        assert {m["name"] for m in made["matchers"]} == {"alertname", "service", "severity", "test"}  # this alert
        log.expire_by_hand(record.id[:8])
        assert poll_once(log, source).silences_expired == 1
    assert [s["status"]["state"] for s in ours(am, log)] == ["expired"]
    texts = [e.text for e in svc.get(snapshot.id).timeline if e.kind == "alert"]
    assert f"Silence of {record.target} to be expired by hand" in texts
    assert texts[-1].startswith("Silence ") and texts[-1].endswith(" expired in Alertmanager")


def test_an_acknowledgement_that_waited_past_its_end_is_recorded_refused_not_retried(
        am: RunningAlertmanager, log: AlertLog, svc: IncidentService, clock: Any, tag: str) -> None:
    post(am, tag, "DiskUsageHigh", service="db", severity="ticket")
    with AlertmanagerSource(settings_for(am.url, tag)) as source:
        poll_once(log, source, now=clock())
        snapshot, _ = log.declare("DiskUsageHigh")
        clock.advance(hours=-3)  # acknowledged 3 h ago for 1 h, while Alertmanager was out of reach
        log.acknowledge("DiskUsageHigh", hours=1)
        clock.advance(hours=3)
        report = poll_once(log, source, now=clock())
        assert report.silences_sent == 0 and "end time can't be in the past" in report.problems[0]
        assert [s.state for s in log.silences()] == ["refused"]
        assert poll_once(log, source, now=clock()).problems == []  # not sent again
    assert not ours(am, log)
    last = svc.get(snapshot.id).timeline[-1]
    assert last.text.startswith("Alertmanager refused the silence of group alertname=DiskUsageHigh,service=db:")
