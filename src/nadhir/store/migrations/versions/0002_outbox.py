"""Durable alert outbox: stored alerts, deliveries with idempotency keys, delivery audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Written by hand to match :mod:`nadhir.store.outbox_models`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_alerts",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("t", _TIME, nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("site", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("threat", sa.String(), nullable=False),
        sa.Column("eta", _TIME, nullable=True),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("track", sa.String(), nullable=True),
        sa.Column("stored_at", _TIME, nullable=False),
        sa.Column("cap", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_alerts"),
        sa.UniqueConstraint("key", name="uq_outbox_alerts_key"),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column(
            "alert_id",
            sa.Integer(),
            sa.ForeignKey(
                "outbox_alerts.id", name="fk_outbox_deliveries_alert_id_outbox_alerts", ondelete="CASCADE"
            ),
            nullable=True,
        ),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("last_attempt_at", _TIME, nullable=True),
        sa.Column("done_at", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_deliveries"),
        sa.UniqueConstraint("key", name="uq_outbox_deliveries_key"),
    )
    op.create_index("ix_outbox_deliveries_alert_id", "outbox_deliveries", ["alert_id"])
    op.create_index(
        "ix_outbox_deliveries_state_next_attempt_at", "outbox_deliveries", ["state", "next_attempt_at"]
    )
    op.create_table(
        "outbox_audit",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_audit"),
    )
    op.create_index("ix_outbox_audit_key_at", "outbox_audit", ["key", "at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_audit_key_at", table_name="outbox_audit")
    op.drop_table("outbox_audit")
    op.drop_index("ix_outbox_deliveries_state_next_attempt_at", table_name="outbox_deliveries")
    op.drop_index("ix_outbox_deliveries_alert_id", table_name="outbox_deliveries")
    op.drop_table("outbox_deliveries")
    op.drop_table("outbox_alerts")
