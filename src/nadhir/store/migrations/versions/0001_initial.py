"""Initial schema: runs, sites, reports, acoustic detections, impacts, track states, alerts.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Written by hand to match :mod:`nadhir.store.models` (constraint and index
names follow its naming convention).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_EVENT_TABLES = ("reports", "acoustic_detections", "impacts", "track_states", "alerts")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False, autoincrement=True)


def _run_id(table: str) -> sa.Column[int]:
    return sa.Column(
        "run_id",
        sa.Integer(),
        sa.ForeignKey("runs.id", name=f"fk_{table}_run_id_runs", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "runs",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=True),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_table(
        "sites",
        _id(),
        _run_id("sites"),
        sa.Column("site_id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("radius_m", sa.Double(), nullable=False),
        sa.Column("name_ar", sa.Text(), nullable=True),
        sa.Column("polygon", sa.JSON(), nullable=True),
        sa.Column("sirens", sa.JSON(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("shelter_seconds", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
        sa.UniqueConstraint("run_id", "site_id", name="uq_sites_run_id"),
    )
    op.create_table(
        "reports",
        _id(),
        _run_id("reports"),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t", _TIME, nullable=False),
        sa.Column("reporter", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("aircraft", sa.String(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("heading_deg", sa.Double(), nullable=True),
        sa.Column("heading", sa.String(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("parsed", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
    )
    op.create_table(
        "acoustic_detections",
        _id(),
        _run_id("acoustic_detections"),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t", _TIME, nullable=False),
        sa.Column("sensor", sa.String(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("sound_class", sa.String(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("bearing_deg", sa.Double(), nullable=True),
        sa.Column("bearing_sigma_deg", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_acoustic_detections"),
    )
    op.create_table(
        "impacts",
        _id(),
        _run_id("impacts"),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("t", _TIME, nullable=False),
        sa.Column("reporter", sa.String(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_impacts"),
    )
    op.create_table(
        "track_states",
        _id(),
        _run_id("track_states"),
        sa.Column("t", _TIME, nullable=False),
        sa.Column("track", sa.String(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("speed_mps", sa.Double(), nullable=False),
        sa.Column("heading_deg", sa.Double(), nullable=False),
        sa.Column("aircraft", sa.String(), nullable=False),
        sa.Column("sigma_m", sa.Double(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_track_states"),
    )
    op.create_table(
        "alerts",
        _id(),
        _run_id("alerts"),
        sa.Column("t", _TIME, nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("site", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("threat", sa.String(), nullable=False),
        sa.Column("eta", _TIME, nullable=True),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("track", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    for table in _EVENT_TABLES:
        op.create_index(f"ix_{table}_run_id_t", table, ["run_id", "t"])


def downgrade() -> None:
    for table in _EVENT_TABLES:
        op.drop_index(f"ix_{table}_run_id_t", table_name=table)
    for table in reversed(("runs", "sites", *_EVENT_TABLES)):
        op.drop_table(table)
