"""Tables of mothers' and newborns' outcomes, and of the alarms raised on them.

- ``outcome_reports``: one facility's counts for one period (day or ISO week), as received. A
  second report for the same facility-period replaces the first: the first stays, marked
  ``superseded_at`` (and ``superseded_by``), so the history of every figure is kept. A report
  identical to the current one changes nothing (an import run twice keeps one row).
- ``outcome_alarms``: a rise found by a detector, with its figures, the events nearby and the
  facility's completeness; a coordinator's review (``new`` -> ``investigated`` / ``explained`` /
  ``dismissed``), who did it and when. The same alarm found again (same key) is not added twice.

The records are plain mappings here (the store sits below the health room and does not know its
types); :mod:`nadhir.service.outcomes` converts. Built by migration ``0008_outcomes``; same
declarative base and naming convention as :mod:`nadhir.store.models`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Boolean, Date, Index, Integer, Table, Text, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from nadhir.store.models import Base

COUNT_COLUMNS: tuple[str, ...] = (
    "live_births", "stillbirths_fresh", "stillbirths_macerated", "miscarriages", "preterm_births",
    "low_birth_weight", "neonatal_deaths", "maternal_deaths", "caesarean_sections", "referrals_out",
)  # fmt: skip
KEY_COLUMNS: tuple[str, ...] = ("facility_id", "period", "period_start")
ALARM_STATUSES: tuple[str, ...] = ("new", "investigated", "explained", "dismissed")


class OutcomeReportRow(Base):
    """One report of one facility-period (current when ``superseded_at`` is null)."""

    __tablename__ = "outcome_reports"
    __table_args__ = (Index("ix_outcome_reports_facility_id", "facility_id", "period", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[str]
    period: Mapped[str]  # day | week
    period_start: Mapped[dt.date] = mapped_column(Date)
    live_births: Mapped[int] = mapped_column(Integer)
    stillbirths_fresh: Mapped[int] = mapped_column(Integer)
    stillbirths_macerated: Mapped[int] = mapped_column(Integer)
    miscarriages: Mapped[int] = mapped_column(Integer)
    preterm_births: Mapped[int] = mapped_column(Integer)
    low_birth_weight: Mapped[int] = mapped_column(Integer)
    neonatal_deaths: Mapped[int] = mapped_column(Integer)
    maternal_deaths: Mapped[int] = mapped_column(Integer)
    caesarean_sections: Mapped[int | None] = mapped_column(Integer)
    referrals_out: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[dt.datetime]
    source: Mapped[str]  # csv | api | sms | telegram | console | demo
    reporter: Mapped[str | None]
    superseded_at: Mapped[dt.datetime | None]
    superseded_by: Mapped[int | None] = mapped_column(Integer)


class OutcomeAlarmRow(Base):
    """One alarm and its review."""

    __tablename__ = "outcome_alarms"
    __table_args__ = (Index("ix_outcome_alarms_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)  # facility|indicator|period|start|method
    facility_id: Mapped[str]
    indicator: Mapped[str]
    period: Mapped[str]
    period_start: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str]
    observed: Mapped[float]
    expected: Mapped[float]
    threshold: Mapped[float]
    completeness: Mapped[float | None]
    flagged: Mapped[bool] = mapped_column(Boolean)
    nearby: Mapped[list[Any]]  # [{kind, t, lat, lon, distance_km, description}, ...]
    created_at: Mapped[dt.datetime]
    status: Mapped[str]  # one of ALARM_STATUSES
    status_by: Mapped[str | None]
    status_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[dt.datetime | None]  # when it was handed to the coordinators' channels


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report as read back: its fields (:data:`KEY_COLUMNS` + :data:`COUNT_COLUMNS`), when this
    version came and when the facility-period was first received, both POSIX seconds."""

    id: int
    fields: dict[str, Any]
    received_at: float
    first_received_at: float
    source: str
    reporter: str | None
    superseded_at: float | None


@dataclass(frozen=True, slots=True)
class PutResult:
    """What keeping a batch of reports did."""

    added: int  # facility-periods not reported before
    replaced: int  # facility-periods whose earlier report is now history
    unchanged: int  # reports identical to the current one


@dataclass(frozen=True, slots=True)
class StoredAlarm:
    """An alarm as read back (times in POSIX seconds)."""

    id: int
    key: str
    facility_id: str
    indicator: str
    period: str
    period_start: dt.date
    method: str
    observed: float
    expected: float
    threshold: float
    completeness: float | None
    flagged: bool
    nearby: list[Any]
    created_at: float
    status: str
    status_by: str | None
    status_at: float | None
    note: str | None
    notified_at: float | None


class AlarmNotFound(LookupError):
    """No alarm with that id."""


def _dt(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)


def _ts(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


class OutcomeBook:
    """The outcome tables. Thread-safe (each call has its own connection and transaction)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reports -------------------------------------------------------------------------------

    def put(
        self,
        reports: Sequence[Mapping[str, Any]],
        received_at: float,
        source: str,
        reporter: str | None = None,
    ) -> PutResult:
        """Keep ``reports`` (checked by the caller) in one transaction: all of them or none.

        A facility-period may appear once in a batch (:class:`ValueError` otherwise). The current
        reports are read in one query per batch of facilities, the new ones written in one
        multi-row insert, and the replaced ones marked in one statement: a file of 50,000 rows is
        one round of reads and writes, not 50,000.
        """
        keys = [(str(r["facility_id"]), str(r["period"]), r["period_start"]) for r in reports]
        if len(set(keys)) != len(keys):
            raise ValueError("a facility-period appears twice in one batch")
        at = _dt(received_at)
        who = None if reporter is None else reporter[:200]
        with self.engine.begin() as conn:
            current = self._current_rows(conn, {k[0] for k in keys})
            fresh: list[dict[str, Any]] = []
            old_ids: list[int | None] = []
            unchanged = 0
            for key, rep in zip(keys, reports, strict=True):
                counts = {c: rep.get(c) for c in COUNT_COLUMNS}
                now_kept = current.get(key)
                if now_kept is not None and all(getattr(now_kept, c) == counts[c] for c in COUNT_COLUMNS):
                    unchanged += 1
                    continue
                fresh.append({"facility_id": key[0], "period": key[1], "period_start": key[2], **counts,
                              "received_at": at, "source": source[:50], "reporter": who})  # fmt: skip
                old_ids.append(None if now_kept is None else int(now_kept.id))
            new_ids: list[int] = []
            if fresh:
                stmt = insert(OutcomeReportRow).returning(OutcomeReportRow.id, sort_by_parameter_order=True)
                new_ids = [int(i) for i in conn.execute(stmt, fresh).scalars()]
            pairs = [
                {"old": old, "new": new} for old, new in zip(old_ids, new_ids, strict=True) if old is not None
            ]
            if pairs:
                table = cast(Table, OutcomeReportRow.__table__)
                conn.execute(
                    update(table).where(table.c.id == bindparam("old"))
                    .values(superseded_at=at, superseded_by=bindparam("new")),
                    pairs,
                )  # fmt: skip
        return PutResult(len(fresh) - len(pairs), len(pairs), unchanged)

    @staticmethod
    def _current_rows(conn: Connection, facilities: set[str]) -> dict[tuple[str, str, Any], Any]:
        """The current report of every facility-period of these facilities, by key."""
        m = OutcomeReportRow
        out: dict[tuple[str, str, Any], Any] = {}
        ids = sorted(facilities)
        for i in range(0, len(ids), 500):  # bound the IN list
            stmt = select(m).where(m.facility_id.in_(ids[i : i + 500]), m.superseded_at.is_(None))
            for row in conn.execute(stmt):
                out[(row.facility_id, row.period, row.period_start)] = row
        return out

    def current(
        self,
        facility_id: str | None = None,
        period: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[StoredReport]:
        """The current report of each facility-period (optionally of one facility, one kind of
        period, with ``since <= period_start <= until``), by facility then period."""
        m = OutcomeReportRow
        first = (
            select(m.facility_id, m.period, m.period_start, func.min(m.received_at).label("first"))
            .group_by(m.facility_id, m.period, m.period_start)
            .subquery()
        )
        stmt = (
            select(m, first.c.first)
            .join(
                first,
                (first.c.facility_id == m.facility_id)
                & (first.c.period == m.period)
                & (first.c.period_start == m.period_start),
            )
            .where(m.superseded_at.is_(None))
            .order_by(m.facility_id, m.period, m.period_start)
        )
        if facility_id is not None:
            stmt = stmt.where(m.facility_id == facility_id)
        if period is not None:
            stmt = stmt.where(m.period == period)
        if since is not None:
            stmt = stmt.where(m.period_start >= since)
        if until is not None:
            stmt = stmt.where(m.period_start <= until)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        out = []
        for r in rows:  # rows of columns (Core), read by name
            first_at = r.first
            if isinstance(first_at, str):  # SQLite hands an aggregate back as text, untyped
                first_at = dt.datetime.fromisoformat(first_at)
            if not isinstance(first_at, dt.datetime):
                first_at = r.received_at
            if first_at.tzinfo is None:
                first_at = first_at.replace(tzinfo=dt.UTC)
            out.append(self._stored(r, first_at.timestamp()))
        return out

    def history(self, facility_id: str, period: str, period_start: dt.date) -> list[StoredReport]:
        """Every report of one facility-period, oldest first (the last is the current one)."""
        m = OutcomeReportRow
        same = (m.facility_id == facility_id, m.period == period, m.period_start == period_start)
        stmt = select(m).where(*same).order_by(m.id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        first = rows[0].received_at.timestamp() if rows else 0.0
        return [self._stored(r, first) for r in rows]

    @staticmethod
    def _stored(r: Any, first: float) -> StoredReport:
        fields = {c: getattr(r, c) for c in (*KEY_COLUMNS, *COUNT_COLUMNS)}
        return StoredReport(r.id, fields, r.received_at.timestamp(), first, r.source, r.reporter,
                            _ts(r.superseded_at))  # fmt: skip

    # -- alarms --------------------------------------------------------------------------------

    def add_alarms(self, alarms: Iterable[Mapping[str, Any]], created_at: float) -> list[StoredAlarm]:
        """Keep alarms not kept before (by ``key``); returns the new ones. A known alarm keeps its
        review: finding the same rise again does not reopen what a coordinator closed."""
        at = _dt(created_at)
        new_keys: list[str] = []
        with self.engine.begin() as conn:
            for a in alarms:
                exists = conn.execute(
                    select(OutcomeAlarmRow.id).where(OutcomeAlarmRow.key == a["key"])
                ).first()
                if exists is not None:
                    continue
                conn.execute(insert(OutcomeAlarmRow), [{**a, "created_at": at, "status": "new"}])
                new_keys.append(str(a["key"]))
        return [a for a in self.alarms() if a.key in set(new_keys)]

    def alarms(
        self, status: str | None = None, facility_id: str | None = None, limit: int = 1000
    ) -> list[StoredAlarm]:
        """Alarms, the latest period first (optionally of one status or facility)."""
        m = OutcomeAlarmRow
        stmt = select(m).order_by(m.period_start.desc(), m.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(m.status == status)
        if facility_id is not None:
            stmt = stmt.where(m.facility_id == facility_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [self._alarm(r) for r in rows]

    def alarm(self, alarm_id: int) -> StoredAlarm:
        """One alarm; :class:`AlarmNotFound` if there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(OutcomeAlarmRow).where(OutcomeAlarmRow.id == alarm_id)).first()
        if row is None:
            raise AlarmNotFound(f"no alarm {alarm_id}")
        return self._alarm(row)

    def review(self, alarm_id: int, status: str, by: str, at: float, note: str | None = None) -> StoredAlarm:
        """Set an alarm's status (checked by the caller), who set it, when and why."""
        if status not in ALARM_STATUSES:
            raise ValueError(f"unknown alarm status {status!r}")
        with self.engine.begin() as conn:
            done = conn.execute(
                update(OutcomeAlarmRow).where(OutcomeAlarmRow.id == alarm_id)
                .values(status=status, status_by=by[:200], status_at=_dt(at),
                        note=None if note is None else note[:2000])
            ).rowcount  # fmt: skip
        if not done:
            raise AlarmNotFound(f"no alarm {alarm_id}")
        return self.alarm(alarm_id)

    def mark_notified(self, alarm_ids: Sequence[int], at: float) -> None:
        """Record that these alarms were handed to the coordinators' channels."""
        if not alarm_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(update(OutcomeAlarmRow).where(OutcomeAlarmRow.id.in_(list(alarm_ids)))
                         .values(notified_at=_dt(at)))  # fmt: skip

    @staticmethod
    def _alarm(r: Any) -> StoredAlarm:
        return StoredAlarm(
            r.id, r.key, r.facility_id, r.indicator, r.period, r.period_start, r.method, r.observed,
            r.expected, r.threshold, r.completeness, r.flagged, list(r.nearby), r.created_at.timestamp(),
            r.status, r.status_by, _ts(r.status_at), r.note, _ts(r.notified_at),
        )  # fmt: skip
