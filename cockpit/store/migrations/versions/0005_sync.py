"""Sync state: which tracker item mirrors which incident and entry, cursors, the conflict log.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "remote_link",
        sa.Column("tracker", sa.String(), primary_key=True),
        sa.Column("local_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),  # incident | entry
        sa.Column("remote_id", sa.String(), nullable=False),
    )
    op.create_index("ix_remote_link_remote", "remote_link", ["tracker", "kind", "remote_id"])
    op.create_table(
        "sync_state",
        sa.Column("tracker", sa.String(), primary_key=True),
        sa.Column("pull_cursor", TIME, nullable=True),
        sa.Column("last_push_at", TIME, nullable=True),
        sa.Column("last_pull_at", TIME, nullable=True),
        sa.Column("last_attempt_at", TIME, nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("login_needed", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("remote_state", sa.JSON(), nullable=False),
    )
    op.create_table(
        "conflict",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("local_value", sa.String(), nullable=False),
        sa.Column("remote_value", sa.String(), nullable=False),
        sa.Column("kept", sa.String(), nullable=False),  # local | remote
        sa.Column("local_at", TIME, nullable=True),
        sa.Column("remote_at", TIME, nullable=True),
        sa.Column("remote_author", sa.String(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("restored", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_conflict_incident_id", "conflict", ["incident_id"])
