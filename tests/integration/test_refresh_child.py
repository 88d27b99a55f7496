"""The cockpit's SLO refresh runs in a child process (issue #9: a refresh in a thread of the cockpit held the
interpreter lock each key needs). The child reads the same real Prometheus and records the same figures; the
token reaches it through a pipe, never its environment; quitting ends it at once; a child that dies or hangs
becomes one sentence and the last figures stay."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cockpit.service.incidents import IncidentService
from cockpit.service.signals import Signals
from cockpit.service.slo_files import load_library
from cockpit.sources import refresh_child
from cockpit.sources.prometheus import PrometheusSource
from cockpit.sources.refresh import refresh
from cockpit.sources.refresh_child import ChildRefresh, RefreshStopped
from cockpit.sources.settings import PrometheusSettings
from cockpit.store.db import Store
from tests.conftest import FakeClock, refresh_children
from tests.prometheus_data import T0, known_library

TOKEN = "child-test-token-8c1f2e9a7b"


def _readings(db: Path) -> dict[str, Any]:
    store = Store.open(db)
    try:
        return {r.key: (r.evaluation, r.error) for r in Signals(IncidentService(store, "t")).readings()}
    finally:
        store.close()


def test_the_child_records_exactly_what_a_refresh_in_process_records(prometheus_server: Any, tmp_path: Path):
    folder = known_library(tmp_path / "slos")
    here, there = tmp_path / "here.db", tmp_path / "there.db"
    for db in (here, there):
        Store.open(db).close()
    store = Store.open(here)
    expected = refresh(Signals(IncidentService(store, "t", clock=FakeClock(T0))), load_library([folder]),
                       PrometheusSource(PrometheusSettings(prometheus_server.url)), clock=FakeClock(T0))
    store.close()

    report = ChildRefresh().run(there, "t", T0, [folder], PrometheusSettings(prometheus_server.url))

    assert (report.read, report.failed, report.source_error) == (expected.read, expected.failed, None)
    assert report.read == 5 and len(report.failed) == 2
    assert _readings(there) == _readings(here)


def test_the_token_reaches_the_server_through_the_pipe_never_the_childs_environment(
        hostile: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COCKPIT_PROMETHEUS_TOKEN", TOKEN)
    monkeypatch.setenv("SOME_COPY", f"x{TOKEN}x")  # the same secret exported under another name
    environments: list[bytes] = []

    def answer(handler: Any) -> None:
        for pid in refresh_children():  # the child waits for this answer: read its environment now
            environments.append(Path(f"/proc/{pid}/environ").read_bytes())
        body = b'{"status":"error","errorType":"bad_data","error":"no"}'
        handler.send_response(400)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    url = hostile(answer)
    db = tmp_path / "c.db"
    Store.open(db).close()
    ChildRefresh().run(db, "t", T0, [known_library(tmp_path / "slos")],
                       PrometheusSettings(url, timeout_seconds=5, token=TOKEN))
    assert hostile.seen and all(h.get("Authorization") == f"Bearer {TOKEN}" for h in hostile.seen)
    assert environments, "the child was not running while its request was answered"
    for environ in environments:
        assert TOKEN.encode() not in environ
        assert b"COCKPIT_PROMETHEUS_TOKEN" not in environ


def test_quitting_ends_a_refresh_in_flight_at_once(tmp_path: Path):
    import socket

    listener = socket.socket()  # accepts the connection and never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    db = tmp_path / "q.db"
    Store.open(db).close()
    child = ChildRefresh()
    outcome: list[object] = []
    runner = threading.Thread(target=lambda: outcome.append(child.run(
        db, "t", T0, [known_library(tmp_path / "slos")],
        PrometheusSettings(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout_seconds=60))))
    runner.start()
    deadline = time.monotonic() + 30
    while not refresh_children():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.02)
    started = time.monotonic()
    child.stop()
    runner.join(10)
    assert not runner.is_alive() and time.monotonic() - started < 5
    assert outcome and outcome[0].read == 0  # type: ignore[attr-defined]
    listener.close()


def test_a_refresh_that_hangs_past_the_limit_is_stopped_with_one_sentence(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    monkeypatch.setattr(refresh_child, "LIMIT_SECONDS", 2.0)
    db = tmp_path / "h.db"
    Store.open(db).close()
    with pytest.raises(RefreshStopped) as caught:
        ChildRefresh().run(db, "t", T0, [known_library(tmp_path / "slos")],
                           PrometheusSettings(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout_seconds=60))
    assert str(caught.value) == ("The SLO refresh took over 2 s and was stopped; the last figures stay, and the next "
                                 "round tries again.")
    listener.close()


def test_a_child_that_dies_becomes_one_sentence_without_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "d.db"
    Store.open(db).close()
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(refresh_child.sys, "executable", str(_dying_python(tmp_path)))
    with pytest.raises(RefreshStopped) as caught:
        ChildRefresh().run(db, "t", T0, [known_library(tmp_path / "slos")],
                           PrometheusSettings("http://127.0.0.1:9/", token=TOKEN))
    message = str(caught.value)
    assert message.startswith("The SLO refresh stopped without a report (") and message.endswith(
        "); the last figures stay, and the next round tries again.")
    assert "killed by the test" in message and TOKEN not in message


def _dying_python(folder: Path) -> Path:
    """An interpreter stand-in that reads its request, says why it stops (with the token in it), and dies."""
    script = folder / "dying-python"
    script.write_text(f'#!/bin/sh\ncat > /dev/null\necho "killed by the test {TOKEN}" >&2\nexit 9\n')
    script.chmod(0o755)
    return script


def test_a_database_the_child_cannot_open_is_the_rounds_note(prometheus_server: Any, tmp_path: Path):
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not a database" * 100)
    report = ChildRefresh().run(bad, "t", T0, [known_library(tmp_path / "slos")],
                                PrometheusSettings(prometheus_server.url))
    assert report.read == 0 and report.source_error is not None and str(bad) in report.source_error
    assert os.path.getsize(bad) == 2200  # nothing written over it


def test_a_stop_before_the_child_starts_means_it_never_starts(tmp_path: Path):
    child = ChildRefresh()
    child.stop()
    db = tmp_path / "s.db"
    Store.open(db).close()
    report = child.run(db, "t", T0, [known_library(tmp_path / "slos")], PrometheusSettings("http://127.0.0.1:9/"))
    assert report.read == 0 and report.source_error is None and not refresh_children()
