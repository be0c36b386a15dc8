"""The audit trail: every operator action, who took it, where, when and what came of it.

Each request to act (confirm, cancel, a manual alert, a test alarm, a cancel held
for its undo window, an undo) is one row, accepted or refused, with the reason it
was refused. A cancel held for its undo window gets a second row when the hold
ends (``applied``, or ``refused`` if its alerts had ended by then); an undo is a
row of its own. Rows are written as the actions are answered, in the service's
store, so they survive a restart.
``GET /api/v1/operator/audit`` reads them back.

Built by migration ``0005_audit``; same declarative base and naming convention
as :mod:`nadhir.store.models`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Index, Integer, Text, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from nadhir.store.models import Base
from nadhir.store.quarantine import jsonable

AuditResult = Literal["accepted", "refused", "held", "applied", "failed"]
RESULTS: tuple[AuditResult, ...] = ("accepted", "refused", "held", "applied", "failed")


class AuditRow(Base):
    """One operator action (or the end of a held one) and its outcome."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]  # the service clock when it was answered
    who: Mapped[str]  # role:token name
    action: Mapped[str]  # confirm | cancel | alert | test_alarm | cancel_track | undo
    target: Mapped[str]  # a site id, "all", or "track:<id>"
    result: Mapped[str]  # one of RESULTS
    reason: Mapped[str | None] = mapped_column(Text)  # why it was refused or failed
    run_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]]  # the request's fields and what it did (alerts sent, sites)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An audit row as read back; ``at`` is POSIX seconds."""

    id: int
    at: float
    who: str
    action: str
    target: str
    result: str
    reason: str | None
    run_id: int | None
    detail: dict[str, Any]


class AuditBook:
    """The audit table. Thread-safe (each call has its own connection)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        at: float,
        who: str,
        action: str,
        target: str,
        result: AuditResult,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
        run_id: int | None = None,
    ) -> int:
        """Store one action's outcome; returns its id."""
        if result not in RESULTS:
            raise ValueError(f"unknown audit result {result!r}")
        if not math.isfinite(at):
            raise ValueError(f"audit time must be finite, not {at!r}")
        row = {"at": datetime.fromtimestamp(at, UTC), "who": who[:200], "action": action[:50],
               "target": target[:200], "result": result, "reason": None if reason is None else reason[:2000],
               "run_id": run_id, "detail": jsonable(detail or {})}  # fmt: skip
        with self.engine.begin() as conn:
            return int(conn.execute(insert(AuditRow).returning(AuditRow.id), [row]).scalar_one())

    def recent(
        self, limit: int = 200, since: float | None = None, who: str | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        """The latest rows, newest first (those at or after ``since``, by ``who``, at ``target``)."""
        m = AuditRow
        stmt = select(m).order_by(m.id.desc()).limit(limit)
        if since is not None:
            stmt = stmt.where(m.at >= datetime.fromtimestamp(since, UTC))
        if who is not None:
            stmt = stmt.where(m.who == who)
        if target is not None:
            stmt = stmt.where(m.target == target)
        with Session(self.engine) as session:
            rows = session.execute(stmt).scalars().all()
        return [
            AuditEntry(
                r.id, r.at.timestamp(), r.who, r.action, r.target, r.result, r.reason, r.run_id, r.detail
            )
            for r in rows
        ]
