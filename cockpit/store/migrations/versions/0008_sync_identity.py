"""Sync hardening: parked records, conflict parties and reasons, tracker identity, late arrivals; comment ids
from the tracker's identity.

* ``parked_record``: what a tracker sent that the cockpit could not take, with the reason, while the rest syncs.
* ``conflict.local_author`` and ``conflict.reason``: both parties of a conflict; why the rules refused a value.
* ``sync_state.identity`` and ``sync_state.url_wrong``.
* ``timeline_entry.arrived_late_at``: when an entry arrived after entries that sort after it.
* Comments written in the tracker itself had ids derived from the local name of the tracker (uuid5 of
  "cockpit:<name>:<remote id>"); they now derive from the tracker's identity (its kind and address). Existing
  rows of every tracker in ``trackers.yaml`` are given their new ids here (the append-only triggers are lifted
  for the repair and put back); a duplicate that a renamed tracker already brought in is dropped.

Revision ID: 0008_sync
Revises: 0007_slo
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008_sync"
down_revision = "0007_slo"
branch_labels = None
depends_on = None

TIME = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "parked_record",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tracker", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=True),
        sa.Column("first_seen_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
    )
    op.create_index("ix_parked_record_tracker", "parked_record", ["tracker"])
    with op.batch_alter_table("conflict") as batch:
        batch.add_column(sa.Column("local_author", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("reason", sa.String(), nullable=True))
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("identity", sa.String(), nullable=True))
        batch.add_column(sa.Column("url_wrong", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("timeline_entry", sa.Column("arrived_late_at", TIME, nullable=True))
    _repair_comment_ids()


def _trackers() -> list[dict[str, str]]:
    """The trackers of this installation, from ``trackers.yaml`` beside the config file (none when unreadable:
    the sync then recognises the old ids by their old form, see ``RemoteEntry.legacy_ids``)."""
    try:
        import yaml

        from cockpit.config import config_path

        path = config_path().parent / "trackers.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except Exception:
        return []
    items = data.get("trackers") if isinstance(data, dict) else None
    return [item for item in items or [] if isinstance(item, dict)
            and all(isinstance(item.get(key), str) for key in ("name", "kind", "url"))]


def _repair_comment_ids() -> None:
    from cockpit.domain.ids import remote_entry_id, tracker_identity

    trackers = _trackers()
    if not trackers:
        return
    conn = op.get_bind()
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS timeline_entry_no_update")
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS timeline_entry_no_delete")
    for item in trackers:
        name = item["name"]
        identity = tracker_identity(item["kind"], item["url"], str(item.get("project") or ""))
        rows = conn.exec_driver_sql("SELECT id, data FROM timeline_entry WHERE origin = ?", (name,)).fetchall()
        for entry_id, raw in rows:
            data: Any = json.loads(raw) if isinstance(raw, str) else raw
            remote_id = str(data.get("remote_id", "")) if isinstance(data, dict) else ""
            if not remote_id or entry_id != str(uuid.uuid5(uuid.NAMESPACE_URL, f"cockpit:{name}:{remote_id}")):
                continue  # a cockpit's own entry (it carries its UUID), or already repaired
            new_id = remote_entry_id(identity, remote_id)
            if conn.exec_driver_sql("SELECT 1 FROM timeline_entry WHERE id = ?", (new_id,)).first():
                conn.exec_driver_sql("DELETE FROM timeline_entry WHERE id = ?", (entry_id,))  # the same comment twice
                conn.exec_driver_sql("DELETE FROM remote_link WHERE local_id = ?", (entry_id,))
                continue
            conn.exec_driver_sql("UPDATE timeline_entry SET id = ? WHERE id = ?", (new_id, entry_id))
            conn.exec_driver_sql("UPDATE remote_link SET local_id = ? WHERE local_id = ?", (new_id, entry_id))
        state = conn.exec_driver_sql("SELECT 1 FROM sync_state WHERE tracker = ?", (name,)).first()
        if state:
            conn.exec_driver_sql("UPDATE sync_state SET identity = ? WHERE tracker = ?", (identity, name))
    conn.exec_driver_sql(
        "CREATE TRIGGER timeline_entry_no_update BEFORE UPDATE ON timeline_entry "
        "BEGIN SELECT RAISE(ABORT, 'timeline entries are append-only'); END")
    conn.exec_driver_sql(
        "CREATE TRIGGER timeline_entry_no_delete BEFORE DELETE ON timeline_entry "
        "BEGIN SELECT RAISE(ABORT, 'timeline entries are never deleted'); END")
