"""The quarantine: live engine steps that raised, with their events and traceback.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Written by hand to match :mod:`nadhir.store.quarantine`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("engine_t", sa.Double(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
    )


def downgrade() -> None:
    op.drop_table("quarantine")
