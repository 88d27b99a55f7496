#!/usr/bin/env python3
"""Build the sample shop's Prometheus data set: OpenMetrics text from the sample incidents' phases (request
counters of the sample services, in which the live SEV1 burns the checkout budget), backfilled into TSDB blocks
with `promtool tsdb create-blocks-from openmetrics`.

    python scripts/build-prometheus-data.py OUTDIR [--shift-minutes N] [--openmetrics-only]

Then: prometheus --config.file=CONFIG --storage.tsdb.path=OUTDIR/data --storage.tsdb.retention.time=100y
and query at the data's own time (the sample's "now" is two minutes after its newest incident event, moved by the
shift). `cockpit demo` does all of this by itself, shifted like its sample incidents.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cockpit.sources import demo
from cockpit.sources.local_prometheus import write_openmetrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--shift-minutes", type=int, default=0, help="Move every time by this many minutes.")
    parser.add_argument("--openmetrics-only", action="store_true", help="Write the text only, no blocks.")
    args = parser.parse_args()
    shift = timedelta(minutes=args.shift_minutes)
    if args.openmetrics_only:
        args.outdir.mkdir(parents=True, exist_ok=True)
        count = write_openmetrics(args.outdir / "sample.om", demo.families(demo.data_now(), shift))
        print(f"{count:,} samples written to {args.outdir / 'sample.om'}")
        return
    storage = demo.build(args.outdir, shift)
    print(f"Blocks in {storage}; the data's now is {(demo.data_now() + shift).isoformat()}.")


if __name__ == "__main__":
    main()
