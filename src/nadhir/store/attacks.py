"""The register of attacks on health care, kept in the store's database.

One row per attack. The record itself (SSA's fields, in the JSON form the health room writes:
``nadhir.health.attacks.record_to_json``) is one JSON column; the columns beside it are what
the register is searched and listed by: the facility, the day, the review state and the
certainty. The store knows nothing of SSA's rules: the health room checks a record before it
comes here, and the service joins the two.

Built by migration ``0007_health_attacks``; same declarative base and naming convention as
:mod:`nadhir.store.models`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, Integer, RowMapping, String, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from nadhir.store.models import Base


class AttackRow(Base):
    """One attack on health care."""

    __tablename__ = "health_attacks"
    __table_args__ = (Index("ix_health_attacks_facility_day", "facility_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[str] = mapped_column(String(200))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC
    t: Mapped[datetime]
    review: Mapped[str] = mapped_column(String(20))
    certainty: Mapped[str] = mapped_column(String(20))
    record: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class StoredAttack:
    """A row as read back: ``t`` in POSIX seconds, ``record`` the JSON form."""

    id: int
    facility_id: str
    day: str
    t: float
    review: str
    certainty: str
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AttackFields:
    """What a row is written from: the searchable columns and the record's JSON form."""

    facility_id: str
    day: str
    t: float
    review: str
    certainty: str
    record: dict[str, Any]


def _dt(t: float) -> datetime:
    if not math.isfinite(t):
        raise ValueError(f"attack time must be finite, not {t!r}")
    return datetime.fromtimestamp(t, UTC)


def _values(fields: AttackFields, now: float) -> dict[str, Any]:
    return {
        "facility_id": fields.facility_id,
        "day": fields.day,
        "t": _dt(fields.t),
        "review": fields.review,
        "certainty": fields.certainty,
        "record": fields.record,
        "updated_at": _dt(now),
    }


class AttackBook:
    """The ``health_attacks`` table. Thread-safe: each call has its own connection and transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, fields: AttackFields, now: float) -> int:
        """Store a new attack; returns its id."""
        values = _values(fields, now) | {"created_at": _dt(now)}
        with self.engine.begin() as conn:
            return int(conn.execute(insert(AttackRow).returning(AttackRow.id), [values]).scalar_one())

    def get(self, attack_id: int) -> StoredAttack | None:
        """One attack, or None."""
        with self.engine.connect() as conn:
            return self._get(conn, attack_id)

    @staticmethod
    def _get(conn: Connection, attack_id: int) -> StoredAttack | None:
        row = conn.execute(select(AttackRow.__table__).where(AttackRow.id == attack_id)).mappings().first()
        return None if row is None else _from_mapping(row)

    def recent(self, facility_id: str | None = None, limit: int = 1000) -> list[StoredAttack]:
        """Attacks, newest first (only at ``facility_id`` if given)."""
        stmt = select(AttackRow.__table__).order_by(AttackRow.t.desc(), AttackRow.id.desc()).limit(limit)
        if facility_id is not None:
            stmt = stmt.where(AttackRow.facility_id == facility_id)
        with self.engine.connect() as conn:
            return [_from_mapping(r) for r in conn.execute(stmt).mappings()]

    def find(self, facility_id: str, day: str) -> list[StoredAttack]:
        """The attacks at one facility on one day, oldest first."""
        stmt = (
            select(AttackRow.__table__)
            .where(AttackRow.facility_id == facility_id, AttackRow.day == day)
            .order_by(AttackRow.id)
        )
        with self.engine.connect() as conn:
            return [_from_mapping(r) for r in conn.execute(stmt).mappings()]

    def change(
        self,
        attack_id: int,
        change: Callable[[StoredAttack], AttackFields],
        now: float,
    ) -> StoredAttack:
        """Apply ``change`` to one attack in one transaction, the row locked while it runs where
        the database can (PostgreSQL); ``change`` raises to leave it as it was. KeyError if there
        is no such attack."""
        with self.engine.begin() as conn:
            row = (
                conn.execute(select(AttackRow.__table__).where(AttackRow.id == attack_id).with_for_update())
                .mappings()
                .first()
            )
            if row is None:
                raise KeyError(attack_id)
            fields = change(_from_mapping(row))
            conn.execute(update(AttackRow).where(AttackRow.id == attack_id).values(**_values(fields, now)))
            got = self._get(conn, attack_id)
        assert got is not None
        return got


def _from_mapping(row: RowMapping) -> StoredAttack:
    t: datetime = row["t"]
    if t.tzinfo is None:  # SQLite through a Core select: the column type still marks it UTC
        t = t.replace(tzinfo=UTC)
    return StoredAttack(
        int(row["id"]),
        str(row["facility_id"]),
        str(row["day"]),
        t.timestamp(),
        str(row["review"]),
        str(row["certainty"]),
        dict(row["record"]),
    )
