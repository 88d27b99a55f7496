"""SLO readings (the last figures per SLO, shown with their age when the source is down) and the error budget
around each incident.

Revision ID: 0007_slo
Revises: 0006_web
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_slo"
down_revision = "0006_web"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "slo_reading",
        sa.Column("slo_key", sa.String(), primary_key=True),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("read_at", TIME, nullable=True),
        sa.Column("attempted_at", TIME, nullable=False),
        sa.Column("error", sa.String(), nullable=True),
    )
    op.create_index("ix_slo_reading_service", "slo_reading", ["service"])
    op.create_table(
        "incident_budget",
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), primary_key=True),
        sa.Column("slo_key", sa.String(), primary_key=True),
        sa.Column("declared_remaining", sa.Float(), nullable=True),
        sa.Column("resolved_remaining", sa.Float(), nullable=True),
        sa.Column("consumed_pct", sa.Float(), nullable=True),
        sa.Column("consumed_until", TIME, nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
    )
