"""Published updates: the comms the incident commander chose to make public (the status page's only text).

Revision ID: 0006_web
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_web"
down_revision = "0005"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "published_update",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incident.id"), nullable=False),
        sa.Column("entry_id", sa.String(36), sa.ForeignKey("timeline_entry.id"), nullable=False),
        sa.Column("template", sa.String(), nullable=False),  # customer | resolution (never initial)
        sa.Column("public_title", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("published_by", sa.String(), nullable=False),
        sa.Column("published_at", TIME, nullable=False),
    )
    op.create_index("ix_published_update_incident_id", "published_update", ["incident_id", "published_at"])
    op.create_index("ix_published_update_published_at", "published_update", ["published_at"])
    # Published updates are what customers were told: like timeline entries, never edited or removed.
    op.execute("CREATE TRIGGER published_update_no_update BEFORE UPDATE ON published_update "
               "BEGIN SELECT RAISE(ABORT, 'published updates are append-only'); END")
    op.execute("CREATE TRIGGER published_update_no_delete BEFORE DELETE ON published_update "
               "BEGIN SELECT RAISE(ABORT, 'published updates are append-only'); END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS published_update_no_delete")
    op.execute("DROP TRIGGER IF EXISTS published_update_no_update")
    op.drop_index("ix_published_update_published_at", "published_update")
    op.drop_index("ix_published_update_incident_id", "published_update")
    op.drop_table("published_update")
