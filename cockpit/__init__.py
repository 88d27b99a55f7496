"""Incident Cockpit: a keyboard-driven terminal cockpit for running live incidents."""

__version__ = "0.1.0"
