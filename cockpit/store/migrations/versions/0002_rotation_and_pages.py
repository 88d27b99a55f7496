"""The on-call rotation and its pages (for on-call health: pages per shift, time to acknowledge).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "shift",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("responder", sa.String(), nullable=False),
        sa.Column("position", sa.String(), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("ends_at", TIME, nullable=False),
    )
    op.create_index("ix_shift_responder", "shift", ["responder"])
    op.create_index("ix_shift_starts_at", "shift", ["starts_at"])
    op.create_table(
        "page",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("responder", sa.String(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("alert_name", sa.String(), nullable=False),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("false_positive", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_page_at", "page", ["at"])
