"""Runbook runs: which runbook is being walked on which incident, and where the walk stands.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "runbook_run",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("runbook_id", sa.String(), nullable=False),
        sa.Column("runbook_title", sa.String(), nullable=False),
        sa.Column("started_by", sa.String(), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("option", sa.Integer(), nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("escalated_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ix_runbook_run_incident_id", "runbook_run", ["incident_id"])
