"""Displacement sites' updates, kept in the store's database (table ``shelter_updates``).

::

    book = ShelterBook(Store.open(url).engine)
    outcome = book.add(updates)          # one transaction: every new update, or none
    book.latest()                        # each site's latest update
    book.history("idlib-stadium")        # one site's updates, oldest first

Every update is a row of its own and none is overwritten, so trends show. A site has at most one
update per time (``site_id, updated`` is unique): the same update sent again (a CSV imported
twice) is recognised and not kept twice; a different one at the same time is a conflict, reported
and not kept. Built by migration ``0009_shelters``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, and_, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from nadhir.domain.displacement import Movement, SiteUpdate
from nadhir.domain.timefmt import format_time, parse_time, utc_datetime
from nadhir.store.models import Base

_CHUNK = 2000


class ShelterUpdateRow(Base):
    """One displacement site's figures as of one time (IOM DTM's fields)."""

    __tablename__ = "shelter_updates"
    __table_args__ = (
        UniqueConstraint("site_id", "updated"),
        Index("ix_shelter_updates_updated", "updated"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str]
    updated: Mapped[datetime]
    received_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    name_ar: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String)
    lat: Mapped[float]
    lon: Mapped[float]
    managing_agency: Mapped[str | None] = mapped_column(Text)
    admin_area: Mapped[str | None] = mapped_column(Text)
    pcode: Mapped[str | None]
    households: Mapped[int | None] = mapped_column(Integer)
    individuals: Mapped[int | None] = mapped_column(Integer)
    tents: Mapped[int | None] = mapped_column(Integer)
    tents_flooded: Mapped[int | None] = mapped_column(Integer)
    covered_area_m2: Mapped[float | None]
    latrines_working: Mapped[int | None] = mapped_column(Integer)
    showers_working: Mapped[int | None] = mapped_column(Integer)
    water_litres_per_day: Mapped[float | None]
    water_points: Mapped[int | None] = mapped_column(Integer)
    movements: Mapped[list[Any]]  # [{"kind", "on", "individuals", "place", "lat", "lon"}, ...]


# The record's fields stored as they are (the others: times and movements, converted).
_PLAIN = tuple(f.name for f in fields(SiteUpdate) if f.name not in ("updated", "movements"))


@dataclass(frozen=True, slots=True)
class Conflict:
    """An update not kept: the site already has a different one at that time."""

    update: SiteUpdate
    reason: str


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What :meth:`ShelterBook.add` did with the updates it was given."""

    kept: list[SiteUpdate]
    already: list[SiteUpdate]  # the same update was kept before
    conflicts: list[Conflict]


def _movement_json(m: Movement) -> dict[str, Any]:
    return {"kind": m.kind, "on": format_time(m.on), "individuals": m.individuals, "place": m.place,
            "lat": m.lat, "lon": m.lon}  # fmt: skip


def _movement(d: dict[str, Any]) -> Movement:
    return Movement(d["kind"], parse_time(d["on"]), int(d["individuals"]), d.get("place"), d.get("lat"),
                    d.get("lon"))  # fmt: skip


def _row(u: SiteUpdate, now: float) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(u, name) for name in _PLAIN}
    row["updated"] = utc_datetime(u.updated)
    row["received_at"] = utc_datetime(now)
    row["movements"] = [_movement_json(m) for m in u.movements]
    return row


def _update(row: Any) -> SiteUpdate:
    values = {name: getattr(row, name) for name in _PLAIN}
    return SiteUpdate(
        updated=row.updated.timestamp(),
        movements=tuple(_movement(m) for m in row.movements or ()),
        **values,
    )


def _same(a: SiteUpdate, b: SiteUpdate) -> bool:
    """The same figures (who sent it is not part of an update's sameness)."""
    return all(getattr(a, f.name) == getattr(b, f.name) for f in fields(SiteUpdate) if f.name != "source")


class ShelterBook:
    """The ``shelter_updates`` table. Thread-safe (each call has its own connection)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, updates: Sequence[SiteUpdate], *, now: float | None = None) -> AddOutcome:
        """Keep every update that is new, in one transaction (all of them, or none on an error)."""
        received = time.time() if now is None else now
        kept: list[SiteUpdate] = []
        already: list[SiteUpdate] = []
        conflicts: list[Conflict] = []
        with self.engine.begin() as conn:
            held = self._held(conn, updates)
            for u in updates:
                key = (u.site_id, u.updated)
                prior = held.get(key)
                if prior is None:
                    kept.append(u)
                    held[key] = u
                elif _same(prior, u):
                    already.append(u)
                else:
                    when = format_time(u.updated)
                    conflicts.append(
                        Conflict(u, f"site {u.site_id} already has a different update at {when}")
                    )
            for start in range(0, len(kept), _CHUNK):
                rows = [_row(u, received) for u in kept[start : start + _CHUNK]]
                conn.execute(insert(ShelterUpdateRow), rows)
        return AddOutcome(kept, already, conflicts)

    def _held(self, conn: Connection, updates: Sequence[SiteUpdate]) -> dict[tuple[str, float], SiteUpdate]:
        sites = sorted({u.site_id for u in updates})
        out: dict[tuple[str, float], SiteUpdate] = {}
        for start in range(0, len(sites), _CHUNK):
            query = select(ShelterUpdateRow).where(
                ShelterUpdateRow.site_id.in_(sites[start : start + _CHUNK])
            )
            for row in conn.execute(query):
                u = _update(row)
                out[(u.site_id, u.updated)] = u
        return out

    def all(self) -> list[SiteUpdate]:
        """Every update, oldest first."""
        query = select(ShelterUpdateRow).order_by(ShelterUpdateRow.updated, ShelterUpdateRow.id)
        with self.engine.connect() as conn:
            return [_update(row) for row in conn.execute(query)]

    def history(self, site_id: str) -> list[SiteUpdate]:
        """One site's updates, oldest first (empty for a site never reported)."""
        query = (
            select(ShelterUpdateRow)
            .where(ShelterUpdateRow.site_id == site_id)
            .order_by(ShelterUpdateRow.updated, ShelterUpdateRow.id)
        )
        with self.engine.connect() as conn:
            return [_update(row) for row in conn.execute(query)]

    def latest(self) -> list[SiteUpdate]:
        """Each site's latest update, by site id."""
        last = (
            select(ShelterUpdateRow.site_id, func.max(ShelterUpdateRow.updated).label("updated"))
            .group_by(ShelterUpdateRow.site_id)
            .subquery()
        )
        query = (
            select(ShelterUpdateRow)
            .join(
                last,
                and_(ShelterUpdateRow.site_id == last.c.site_id, ShelterUpdateRow.updated == last.c.updated),
            )
            .order_by(ShelterUpdateRow.site_id)
        )
        with self.engine.connect() as conn:
            return [_update(row) for row in conn.execute(query)]

    def last_of(self, site_id: str) -> SiteUpdate | None:
        """One site's latest update, or None."""
        query = (
            select(ShelterUpdateRow)
            .where(ShelterUpdateRow.site_id == site_id)
            .order_by(ShelterUpdateRow.updated.desc(), ShelterUpdateRow.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _update(row)
