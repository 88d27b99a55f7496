"""Action items (first-class, AI-001...) and on-call handoffs.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "action_item",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.Integer(), nullable=False, unique=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("priority", sa.String(), nullable=False),
        sa.Column("deadline", sa.String(10), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("ticket", sa.String(), nullable=False),
        sa.Column("source_entry_id", sa.String(36), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("done_at", TIME, nullable=True),
    )
    op.create_index("ix_action_item_incident_id", "action_item", ["incident_id"])
    op.create_table(
        "handoff",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.Integer(), nullable=False, unique=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("signed_at", TIME, nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("acknowledged_at", TIME, nullable=True),
    )
