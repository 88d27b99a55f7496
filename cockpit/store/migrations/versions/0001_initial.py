"""The first schema: incidents, the append-only timeline, role assignments, the outbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("ref_key", sa.String(16), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("impact", sa.String(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("triggers", sa.JSON(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("severity_reason", sa.String(), nullable=False),
        sa.Column("severity_overridden", sa.Boolean(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("declared_by", sa.String(), nullable=False),
        sa.Column("declared_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("mitigated_at", TIME, nullable=True),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("last_update_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("root_cause", sa.String(), nullable=False),
    )
    op.create_index("ix_incident_ref_key", "incident", ["ref_key"], unique=True)
    op.create_index("ix_incident_phase", "incident", ["phase"])
    op.create_index("ix_incident_updated_at", "incident", ["updated_at"])

    op.create_table(
        "timeline_entry",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("hlc", sa.Integer(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
    )
    op.create_index("ix_timeline_entry_hlc", "timeline_entry", ["hlc"])
    op.create_index("ix_timeline_incident_hlc", "timeline_entry", ["incident_id", "hlc"])
    # Evidence is append-only: the database itself refuses to change or delete an entry.
    op.execute(
        "CREATE TRIGGER timeline_entry_no_update BEFORE UPDATE ON timeline_entry "
        "BEGIN SELECT RAISE(ABORT, 'timeline entries are append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER timeline_entry_no_delete BEFORE DELETE ON timeline_entry "
        "BEGIN SELECT RAISE(ABORT, 'timeline entries are never deleted'); END"
    )

    op.create_table(
        "role_assignment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("assigned_by", sa.String(), nullable=False),
        sa.Column("since", TIME, nullable=False),
        sa.Column("until", TIME, nullable=True),
    )
    op.create_index("ix_role_assignment_incident_id", "role_assignment", ["incident_id"])

    op.create_table(
        "outbox_op",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("op", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
    )
    op.create_index("ix_outbox_op_incident_id", "outbox_op", ["incident_id"])
    op.create_index("ix_outbox_op_state", "outbox_op", ["state"])

    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )
