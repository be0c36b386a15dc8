"""Health facilities' status history (issue 18).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Written by hand to match :mod:`nadhir.store.facilities`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility_status",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("facility", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("functionality", sa.String(), nullable=True),
        sa.Column("reported", sa.JSON(), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_facility_status"),
    )
    op.create_index("ix_facility_status_facility_at", "facility_status", ["facility", "at"])


def downgrade() -> None:
    op.drop_index("ix_facility_status_facility_at", table_name="facility_status")
    op.drop_table("facility_status")
