"""Health facilities' status history: one row per update, with the status it made.

Each row keeps what the update said (``reported``) and the facility's whole status once the update
was laid over the one before it (``status``, JSON in the health room's form: see
:mod:`nadhir.health.status`), so that the latest status of every facility is one row and the
history needs no replay. ``functionality`` is copied out of ``status`` so that the map and the
list can filter on it. Rows are written by :meth:`FacilityStatusBook.record` in one transaction
with the read of the status before it; rows are never changed.

Built by migration ``0006_facility_status``; same declarative base and naming convention as
:mod:`nadhir.store.models`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, Integer, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from nadhir.store.models import Base
from nadhir.store.quarantine import jsonable


class FacilityStatusRow(Base):
    """One status update of one health facility, and the status it made."""

    __tablename__ = "facility_status"
    __table_args__ = (Index("ix_facility_status_facility_at", "facility", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility: Mapped[str]  # the site id
    at: Mapped[datetime]  # when the status holds (the message's or the form's time)
    received: Mapped[datetime]  # when it was kept (a form queued offline is kept later)
    who: Mapped[str]  # the reporter id, or role:token name
    channel: Mapped[str]  # sms | telegram | api | console | demo
    functionality: Mapped[str | None]  # copied from status
    reported: Mapped[dict[str, Any]]  # what the update said
    status: Mapped[dict[str, Any]]  # the whole status after it


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A row as read back; times are POSIX seconds."""

    id: int
    facility: str
    at: float
    received: float
    who: str
    channel: str
    functionality: str | None
    reported: dict[str, Any]
    status: dict[str, Any]


def _entry(r: FacilityStatusRow) -> StatusEntry:
    return StatusEntry(r.id, r.facility, r.at.timestamp(), r.received.timestamp(), r.who, r.channel,
                       r.functionality, r.reported, r.status)  # fmt: skip


class FacilityStatusBook:
    """The ``facility_status`` table. Thread-safe (each call has its own connection)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC).timestamp())

    def record(
        self,
        facility: str,
        at: float,
        who: str,
        channel: str,
        update: dict[str, Any],
        merge: Callable[[dict[str, Any] | None], dict[str, Any]],
    ) -> int:
        """Keep an update: ``merge`` gets the facility's last status at or before ``at`` (or None)
        and returns the status to keep. One transaction: if ``merge`` raises, nothing is kept."""
        if not math.isfinite(at):
            raise ValueError(f"status time must be finite, not {at!r}")
        when = datetime.fromtimestamp(at, UTC)
        m = FacilityStatusRow
        with self.engine.begin() as conn:
            # Lock the row laid over (PostgreSQL), so two updates of one facility are laid in turn.
            last = conn.execute(
                select(m.status)
                .where(m.facility == facility, m.at <= when)
                .order_by(m.at.desc(), m.id.desc())
                .limit(1)
                .with_for_update()
            ).scalar_one_or_none()
            status = jsonable(merge(last))
            row = {"facility": facility, "at": when, "received": datetime.fromtimestamp(self.clock(), UTC),
                   "who": who[:200], "channel": channel[:50], "functionality": status.get("functionality"),
                   "reported": jsonable(update), "status": status}  # fmt: skip
            return int(conn.execute(insert(m).returning(m.id), [row]).scalar_one())

    def latest(self) -> dict[str, StatusEntry]:
        """Every facility's latest status, by facility id."""
        m = FacilityStatusRow
        newest = select(m.facility, func.max(m.at).label("at")).group_by(m.facility).subquery()
        stmt = (
            select(m)
            .join(newest, (m.facility == newest.c.facility) & (m.at == newest.c.at))
            .order_by(m.facility, m.id)
        )
        with Session(self.engine) as session:
            rows = session.execute(stmt).scalars().all()
        return {r.facility: _entry(r) for r in rows}  # the last id wins among rows of one time

    def history(self, facility: str, limit: int = 500) -> list[StatusEntry]:
        """One facility's updates, newest first."""
        m = FacilityStatusRow
        stmt = select(m).where(m.facility == facility).order_by(m.at.desc(), m.id.desc()).limit(limit)
        with Session(self.engine) as session:
            return [_entry(r) for r in session.execute(stmt).scalars().all()]

    def count(self, channel: str | None = None) -> int:
        """How many updates are kept (all facilities; those that came by ``channel``)."""
        stmt = select(func.count()).select_from(FacilityStatusRow)
        if channel is not None:
            stmt = stmt.where(FacilityStatusRow.channel == channel)
        with Session(self.engine) as session:
            return int(session.execute(stmt).scalar_one())
