"""The register of attacks on health care (WHO SSA's fields, one JSON record per attack).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Written by hand to match :mod:`nadhir.store.attacks`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "health_attacks",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("facility_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("t", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review", sa.String(length=20), nullable=False),
        sa.Column("certainty", sa.String(length=20), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_health_attacks"),
    )
    op.create_index("ix_health_attacks_facility_day", "health_attacks", ["facility_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_health_attacks_facility_day", table_name="health_attacks")
    op.drop_table("health_attacks")
