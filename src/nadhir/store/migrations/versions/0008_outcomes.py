"""Mothers' and newborns' outcomes (reports with their history) and the alarms raised on them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Written by hand to match :mod:`nadhir.store.outcomes`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)

COUNTS = ("live_births", "stillbirths_fresh", "stillbirths_macerated", "miscarriages", "preterm_births",
          "low_birth_weight", "neonatal_deaths", "maternal_deaths")  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "outcome_reports",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("facility_id", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("caesarean_sections", sa.Integer(), nullable=True),
        sa.Column("referrals_out", sa.Integer(), nullable=True),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("reporter", sa.String(), nullable=True),
        sa.Column("superseded_at", _TIME, nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outcome_reports"),
    )
    op.create_index(
        "ix_outcome_reports_facility_id", "outcome_reports", ["facility_id", "period", "period_start"]
    )
    op.create_table(
        "outcome_alarms",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("facility_id", sa.String(), nullable=False),
        sa.Column("indicator", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("observed", sa.Double(), nullable=False),
        sa.Column("expected", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("completeness", sa.Double(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("nearby", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_by", sa.String(), nullable=True),
        sa.Column("status_at", _TIME, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("notified_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outcome_alarms"),
        sa.UniqueConstraint("key", name="uq_outcome_alarms_key"),
    )
    op.create_index("ix_outcome_alarms_status", "outcome_alarms", ["status"])


def downgrade() -> None:
    op.drop_index("ix_outcome_alarms_status", table_name="outcome_alarms")
    op.drop_table("outcome_alarms")
    op.drop_index("ix_outcome_reports_facility_id", table_name="outcome_reports")
    op.drop_table("outcome_reports")
