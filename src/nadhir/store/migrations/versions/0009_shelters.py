"""Displacement sites' updates (the shelters room: IOM DTM's fields, one row per update).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Written by hand to match :mod:`nadhir.store.shelters`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shelter_updates",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("site_id", sa.String(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_ar", sa.Text(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("managing_agency", sa.Text(), nullable=True),
        sa.Column("admin_area", sa.Text(), nullable=True),
        sa.Column("pcode", sa.String(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("individuals", sa.Integer(), nullable=True),
        sa.Column("tents", sa.Integer(), nullable=True),
        sa.Column("tents_flooded", sa.Integer(), nullable=True),
        sa.Column("covered_area_m2", sa.Double(), nullable=True),
        sa.Column("latrines_working", sa.Integer(), nullable=True),
        sa.Column("showers_working", sa.Integer(), nullable=True),
        sa.Column("water_litres_per_day", sa.Double(), nullable=True),
        sa.Column("water_points", sa.Integer(), nullable=True),
        sa.Column("movements", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shelter_updates"),
        sa.UniqueConstraint("site_id", "updated", name="uq_shelter_updates_site_id"),
    )
    op.create_index("ix_shelter_updates_updated", "shelter_updates", ["updated"])


def downgrade() -> None:
    op.drop_index("ix_shelter_updates_updated", table_name="shelter_updates")
    op.drop_table("shelter_updates")
