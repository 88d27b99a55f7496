"""Offline-first sync with the team's tracker: tracker settings, credentials, adapters, the outbox relay."""
