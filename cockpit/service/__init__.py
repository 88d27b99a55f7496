"""Use cases. The only writer of the store: one transaction per use case (state + timeline + outbox)."""
