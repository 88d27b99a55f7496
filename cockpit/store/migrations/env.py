"""Alembic environment: the cockpit always hands in an open connection (see ``cockpit.store.db``)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
