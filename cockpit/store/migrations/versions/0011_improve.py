"""Game Days: an incident has a kind (``incident``, or ``exercise`` for a Game Day, never counted in the monthly
figures, MTTR or SLO budget bookkeeping) and says whether it goes to the tracker (an exercise does not unless
asked).

Revision ID: 0011_improve
Revises: 0009_safe3am
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_improve"
down_revision = "0010_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds a column with a constant default in place: no table is copied; every existing row is a real
    # incident that goes to the tracker, as before.
    op.add_column("incident", sa.Column("kind", sa.String(), nullable=False, server_default="incident"))
    op.add_column("incident", sa.Column("to_tracker", sa.Boolean(), nullable=False, server_default=sa.true()))
