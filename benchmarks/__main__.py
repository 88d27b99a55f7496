"""Run every benchmark and print the figures: ``python -m benchmarks [--quick]``."""

from __future__ import annotations

import argparse
import platform

from benchmarks import (
    bench_alerts,
    bench_redmine,
    bench_runbooks,
    bench_slo,
    bench_speed,
    bench_store,
    bench_sync,
    bench_web,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Smaller sizes, for a smoke run.")
    parser.add_argument("--speed", action="store_true", help="Only issue #19's table (bench_speed).")
    args = parser.parse_args()
    print(f"# Incident Cockpit benchmarks on {platform.platform()}, Python {platform.python_version()}, "
          f"{__import__('os').cpu_count()} cpus")
    bench_speed.main(quick=args.quick)  # first: the table every figure is quoted from, with its floors
    if args.speed:
        return
    bench_store.main(quick=args.quick)
    bench_runbooks.main(quick=args.quick)
    bench_sync.main(quick=args.quick)
    bench_redmine.main(quick=args.quick)
    bench_web.main(quick=args.quick)
    bench_slo.main(quick=args.quick)
    bench_alerts.main(quick=args.quick)


if __name__ == "__main__":
    main()
