"""An Alertmanager of our own on loopback: for `cockpit demo` and the tests.

Debian's ``prometheus-alertmanager`` package (it needs the template file the package installs). Started with no
gossip port (``--cluster.listen-address=``), a temporary storage path and a minimal configuration whose only
receiver is ``"null"`` (quoted: unquoted YAML reads it as no name at all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cockpit.errors import CockpitError
from cockpit.sources.local_server import run_local

BINARY = "prometheus-alertmanager"
CONFIG = """route:
  receiver: "null"
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: "null"
"""


def available() -> bool:
    return shutil.which(BINARY) is not None


@dataclass
class RunningAlertmanager:
    url: str
    process: subprocess.Popen[bytes]

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """Inject alerts as Prometheus would (``POST /api/v2/alerts``)."""
        response = httpx.post(f"{self.url}api/v2/alerts", json=list(alerts), timeout=30)
        response.raise_for_status()

    def silences(self) -> list[dict[str, Any]]:
        return self._list("silences")

    def alerts(self) -> list[dict[str, Any]]:
        return self._list("alerts")

    def _list(self, what: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}api/v2/{what}", timeout=30)
        response.raise_for_status()
        data = response.json()
        assert isinstance(data, list)
        return data


def alert(labels: Mapping[str, str], annotations: Mapping[str, str] | None = None,
          starts_at: datetime | None = None, ends_at: datetime | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"labels": dict(labels), "annotations": dict(annotations or {}),
                            "startsAt": (starts_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")}
    if ends_at is not None:
        body["endsAt"] = ends_at.isoformat().replace("+00:00", "Z")
    return body


@contextmanager
def run_alertmanager(port: int | None = None, ready_timeout: float = 30.0) -> Iterator[RunningAlertmanager]:
    """Start Alertmanager on 127.0.0.1 and stop it afterwards, even on failure."""
    def argv(port: int, work: Path) -> list[str]:
        config = work / "alertmanager.yml"
        config.write_text(CONFIG, encoding="utf-8")
        return [BINARY, f"--config.file={config}", f"--storage.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"]

    with run_local("alertmanager", argv, port, ready_timeout) as server:
        yield RunningAlertmanager(server.url, server.process)


# --- the demo ----------------------------------------------------------------------------------------
DEMO_ALERTS = (
    ("CheckoutErrorRateHigh", "checkout-api", "page", "Checkout error rate above 5 % for 5 minutes", 7),
    ("CheckoutErrorRateHigh", "checkout-api", "page", "Checkout error rate above 5 % for 5 minutes", 4),
    ("PgBouncerPoolSaturated", "orders-db", "warning", "PgBouncer pool for orders-db 97 % used", 26),
    ("CertificateExpiringSoon", "api-gateway", "ticket", "TLS certificate of api.example.com expires in 9 days", 300),
    ("DiskUsageHigh", "log-store", "ticket", "/var/lib/loki 91 % full", 95),
)


@contextmanager
def demo_alerts() -> Iterator[str]:
    """For `cockpit demo`: when Debian's prometheus-alertmanager is installed, an Alertmanager of its own on a free
    loopback port holding a few sample alerts, stopped on exit. The demo never asks the person's own Alertmanager."""

    from cockpit.sources.alert_settings import TOKEN_VARIABLE, URL_VARIABLE

    os.environ.pop(TOKEN_VARIABLE, None)
    if not available():
        os.environ[URL_VARIABLE] = "none"
        yield "Alertmanager is not installed (Debian: apt-get install prometheus-alertmanager): A shows the alert log."
        return
    try:
        with run_alertmanager() as running:
            now = datetime.now(UTC)
            running.post_alerts([alert(
                {"alertname": name, "service": service, "severity": severity, "instance": f"{service}-{i}"},
                {"summary": summary}, starts_at=now - timedelta(minutes=minutes))
                for i, (name, service, severity, summary, minutes) in enumerate(DEMO_ALERTS)])
            os.environ[URL_VARIABLE] = running.url
            try:
                yield f"Demo Alertmanager on {running.url} with {len(DEMO_ALERTS)} sample alerts (A shows them)."
            finally:
                os.environ.pop(URL_VARIABLE, None)
    except CockpitError as exc:
        os.environ[URL_VARIABLE] = "none"
        yield f"The demo's Alertmanager could not start ({exc}); A shows the alert log."
