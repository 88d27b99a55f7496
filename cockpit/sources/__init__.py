"""Read-only live sources (Prometheus): bounded, origin-pinned, never blocking the screen."""
