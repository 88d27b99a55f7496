"""Threads that import the ORM at the same moment, through the cockpit's turn-taking (cockpit/store/orm_import.py):
none of them meets a half-made package. A fresh interpreter each time, as the cockpit starts with none of it
imported; left open, the race shows in most runs (ImportError: partially initialized module 'sqlalchemy.engine')."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CHILD = r"""
import importlib, sys, threading
from cockpit.store.orm_import import import_orm, one_at_a_time

MODULES = ("cockpit.sync.control", "cockpit.service.role_watch", "cockpit.service.catalog", "cockpit.service.runs")
start = threading.Barrier(len(MODULES) + 1, timeout=2)
errors = []

def run(work):
    try:
        start.wait()  # all at once, or a moment later if the turn-taking holds the others back
    except threading.BrokenBarrierError:
        pass
    try:
        with one_at_a_time():
            work()
    except Exception as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=run, args=(import_orm,))]
threads += [threading.Thread(target=run, args=(lambda name=name: importlib.import_module(name),)) for name in MODULES]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors[0] if errors else "OK")
"""


def test_workers_importing_the_orm_at_once_take_turns_and_none_fails() -> None:
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "OK", done.stdout
