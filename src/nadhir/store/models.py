"""SQLAlchemy models of the store: one table per record kind, all scoped by run.

A *run* is one replay of a scenario or one live session. Every other table
carries ``run_id`` and, where records have a time, an index on
``(run_id, t)`` so that a run's records between two times are cheap to read.

Times are stored as timezone-aware UTC datetimes (:class:`UTCDateTime`); the
domain records use POSIX seconds, and :mod:`nadhir.store.store` converts at the
boundary. Floats are double precision. Only portable types are used (``JSON``,
not ``JSONB``) so that the same models serve SQLite and PostgreSQL.

The hand-written migrations in ``nadhir/store/migrations/versions`` must build
exactly this schema; ``tests/store/test_store.py`` checks it with Alembic's
``compare_metadata``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A ``TIMESTAMP WITH TIME ZONE`` that always gives back aware UTC datetimes.

    SQLite has no time zones: values are normalised to UTC before they are
    written, and naive values read back are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        float: Double(),
        str: String(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def _run_fk() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False)


class RunRow(Base):
    """A replay or a live session."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str]
    scenario: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any] | None]


class SiteRow(Base):
    """A site that could be warned during a run (a copy of the run's ``sites.geojson``)."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("run_id", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = _run_fk()
    site_id: Mapped[str]
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str]
    lat: Mapped[float]
    lon: Mapped[float]
    radius_m: Mapped[float]
    name_ar: Mapped[str | None] = mapped_column(Text)
    polygon: Mapped[list[Any] | None]  # [[lon, lat], ...], the outer ring
    sirens: Mapped[list[Any]]  # [siren id, ...]
    population: Mapped[int | None] = mapped_column(Integer)
    shelter_seconds: Mapped[float | None]


class ReportRow(Base):
    """An observer's report as received, with what the text reader made of it, if anything.

    ``seq`` is the event's position in the run's input stream (shared by the
    three event tables), which keeps the original order of events with equal ``t``.
    """

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_run_id_t", "run_id", "t"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = _run_fk()
    seq: Mapped[int] = mapped_column(Integer)
    t: Mapped[datetime]
    reporter: Mapped[str]
    channel: Mapped[str | None]
    text: Mapped[str | None] = mapped_column(Text)
    aircraft: Mapped[str | None]
    count: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    place: Mapped[str | None] = mapped_column(Text)
    heading_deg: Mapped[float | None]
    heading: Mapped[str | None]
    origin: Mapped[str | None] = mapped_column(Text)
    parsed: Mapped[dict[str, Any] | None]  # a ParsedMessage as a JSON object


class AcousticRow(Base):
    """One detection from an acoustic node."""

    __tablename__ = "acoustic_detections"
    __table_args__ = (Index("ix_acoustic_detections_run_id_t", "run_id", "t"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = _run_fk()
    seq: Mapped[int] = mapped_column(Integer)
    t: Mapped[datetime]
    sensor: Mapped[str]
    lat: Mapped[float]
    lon: Mapped[float]
    sound_class: Mapped[str]
    confidence: Mapped[float]
    bearing_deg: Mapped[float | None]
    bearing_sigma_deg: Mapped[float | None]


class ImpactRow(Base):
    """A reported explosion or strike."""

    __tablename__ = "impacts"
    __table_args__ = (Index("ix_impacts_run_id_t", "run_id", "t"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = _run_fk()
    seq: Mapped[int] = mapped_column(Integer)
    t: Mapped[datetime]
    reporter: Mapped[str]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    place: Mapped[str | None] = mapped_column(Text)


class TrackStateRow(Base):
    """A line of ``tracks.jsonl``: one track's estimate at one time."""

    __tablename__ = "track_states"
    __table_args__ = (Index("ix_track_states_run_id_t", "run_id", "t"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = _run_fk()
    t: Mapped[datetime]
    track: Mapped[str]
    lat: Mapped[float]
    lon: Mapped[float]
    speed_mps: Mapped[float]
    heading_deg: Mapped[float]
    aircraft: Mapped[str]
    sigma_m: Mapped[float]
    confirmed: Mapped[bool] = mapped_column(Boolean)


class AlertRow(Base):
    """A line of ``alerts.jsonl``: an alert, an update or an all-clear for a site."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_run_id_t", "run_id", "t"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = _run_fk()
    t: Mapped[datetime]
    action: Mapped[str]
    site: Mapped[str]
    level: Mapped[str]
    threat: Mapped[str]
    eta: Mapped[datetime | None]
    confidence: Mapped[float]
    track: Mapped[str | None]
