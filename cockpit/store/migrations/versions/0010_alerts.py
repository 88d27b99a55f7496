"""The alert log (what Alertmanager said, kept for offline and for on-call health), the acknowledging silences
(durable before they are sent: exactly one per acknowledgement) and the alert source's last state.

Revision ID: 0010_alerts
Revises: 0009_safe3am
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_alerts"
down_revision = "0009_safe3am"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "alert_log",
        sa.Column("fingerprint", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("level", sa.String(4), nullable=True),
        sa.Column("group_key", sa.String(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("first_seen_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("false_positive", sa.Boolean(), nullable=False),
        sa.Column("fired_count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_alert_log_state", "alert_log", ["state"])
    op.create_index("ix_alert_log_group_key", "alert_log", ["group_key"])
    op.create_index("ix_alert_log_starts_at", "alert_log", ["starts_at"])
    op.create_table(
        "alert_silence",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=True),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("starts_at", TIME, nullable=False),
        sa.Column("ends_at", TIME, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_alert_silence_state", "alert_silence", ["state"])
    op.create_table(
        "alert_source_state",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("last_ok_at", TIME, nullable=True),
        sa.Column("attempted_at", TIME, nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("quarantined", sa.JSON(), nullable=False),
    )
