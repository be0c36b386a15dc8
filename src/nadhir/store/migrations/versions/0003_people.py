"""People's subscriptions and scheduled test alarms.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Written by hand to match :mod:`nadhir.store.people_models`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("radius_m", sa.Double(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.UniqueConstraint("key", name="uq_subscriptions_key"),
    )
    op.create_index("ix_subscriptions_channel_address", "subscriptions", ["channel", "address"])
    op.create_table(
        "test_alarms",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("sirens", sa.Integer(), nullable=False),
        sa.Column("announcements", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_test_alarms"),
        sa.UniqueConstraint("key", name="uq_test_alarms_key"),
    )


def downgrade() -> None:
    op.drop_table("test_alarms")
    op.drop_index("ix_subscriptions_channel_address", table_name="subscriptions")
    op.drop_table("subscriptions")
