"""The cockpit for people without a terminal: the static status page and the read-only cockpit in a browser."""
