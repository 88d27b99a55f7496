"""A Prometheus of our own on loopback, over backfilled data: for `cockpit demo` and the tests.

Debian's ``prometheus`` package ships ``prometheus`` and ``promtool``. Data is written as OpenMetrics text
(timestamps in seconds, ending with ``# EOF``) and turned into TSDB blocks with ``promtool tsdb
create-blocks-from openmetrics``; Prometheus then serves them from a storage path of its own. Retention counts back
from the newest block, so it is set far beyond the data.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import CockpitError
from cockpit.sources.local_server import run_local

Labels = Mapping[str, str]


def available() -> bool:
    return shutil.which("prometheus") is not None and shutil.which("promtool") is not None


def _labels(labels: Labels) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}" if inner else ""


@dataclass
class Family:
    """One metric family: a counter by default, its series as (labels, [(unix seconds, value), ...])."""

    name: str
    series: Sequence[tuple[dict[str, str], Sequence[tuple[int, float]]]]
    kind: str = "counter"


def write_openmetrics(path: Path, families: Iterable[Family]) -> int:
    """Write OpenMetrics text; returns the number of samples. A counter family's samples are named
    ``<name>_total`` as OpenMetrics requires when the family name does not already end so."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for family in families:
            base = family.name.removesuffix("_total") if family.kind == "counter" else family.name
            out.write(f"# TYPE {base} {family.kind}\n")
            sample = f"{base}_total" if family.kind == "counter" else base
            for labels, points in family.series:
                head = sample + _labels(labels)
                out.write("".join(f"{head} {_number(v)} {t}\n" for t, v in points))
                count += len(points)
        out.write("# EOF\n")
    return count


def _number(value: float) -> str:
    if value != value:
        return "NaN"
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def create_blocks(openmetrics: Path, storage: Path, max_block: str = "2000h") -> None:
    """Backfill ``openmetrics`` into TSDB blocks under ``storage`` (large blocks: one pass, not one per 2 h)."""
    storage.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                             f"--max-block-duration={max_block}", str(openmetrics), str(storage)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise CockpitError(f"promtool could not backfill {openmetrics}: {result.stderr.strip()[-400:]}")


@dataclass
class RunningPrometheus:
    url: str
    process: subprocess.Popen[bytes]
    storage: Path


@contextmanager
def run_prometheus(storage: Path, port: int | None = None, ready_timeout: float = 30.0,
                   web_config: Path | None = None) -> Iterator[RunningPrometheus]:
    """Start Prometheus on 127.0.0.1 over ``storage`` and stop it afterwards, even on failure."""
    def argv(port: int, work: Path) -> list[str]:
        config = work / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1h\n", encoding="utf-8")
        return ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={storage}",
                f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y", "--log.level=warn",
                *([f"--web.config.file={web_config}"] if web_config is not None else [])]

    with run_local("prometheus", argv, port, ready_timeout, ready_codes=(200, 401)) as server:
        yield RunningPrometheus(server.url, server.process, storage)
