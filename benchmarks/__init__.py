"""Benchmarks: ``python -m benchmarks`` (or ``make bench``) prints one line per figure."""
