"""Safe at 3 AM: a runbook run keeps the exact runbook it started with; a handoff names who it is for.

Revision ID: 0009_safe3am
Revises: 0008_sync
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_safe3am"
down_revision = "0008_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Runs started before this revision have no copy: they fall back to the library, as before.
    # SQLite adds a nullable column in place: no table is copied.
    op.add_column("runbook_run", sa.Column("runbook", sa.JSON(), nullable=True))
    op.add_column("handoff", sa.Column("recipient", sa.String(), nullable=True))
