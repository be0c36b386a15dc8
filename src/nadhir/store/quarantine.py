"""The quarantine: steps of the live engine that raised, kept for an operator to look at.

When a batch of events, a clock tick or an operator job raises inside the
engine, the engine does not stop: it stores what it was working on (the
events, as JSON) and the traceback here, and goes on with the next step.
``GET /api/v1/admin/quarantine`` reads them back.

Built by migration ``0004_quarantine``; same declarative base and naming
convention as :mod:`nadhir.store.models`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Text, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from nadhir.store.models import Base


class QuarantineRow(Base):
    """One engine step that raised: what it was given and how it failed."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]  # wall clock, when it was quarantined
    engine_t: Mapped[float | None]  # the pipeline's time then (POSIX seconds)
    kind: Mapped[str]  # batch | tick | job | store
    error: Mapped[str] = mapped_column(Text)  # the exception, one line
    traceback: Mapped[str] = mapped_column(Text)
    items: Mapped[list[Any]]  # what the step was given (events in the scenario format), as JSON


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A quarantined step, as read back."""

    id: int
    run_id: int | None
    at: float
    engine_t: float | None
    kind: str
    error: str
    traceback: str
    items: list[Any]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON, whatever it holds: a float that JSON cannot carry becomes its text
    (``"nan"``, ``"inf"``), so the operator sees the bad value; anything unknown becomes its repr."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return repr(value)


class QuarantineBook:
    """The quarantine table. Thread-safe (each call has its own connection)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        kind: str,
        error: str,
        traceback: str,
        items: Sequence[Any] = (),
        *,
        run_id: int | None = None,
        engine_t: float | None = None,
        at: float | None = None,
    ) -> int:
        """Store one quarantined step; returns its id."""
        when = datetime.now(UTC) if at is None else datetime.fromtimestamp(at, UTC)
        t = engine_t if engine_t is not None and math.isfinite(engine_t) else None
        row = {"run_id": run_id, "at": when, "engine_t": t, "kind": kind, "error": error[:2000],
               "traceback": traceback[-20_000:], "items": jsonable(list(items))}  # fmt: skip
        with self.engine.begin() as conn:
            result = conn.execute(insert(QuarantineRow).returning(QuarantineRow.id), [row])
            return int(result.scalar_one())

    def recent(self, limit: int = 100, run_id: int | None = None) -> list[Quarantined]:
        """The latest quarantined steps, newest first."""
        m = QuarantineRow
        stmt = select(m).order_by(m.id.desc()).limit(limit)
        if run_id is not None:
            stmt = stmt.where(m.run_id == run_id)
        with Session(self.engine) as session:
            rows = session.execute(stmt).scalars().all()
        return [
            Quarantined(r.id, r.run_id, r.at.timestamp(), r.engine_t, r.kind, r.error, r.traceback, r.items)
            for r in rows
        ]

    def count(self) -> int:
        """How many steps are in quarantine."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(QuarantineRow)).scalar_one())
