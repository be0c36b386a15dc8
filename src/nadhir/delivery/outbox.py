"""The durable outbox: alerts are stored before any send, and every delivery is retried until it is done.

::

    outbox = Outbox.open("sqlite:///out/nadhir.sqlite3")          # or postgresql+psycopg://...
    outbox.store_alert(alert, deliveries)                        # one transaction, before any send
    dispatcher = Dispatcher(outbox, {"siren": SirenChannel(network), "sms": sms, ...})
    network.on_ack = dispatcher.on_siren_ack                     # siren ACKs settle deliveries
    dispatcher.run(stop_event)

A delivery is one message to one recipient on one channel, with an
idempotency key that stays the same on every attempt. Its life:

``pending`` --claim--> ``sent`` --ack--> ``acked``
                         |  \\--no ack by the next attempt time--> claimed again (backoff doubles)
                         |--permanent error--> ``failed``
                         \\--past its expiry when due--> ``expired``

Claiming commits the attempt (count, time, next attempt time) *before* the
message leaves, so a crash at any point loses nothing: after a restart the
delivery is due again and is re-sent with the same key, and the receiver
(a siren keeps the keys it has played; a webhook partner checks the key
header) drops the duplicate. The ``outbox_audit`` table records every
step: stored, attempt, acked, duplicate, error, failed, expired.

On SQLite, dispatchers must not share a channel (each claims only its own
channels, so a siren sender and a people sender can run side by side); on
PostgreSQL several may share one, since claims use ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import math
import queue
import random
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Literal, Protocol

from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Connection, Engine

from nadhir.alerting.cap import CapComposer, render
from nadhir.alerting.text import Language
from nadhir.delivery.sirens import (
    LineError,
    Siren,
    SirenAck,
    SirenCommand,
    SirenFleet,
    SirenNetwork,
    SirenNotice,
    command_for,
    parse_broker,
    parse_line,
    pattern_for,
    sirens_for_sites,
)
from nadhir.domain import Alert, Problems, Site
from nadhir.domain.formats.scenario import ScenarioError, load_sites
from nadhir.domain.timefmt import MAX_TIME, utc_datetime
from nadhir.store.outbox_models import OutboxAlertRow, OutboxAuditRow, OutboxDeliveryRow
from nadhir.store.store import Store

log = logging.getLogger(__name__)

DeliveryState = Literal["pending", "sent", "acked", "failed", "expired", "cancelled"]
OPEN_STATES: tuple[DeliveryState, ...] = ("pending", "sent")
OutcomeKind = Literal["acked", "duplicate", "error", "failed", "expired"]
_CHUNK = 500


def _sqlite_normal_sync(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    # No checkpoint inside a commit (it would stall the commit that happens to cross the WAL
    # threshold, often the one of an alert about to go out); Outbox.checkpoint() runs them.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _dt(t: float) -> datetime:
    return utc_datetime(t)  # clamped: no time, however absurd, stops an alert being stored


def deliverable(alert: Alert) -> Alert:
    """The alert with times every channel can write, or ValueError if it has no time of its own.

    An arrival time that is not a number is dropped (the alert goes out without one); one beyond
    the dates a message can carry is held at the last of them (:data:`~nadhir.domain.timefmt.MAX_TIME`),
    one before the POSIX epoch at the epoch (nothing here happened before it). The policy's
    decision (site, level, action) is never changed: only how its times are written.
    """
    if not math.isfinite(alert.t):
        raise ValueError(f"alert for {alert.site!r} has no valid time ({alert.t!r})")
    eta = alert.eta
    if eta is None or 0.0 <= eta <= MAX_TIME:
        return alert
    return replace(alert, eta=None if math.isnan(eta) else min(MAX_TIME, max(0.0, eta)))


def alert_key(alert: Alert) -> str:
    """The stable identity of an alert (storing the same alert twice stores it once)."""
    raw = f"{alert.site}|{alert.t!r}|{alert.action}|{alert.level}|{alert.threat}|{alert.track}"
    return "alert-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay after attempt ``n`` before the next: ``initial * factor**(n-1)``, capped, with jitter."""

    initial_s: float = 1.0
    factor: float = 2.0
    max_s: float = 60.0
    jitter: float = 0.1  # +- this share, so that many retries do not arrive together

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        base = min(self.max_s, self.initial_s * self.factor ** max(0, attempt - 1))
        if self.jitter <= 0:
            return base
        r = (rng or random).uniform(-self.jitter, self.jitter)
        return base * (1.0 + r)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to store: channel, recipient, idempotency key, payload, when to give up (and not to
    start before, for scheduled messages such as test alarms)."""

    channel: str
    target: str
    key: str
    payload: str
    expires: float  # POSIX seconds
    not_before: float | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed delivery, ready to send (``attempt`` counts this attempt)."""

    id: int
    key: str
    channel: str
    target: str
    payload: str
    attempt: int
    expires: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a delivery: acked, duplicate (acked before), error (retry), failed, expired."""

    key: str
    kind: OutcomeKind
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """A delivery as stored, for inspection."""

    key: str
    channel: str
    target: str
    state: DeliveryState
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    key: str
    at: float
    event: str
    attempt: int
    detail: str | None


_DONE_STATE: dict[OutcomeKind, DeliveryState] = {
    "acked": "acked",
    "duplicate": "acked",
    "failed": "failed",
    "expired": "expired",
}


class _HotSql:
    """The statements run once per delivery, as plain SQL for ``executemany``.

    Claims and acknowledgements touch every delivery several times; compiled
    SQLAlchemy statements spend more time building parameters than the
    database spends writing them. Times are bound with the columns' own bind
    processor, so that they are stored exactly as the ORM stores them.
    """

    def __init__(self, dialect: Any) -> None:
        q = dialect.identifier_preparer.quote
        p = "?" if dialect.paramstyle == "qmark" else "%s"
        d, a = q(OutboxDeliveryRow.__tablename__), q(OutboxAuditRow.__tablename__)
        open_states = ", ".join(f"'{s}'" for s in OPEN_STATES)
        self.claim = (
            f"UPDATE {d} SET {q('state')} = 'sent', {q('attempts')} = {p}, {q('last_attempt_at')} = {p}, "
            f"{q('next_attempt_at')} = {p} WHERE {q('id')} = {p}"
        )
        self.finish = (
            f"UPDATE {d} SET {q('state')} = {p}, {q('done_at')} = {p}, {q('last_error')} = {p} "
            f"WHERE {q('id')} = {p} AND {q('state')} IN ({open_states})"
        )
        self.error = f"UPDATE {d} SET {q('last_error')} = {p} WHERE {q('id')} = {p}"
        columns = ", ".join(q(c) for c in ("delivery_id", "key", "at", "event", "attempt", "detail"))
        self.audit = f"INSERT INTO {a} ({columns}) VALUES ({', '.join([p] * 6)})"


class Outbox:
    """Alerts and their deliveries in the store's database (SQLite or PostgreSQL). Thread-safe."""

    def __init__(self, engine: Engine, *, backoff: Backoff | None = None,
                 clock: Callable[[], float] = time.time, seed: int | None = None) -> None:  # fmt: skip
        self.engine = engine
        self.backoff = backoff or Backoff()
        self.clock = clock
        self._rng = random.Random(seed)
        self._postgres = engine.dialect.name == "postgresql"
        self._sql = _HotSql(engine.dialect)
        time_bind = OutboxDeliveryRow.__table__.c.next_attempt_at.type.bind_processor(engine.dialect)
        self._bind_time: Callable[[datetime], Any] = time_bind if time_bind is not None else (lambda v: v)

    @classmethod
    def open(cls, url: str, **kwargs: Any) -> Outbox:
        """Connect to ``url`` (migrating it to the newest schema) and return its outbox.

        On SQLite (WAL journal), claims and acknowledgements are committed with
        ``synchronous=NORMAL``: safe against a crash of the process, and on a
        power cut at worst the last few are replayed (a re-send, dropped by its
        key). Storing an alert is always committed with ``synchronous=FULL``.
        """
        engine = Store.open(url).engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_normal_sync)
            engine.dispose()  # connections made while migrating do not have the setting
        return cls(engine, **kwargs)

    def close(self) -> None:
        self.checkpoint()
        self.engine.dispose()

    def checkpoint(self) -> None:
        """Copy the SQLite write-ahead log into the database, off the sending path (no-op elsewhere).

        The :class:`Dispatcher` calls this when it is idle, and at least every
        ``checkpoint_s`` seconds when it is not.
        """
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            conn.commit()

    # ---- storing ------------------------------------------------------------

    def store_alert(self, alert: Alert, deliveries: Iterable[NewDelivery], *, cap: str | None = None) -> int:
        """Store an alert and its deliveries in one transaction; returns the alert's row id.

        Storing the same alert again (same :func:`alert_key`) adds only the
        deliveries whose keys are new.
        """
        now = self.clock()
        alert = deliverable(alert)
        key = alert_key(alert)
        items = list(deliveries)
        with self._durable() as conn:
            row = conn.execute(select(OutboxAlertRow.id).where(OutboxAlertRow.key == key)).first()
            if row is not None:
                alert_id = int(row[0])
            else:
                alert_id = int(
                    conn.execute(
                        insert(OutboxAlertRow).returning(OutboxAlertRow.id),
                        {
                            "key": key, "t": _dt(alert.t), "action": alert.action, "site": alert.site,
                            "level": alert.level, "threat": alert.threat,
                            "eta": None if alert.eta is None else _dt(alert.eta),
                            "confidence": alert.confidence, "track": alert.track,
                            "stored_at": _dt(now), "cap": cap,
                        },
                    ).scalar_one()
                )  # fmt: skip
            self._insert_deliveries(conn, items, alert_id, now)
        return alert_id

    def add_deliveries(
        self, deliveries: Iterable[NewDelivery], *, also: Callable[[Connection], object] | None = None
    ) -> int:
        """Store deliveries that belong to no alert (test alarms, takeovers); returns how many were new.

        ``also(connection)`` runs in the same transaction (a test alarm's own row is stored with its
        deliveries, or neither is).
        """
        with self._durable() as conn:
            if also is not None:
                also(conn)
            return self._insert_deliveries(conn, list(deliveries), None, self.clock())

    @contextlib.contextmanager
    def _durable(self) -> Iterator[Connection]:
        """A transaction whose commit is synced to disk (``synchronous=FULL`` on SQLite)."""
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.commit()
            try:
                with conn.begin():
                    yield conn
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                    conn.commit()

    def _insert_deliveries(
        self, conn: Any, items: list[NewDelivery], alert_id: int | None, now: float
    ) -> int:
        if not items:
            return 0
        seen: set[str] = set()
        for chunk in _chunks([d.key for d in items]):
            seen.update(
                conn.execute(select(OutboxDeliveryRow.key).where(OutboxDeliveryRow.key.in_(chunk))).scalars()
            )
        fresh: list[NewDelivery] = []
        for d in items:
            if d.key not in seen:
                seen.add(d.key)
                fresh.append(d)
        if not fresh:
            return 0
        at = _dt(now)
        rows = [
            {
                "alert_id": alert_id, "key": d.key, "channel": d.channel, "target": d.target,
                "payload": d.payload, "state": "pending", "attempts": 0, "created_at": at,
                "next_attempt_at": at if d.not_before is None or d.not_before <= now else _dt(d.not_before),
                "expires_at": _dt(d.expires), "last_attempt_at": None,
                "done_at": None, "last_error": None,
            }
            for d in fresh
        ]  # fmt: skip
        conn.execute(insert(OutboxDeliveryRow), rows)
        ids = dict(
            conn.execute(
                select(OutboxDeliveryRow.key, OutboxDeliveryRow.id).where(
                    OutboxDeliveryRow.key.in_([d.key for d in fresh])
                )
            ).all()
        ) if len(fresh) <= _CHUNK else self._ids(conn, [d.key for d in fresh])  # fmt: skip
        conn.execute(
            insert(OutboxAuditRow),
            [{"delivery_id": ids[d.key], "key": d.key, "at": at, "event": "stored", "attempt": 0,
              "detail": f"{d.channel} -> {d.target}"} for d in fresh],
        )  # fmt: skip
        return len(fresh)

    @staticmethod
    def _ids(conn: Any, keys: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(keys):
            stmt = select(OutboxDeliveryRow.key, OutboxDeliveryRow.id).where(OutboxDeliveryRow.key.in_(chunk))
            out.update({k: int(i) for k, i in conn.execute(stmt).all()})
        return out

    # ---- claiming and settling ----------------------------------------------------

    def claim(self, limit: int = 500, now: float | None = None,
              channels: Sequence[str] | None = None) -> list[Delivery]:  # fmt: skip
        """Take up to ``limit`` due deliveries for sending, recording the attempt first.

        Deliveries found past their expiry are marked ``expired`` instead.
        With ``channels``, only deliveries on those channels are taken (a
        worker that sends siren commands leaves the SMS to the service).
        """
        return self.cycle((), limit, now=now, channels=channels)

    def settle(self, outcomes: Sequence[Outcome], now: float | None = None,
               known: Mapping[str, Delivery] | None = None) -> int:  # fmt: skip
        """Record what became of deliveries (acks, errors); returns how many open deliveries changed.

        An outcome for a delivery that is already done (a late duplicate ack)
        is ignored; an ``error`` leaves the delivery due at its next attempt
        time. ``known`` gives deliveries the caller claimed, so that they need
        not be looked up.
        """
        if not outcomes:
            return 0
        at = _dt(self.clock() if now is None else now)
        with self.engine.begin() as conn:
            return self._settle(conn, outcomes, at, known or {})

    def cycle(self, outcomes: Sequence[Outcome], limit: int, *, now: float | None = None,
              known: Mapping[str, Delivery] | None = None,
              channels: Sequence[str] | None = None) -> list[Delivery]:  # fmt: skip
        """:meth:`settle` then :meth:`claim`, in one transaction."""
        now = self.clock() if now is None else now
        at = _dt(now)
        with self.engine.begin() as conn:
            if outcomes:
                self._settle(conn, outcomes, at, known or {})
            return self._claim(conn, limit, now, at, channels) if limit > 0 else []

    def _claim(self, conn: Connection, limit: int, now: float, at: datetime,
               channels: Sequence[str] | None) -> list[Delivery]:  # fmt: skip
        d = OutboxDeliveryRow
        stmt = (
            select(d.id, d.key, d.channel, d.target, d.payload, d.attempts, d.expires_at)
            .where(d.state.in_(OPEN_STATES), d.next_attempt_at <= at)
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        if channels is not None:
            stmt = stmt.where(d.channel.in_(list(channels)))
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = conn.execute(stmt).all()
        if not rows:
            return []
        sql, bind = self._sql, self._bind_time
        at_b = bind(at)
        claimed: list[Delivery] = []
        expired: list[tuple[Any, ...]] = []
        sending: list[tuple[Any, ...]] = []
        audit: list[tuple[Any, ...]] = []
        for r in rows:
            expires = r.expires_at.timestamp()
            if expires < now:
                expired.append(("expired", at_b, "expired before delivery", r.id))
                audit.append((r.id, r.key, at_b, "expired", r.attempts, None))
                continue
            attempt = r.attempts + 1
            nxt = bind(_dt(now + self.backoff.delay(attempt, self._rng)))
            sending.append((attempt, at_b, nxt, r.id))
            audit.append((r.id, r.key, at_b, "attempt", attempt, None))
            claimed.append(Delivery(r.id, r.key, r.channel, r.target, r.payload, attempt, expires))
        if sending:
            conn.exec_driver_sql(sql.claim, sending)
        if expired:
            conn.exec_driver_sql(sql.finish, expired)
        conn.exec_driver_sql(sql.audit, audit)
        return claimed

    def _settle(self, conn: Connection, outcomes: Sequence[Outcome], at: datetime,
                known: Mapping[str, Delivery]) -> int:  # fmt: skip
        d = OutboxDeliveryRow
        current: dict[str, tuple[int, int]] = {}
        unknown = list({o.key for o in outcomes if o.key not in known})
        for chunk in _chunks(unknown):
            stmt = select(d.id, d.key, d.attempts).where(d.key.in_(chunk), d.state.in_(OPEN_STATES))
            if self._postgres:
                stmt = stmt.with_for_update()
            current.update({r.key: (r.id, r.attempts) for r in conn.execute(stmt).all()})
        at_b = self._bind_time(at)
        done: list[tuple[Any, ...]] = []
        errors: list[tuple[Any, ...]] = []
        audit: list[tuple[Any, ...]] = []
        handled: set[str] = set()
        for o in outcomes:
            if o.key in handled:
                continue
            k = known.get(o.key)
            row = (k.id, k.attempt) if k is not None else current.get(o.key)
            if row is None:
                continue
            detail = o.detail[:500] if o.detail else None
            if o.kind == "error":
                errors.append((detail, row[0]))
            else:
                handled.add(o.key)
                err = detail if o.kind in ("failed", "expired") else None
                done.append((_DONE_STATE[o.kind], at_b, err, row[0]))
            audit.append((row[0], o.key, at_b, o.kind, row[1], detail))
        if done:
            conn.exec_driver_sql(self._sql.finish, done)
        if errors:
            conn.exec_driver_sql(self._sql.error, errors)
        if audit:
            conn.exec_driver_sql(self._sql.audit, audit)
        return len(done)

    def cancel(self, prefix: str, reason: str, now: float | None = None) -> int:
        """Cancel the open deliveries whose key starts with ``prefix`` (a scheduled test alarm);
        returns how many. Each gets a ``cancelled`` audit row; a siren command already sent may
        still play (a ``stop`` would be a new command)."""
        d = OutboxDeliveryRow
        at = _dt(self.clock() if now is None else now)
        with self._durable() as conn:
            stmt = select(d.id, d.key, d.attempts).where(
                d.key.startswith(prefix, autoescape=True), d.state.in_(OPEN_STATES)
            )
            if self._postgres:
                stmt = stmt.with_for_update()
            rows = conn.execute(stmt).all()
            if not rows:
                return 0
            at_b = self._bind_time(at)
            detail = reason[:500]
            conn.exec_driver_sql(self._sql.finish, [("cancelled", at_b, detail, r.id) for r in rows])
            conn.exec_driver_sql(self._sql.audit, [(r.id, r.key, at_b, "cancelled", r.attempts, detail)
                                                   for r in rows])  # fmt: skip
        return len(rows)

    # ---- reading ----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Deliveries by state."""
        d = OutboxDeliveryRow
        with self.engine.connect() as conn:
            return {s: int(n) for s, n in conn.execute(select(d.state, func.count()).group_by(d.state)).all()}

    def open_count(self, channels: Sequence[str] | None = None) -> int:
        """Deliveries not yet acknowledged, failed or expired (on ``channels``, or all)."""
        d = OutboxDeliveryRow
        stmt = select(func.count()).where(d.state.in_(OPEN_STATES))
        if channels is not None:
            stmt = stmt.where(d.channel.in_(list(channels)))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def next_due(self, channels: Sequence[str] | None = None) -> float | None:
        """When the next open delivery (on ``channels``, or any) is due (POSIX seconds), or None."""
        d = OutboxDeliveryRow
        stmt = select(func.min(d.next_attempt_at)).where(d.state.in_(OPEN_STATES))
        if channels is not None:
            stmt = stmt.where(d.channel.in_(list(channels)))
        with self.engine.connect() as conn:
            value = conn.execute(stmt).scalar()
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return float(value.timestamp())

    def deliveries(
        self,
        state: DeliveryState | None = None,
        *,
        prefix: str | None = None,
        channel: str | None = None,
        last: int | None = None,
    ) -> list[DeliveryInfo]:
        """Deliveries as stored, oldest first: in one state, whose key starts with ``prefix``, on one
        channel; with ``last``, only the newest that many."""
        d = OutboxDeliveryRow
        stmt = select(d.id, d.key, d.channel, d.target, d.state, d.attempts, d.last_error)
        if state is not None:
            stmt = stmt.where(d.state == state)
        if prefix is not None:
            stmt = stmt.where(d.key.startswith(prefix, autoescape=True))
        if channel is not None:
            stmt = stmt.where(d.channel == channel)
        stmt = stmt.order_by(d.id.desc()).limit(last) if last is not None else stmt.order_by(d.id)
        with self.engine.connect() as conn:
            rows = [DeliveryInfo(*r[1:]) for r in conn.execute(stmt).all()]
        return rows[::-1] if last is not None else rows

    def audit(self, key: str | None = None) -> list[AuditEntry]:
        """The audit log (of one delivery, or all), oldest first."""
        a = OutboxAuditRow
        stmt = select(a.key, a.at, a.event, a.attempt, a.detail).order_by(a.id)
        if key is not None:
            stmt = stmt.where(a.key == key)
        with self.engine.connect() as conn:
            return [
                AuditEntry(r.key, r.at.timestamp(), r.event, r.attempt, r.detail) for r in conn.execute(stmt)
            ]


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---- channels and the dispatcher ------------------------------------------------------


class Channel(Protocol):
    """Sends claimed deliveries. Returns the outcomes known at once (for example an HTTP answer);
    deliveries it returns nothing for wait for an acknowledgement that comes later (a siren ACK)."""

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]: ...


class SirenChannel:
    """Siren commands over MQTT (QoS 1).

    ``settle_on="siren"`` (the default): the siren's ``ACK`` settles the
    delivery (``ok``/``dup`` -> acked, ``expired``, ``bad`` -> failed).
    ``settle_on="broker"``: the broker's PUBACK does, for receivers that do
    not answer (a bridge, a siren without acknowledgements).
    """

    def __init__(self, network: SirenNetwork, *, settle_on: Literal["siren", "broker"] = "siren") -> None:
        if settle_on not in ("siren", "broker"):
            raise ValueError(f"settle_on must be 'siren' or 'broker', not {settle_on!r}")
        self.network = network
        self.settle_on = settle_on
        self._acknowledge: Callable[[Outcome], None] | None = None
        self._mids: dict[int, str] = {}
        self._lock = threading.Lock()

    def bind(self, acknowledge: Callable[[Outcome], None]) -> None:
        """Called by the :class:`Dispatcher`: where outcomes that arrive later are handed in."""
        self._acknowledge = acknowledge
        if self.settle_on == "siren":
            self.network.on_ack = self._siren_ack
        else:
            self.network.on_published = self._published

    def _siren_ack(self, siren: str, ack: SirenAck) -> None:
        if self._acknowledge is not None:
            self._acknowledge(Outcome(ack.key, ACK_OUTCOMES[ack.status], f"siren {siren}: {ack.status}"))

    def _published(self, mid: int) -> None:
        with self._lock:
            key = self._mids.pop(mid, None)
        if key is not None and self._acknowledge is not None:
            self._acknowledge(Outcome(key, "acked", "broker PUBACK"))

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        out: list[Outcome] = []
        for d in batch:
            try:
                cmd = parse_line(d.payload)
                if not isinstance(cmd, SirenCommand):
                    raise LineError("payload is not a CMD line")
            except LineError as exc:
                out.append(Outcome(d.key, "failed", f"bad siren command: {exc}"))
                continue
            if self.settle_on == "broker":
                with self._lock:  # the PUBACK may come back on the network thread before publish returns
                    info = self.network.send(d.target, cmd, d.payload)
                    self._mids[info.mid] = d.key
            else:
                self.network.send(d.target, cmd, d.payload)
        return out


ACK_OUTCOMES: dict[str, OutcomeKind] = {
    "ok": "acked",
    "dup": "duplicate",
    "expired": "expired",
    "bad": "failed",
}


class Dispatcher:
    """Claims due deliveries, sends them through their channels and settles the outcomes, in batches."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        *,
        batch: int = 500,
        window: int = 1000,
        max_rate: float | None = None,
        on_sent: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        self.batch = batch
        self.window = window
        self.max_rate = max_rate
        self.on_sent = on_sent
        # Only deliveries on these channels are claimed: others are left to the process that has
        # them (the siren worker and the service may share one outbox).
        self._names = sorted(self.channels)
        self._acks: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        # Deliveries sent and waiting for an acknowledgement, with when they were sent: at most
        # ``window`` of them, so that a slow receiver is never buried (a broker drops QoS 1 messages
        # beyond its per-client queue) and retries are not triggered by our own queueing.
        self._waiting: dict[str, tuple[Delivery, float]] = {}
        self._ack_timeout_s = max(1.0, 2 * outbox.backoff.initial_s)
        self.wake = threading.Event()
        self.sent = 0
        self.checkpoint_s = 1.0
        self._last_checkpoint = time.monotonic()
        for channel in self.channels.values():
            bind = getattr(channel, "bind", None)
            if callable(bind):
                bind(self.acknowledge)

    def acknowledge(self, outcome: Outcome) -> None:
        """Hand in an outcome that arrived on its own (thread-safe)."""
        self._acks.put(outcome)
        self.wake.set()

    def on_siren_ack(self, siren: str, ack: SirenAck) -> None:
        """For :class:`SirenNetwork`'s ``on_ack``."""
        self.acknowledge(Outcome(ack.key, ACK_OUTCOMES[ack.status], f"siren {siren}: {ack.status}"))

    def _drain(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        while True:
            try:
                outcomes.append(self._acks.get_nowait())
            except queue.Empty:
                return outcomes

    def drain_acks(self) -> int:
        """Settle the outcomes handed in so far; returns how many deliveries they closed."""
        outcomes = self._drain()
        known = {o.key: self._waiting.pop(o.key)[0] for o in outcomes if o.key in self._waiting}
        return self.outbox.settle(outcomes, known=known) if outcomes else 0

    @property
    def waiting(self) -> int:
        """Deliveries sent by this dispatcher and not yet acknowledged."""
        return len(self._waiting)

    def step(self) -> int:
        """Settle the outcomes handed in and claim a batch (one transaction), send it; returns how many.

        Outcomes that channels give at once are settled in the next step.
        """
        outcomes = self._drain()
        known = {o.key: self._waiting.pop(o.key)[0] for o in outcomes if o.key in self._waiting}
        now = time.monotonic()
        if self._waiting:
            old = now - self._ack_timeout_s
            for key in [k for k, (_, t) in self._waiting.items() if t < old]:
                del self._waiting[key]
        room = min(self.batch, self.window - len(self._waiting))
        claimed = self.outbox.cycle(outcomes, max(room, 0), known=known, channels=self._names)
        if not claimed:
            return 0
        for d in claimed:
            self._waiting[d.key] = (d, now)
        by_channel: dict[str, list[Delivery]] = defaultdict(list)
        for d in claimed:
            by_channel[d.channel].append(d)
        answers: list[Outcome] = []
        for name, batch in by_channel.items():
            channel = self.channels.get(name)
            if channel is None:
                answers.extend(Outcome(d.key, "failed", f"no channel {name!r} configured") for d in batch)
                continue
            try:
                if self.max_rate or self.on_sent:
                    start = time.monotonic()
                    for i, d in enumerate(batch):
                        if self.max_rate:
                            pause = start + i / self.max_rate - time.monotonic()
                            if pause > 0:
                                time.sleep(pause)
                        answers.extend(channel.send([d]))
                        if self.on_sent is not None:
                            self.on_sent(d)
                else:
                    answers.extend(channel.send(batch))
            except Exception as exc:  # a channel that breaks must not stop the others; retried later
                log.exception("channel %s failed", name)
                answers.extend(Outcome(d.key, "error", f"{type(exc).__name__}: {exc}") for d in batch)
        for o in answers:
            self.acknowledge(o)
        self.sent += len(claimed)
        return len(claimed)

    def maintain(self, *, busy: bool = False) -> None:
        """Housekeeping between sends: checkpoint the database log when due (every ``checkpoint_s``
        when idle, every ten times that when ``busy``). :meth:`run` calls it; a caller that drives
        :meth:`step` itself calls it after sending."""
        due = self.checkpoint_s * (10 if busy else 1)
        if time.monotonic() - self._last_checkpoint <= due:
            return
        self._last_checkpoint = time.monotonic()
        try:
            self.outbox.checkpoint()
        except Exception:  # a failed checkpoint is retried later; it must not stop deliveries
            log.exception("checkpoint failed")

    def run(self, stop: threading.Event, *, until_idle: bool = False, poll_s: float = 0.05,
            pump: Callable[[float], None] | None = None) -> None:  # fmt: skip
        """Work until ``stop`` is set (or, with ``until_idle``, until no delivery is open).

        ``pump(timeout)`` runs the network in this same thread (for example
        :meth:`SirenNetwork.pump` of a network started with ``background=False``);
        without it, this loop sleeps until an acknowledgement wakes it.
        """

        def wait(timeout: float) -> None:
            if pump is None:
                self.wake.wait(timeout)
            elif not self.wake.is_set():
                pump(timeout)

        while not stop.is_set():
            self.wake.clear()  # before draining acks, so that none is missed
            if pump is not None:
                pump(0.0)
            if self.step():
                self.maintain(busy=True)
                continue
            self.maintain()
            if self._waiting:  # acknowledgements are on their way; retries are claimed by step()
                wait(poll_s)
                continue
            if until_idle and self.outbox.open_count(self._names) == 0:
                return
            due = self.outbox.next_due(self._names)
            pause = poll_s if due is None else min(max(0.0, due - self.outbox.clock()), poll_s * 10)
            wait(max(pause, 0.001))


# ---- from alerts to deliveries ------------------------------------------------------------------


class Recipients(Protocol):
    """The people and partners an alert goes to (see :class:`nadhir.delivery.subscriptions.PeopleRouter`)."""

    def __call__(self, alert: Alert, site: Site, cap: bytes | None) -> list[NewDelivery]: ...


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """What one alert becomes: its deliveries and its CAP message (validated), to store together."""

    deliveries: list[NewDelivery]
    cap: bytes | None

    @property
    def sirens(self) -> list[NewDelivery]:
        """The siren commands: store these first (one small transaction) so that they leave at once."""
        return [d for d in self.deliveries if d.channel == "siren"]

    @property
    def others(self) -> list[NewDelivery]:
        """People and partner deliveries (for a big fan-out, many rows): store them next."""
        return [d for d in self.deliveries if d.channel != "siren"]


class AlertRouter:
    """Decides the deliveries of each alert (fed in issue order): levels decide the channel.

    ``early`` goes to the people channels (``sms``, ``telegram``, ``webhook``
    recipients given by ``recipients``); ``imminent`` also sounds the site's
    sirens, and an all-clear (or a downgrade) is played on the sirens of an
    episode that sounded them. Sirens that the fleet knows to be silent have
    their command sent to their substitute as well. With a ``cap`` composer,
    each alert's CAP message is made (and validated) too.
    """

    def __init__(
        self,
        sites: Iterable[Site],
        *,
        fleet: SirenFleet | None = None,
        recipients: Recipients | None = None,
        cap: CapComposer | None = None,
        command_valid_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sites = {s.id: s for s in sites}
        self.fleet = fleet
        self.recipients = recipients
        self.cap = cap
        self.command_valid_s = command_valid_s
        self.clock = clock
        self._sounded: dict[str, bool] = {}
        # Parts of a plan that could not be made (logged at error level); the rest still goes out.
        self.cap_failures = 0
        self.recipient_failures = 0

    def restore(self, site_id: str, sounding: bool) -> None:
        """Take up an episode left open by an earlier run: whether its sirens were last told to sound
        (so that its all-clear is played on them). A site this router already knows keeps its state."""
        if site_id in self.sites:
            self._sounded.setdefault(site_id, sounding)

    def route(self, alert: Alert) -> list[NewDelivery]:
        """The deliveries of one alert."""
        return self.plan(alert).deliveries

    def plan(self, alert: Alert, *, at: float | None = None) -> RoutePlan:
        """The deliveries and the CAP message of one alert.

        ``at`` is when the deliveries' validity starts on the clock the receivers keep (wall time:
        a siren checks a command's expiry against its own clock, the dispatcher against the
        outbox's); by default the alert's own time, which is the same thing unless the alert was
        made on a simulated clock (the demo). Times out of range are written as
        :func:`deliverable` says. A CAP message or a people fan-out that cannot be made is logged
        at error level and counted, and the siren commands and the other deliveries still go out.
        """
        alert = deliverable(alert)
        site = self.sites.get(alert.site)
        if site is None:
            raise ValueError(f"alert for unknown site {alert.site!r}")
        issued = alert.t if at is None else at
        cap: bytes | None = None
        if self.cap is not None:
            try:
                cap = render(self.cap.compose(alert))
            except Exception:  # the sirens must not wait on a message format
                self.cap_failures += 1
                log.exception("no CAP message for the %s %s at %s; delivered without", alert.level,
                              alert.action, alert.site)  # fmt: skip
        out: list[NewDelivery] = []
        reached = self._sounded.get(site.id, False)
        pattern = pattern_for(alert, reached)
        if pattern is not None:
            for siren in site.sirens:
                targets = (
                    [siren] if self.fleet is None else self.fleet.targets(siren, self.clock()) or [siren]
                )
                for target in targets:
                    cmd = command_for(alert, target, pattern, valid_s=self.command_valid_s, issued=issued)
                    if any(d.key == cmd.key for d in out):
                        continue  # a substitute that is also one of the site's sirens sounds once
                    out.append(NewDelivery("siren", target, cmd.key, cmd.encode(), cmd.expires))
        if alert.action == "all_clear":
            self._sounded.pop(site.id, None)
        elif pattern == "imminent":
            self._sounded[site.id] = True
        elif pattern == "stop":
            self._sounded[site.id] = False
        if self.recipients is not None:
            try:
                people = self.recipients(alert, site, cap)
            except Exception:
                self.recipient_failures += 1
                log.exception("could not plan the people deliveries of the %s %s at %s", alert.level,
                              alert.action, alert.site)  # fmt: skip
                people = []
            # Recipients count expiry from the alert's time; moved to the clock the deliveries keep.
            shift = issued - alert.t
            out.extend(people if shift == 0 else [replace(d, expires=d.expires + shift) for d in people])
        return RoutePlan(out, cap)


def takeover_deliveries(notice: SirenNotice) -> list[NewDelivery]:
    """The deliveries that make the substitute of a silent siren play what it had in force."""
    return [
        NewDelivery("siren", target, cmd.key, cmd.encode(), cmd.expires) for target, cmd in notice.takeovers
    ]


def test_alarm_key(sites: Iterable[Site], at: float) -> str:
    """The key prefix of a test alarm's deliveries: its time and its sites (so that two tests at the
    same time for different sites are both kept, and the same test planned twice is stored once)."""
    stamp = utc_datetime(round(at)).strftime("%Y%m%dT%H%M%SZ")
    ids = "|".join(sorted(s.id for s in sites))
    return f"test-{stamp}-{hashlib.sha256(ids.encode()).hexdigest()[:8]}"


def plan_test_alarm(
    sites: Iterable[Site],
    at: float,
    *,
    duration_s: int = 15,
    announce_to: Iterable[tuple[str, str]] = (),
    people: Iterable[tuple[str, str, Language]] = (),
    tz: str = "Asia/Damascus",
    now: float | None = None,
) -> list[NewDelivery]:
    """A scheduled, announced siren test: the announcement goes out now, the sirens sound at ``at``.

    Every siren of the given sites gets a ``test`` command due at ``at`` (it
    may start up to 5 minutes late, never earlier); ``announce_to`` lists
    ``(channel, target)`` pairs (a Telegram channel, a partner's webhook, ...)
    that are told in Arabic and English when the test will sound and that no
    action is needed; ``people`` lists ``(channel, address, language)`` of
    subscribers, told in their language (an SMS within the segment limit).
    Keys depend only on the sites, the time and the recipient, so planning
    the same test twice stores it once.
    """
    from nadhir.alerting.text import TextConfig, test_alarm_text

    now = time.time() if now is None else now
    if at < now:
        raise ValueError("a test alarm cannot be scheduled in the past")
    if not 1 <= duration_s <= 300:
        raise ValueError("a test alarm lasts 1 to 300 seconds")
    site_list = list(sites)
    if not site_list:
        raise ValueError("a test alarm needs at least one site")
    key_base = test_alarm_key(site_list, at)
    out: list[NewDelivery] = []
    for site in site_list:
        for siren in site.sirens:
            cmd = SirenCommand(
                f"{key_base}-{siren}"[:96], "test", duration_s, math.floor(at), math.floor(at) + 300
            )
            out.append(NewDelivery("siren", siren, cmd.key, cmd.encode(), cmd.expires, not_before=at))
    cfg = TextConfig(tz=tz)
    about = {"at": round(at), "duration_s": duration_s, "sites": [s.id for s in site_list]}

    def payload(text: str) -> str:
        return json.dumps({"text": text, "test_alarm": about}, ensure_ascii=False)

    def key(channel: str, target: str) -> str:
        return f"{key_base}-announce-{hashlib.sha256(f'{channel}|{target}'.encode()).hexdigest()[:12]}"

    full = {lang: test_alarm_text(site_list, at, duration_s, lang, cfg, sms=False) for lang in ("ar", "en")}
    bilingual = payload(f"{full['ar']}\n\n{full['en']}")
    for channel, target in announce_to:
        out.append(NewDelivery(channel, target, key(channel, target), bilingual, at))
    for channel, address, lang in people:
        text = test_alarm_text(site_list, at, duration_s, lang, cfg, sms=channel == "sms")
        out.append(NewDelivery(channel, address, key(channel, address), payload(text), at))
    return out


# ---- a worker process -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nadhir.delivery.outbox --db URL --broker HOST:PORT``: deliver siren commands."""
    parser = argparse.ArgumentParser(description="Deliver the outbox's siren commands over MQTT.")
    parser.add_argument("--db", required=True, help="database URL of the outbox")
    parser.add_argument("--broker", default="127.0.0.1:1883")
    parser.add_argument("--topic-root", default="nadhir/sirens")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--max-rate", type=float, default=None, help="deliveries per second at most")
    parser.add_argument("--until-idle", action="store_true", help="exit when no delivery is open")
    parser.add_argument("--progress", action="store_true", help="print each key as it is sent")
    parser.add_argument(
        "--sites",
        type=Path,
        default=None,
        help="sites.geojson: watch its sirens; a silent one's commands go to the nearest other",
    )
    parser.add_argument("--silent-after", type=float, default=15.0, help="seconds without a heartbeat")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        host, port = parse_broker(args.broker)
        sirens: list[Siren] = []
        if args.sites is not None:
            problems = Problems()
            sirens = sirens_for_sites(load_sites(args.sites, problems))
            for p in problems.items:
                log.warning("%s:%s: %s (skipped)", p.source, p.line, p.reason)
    except (ValueError, ScenarioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outbox = Outbox.open(args.db)

    def on_notice(notice: SirenNotice) -> None:
        # Takeovers go through the outbox too: stored, retried, acknowledged, audited.
        outbox.add_deliveries(takeover_deliveries(notice))

    fleet = SirenFleet(sirens, silent_after_s=args.silent_after)
    network = SirenNetwork(host, port, fleet, root=args.topic_root, send_takeovers=False, on_notice=on_notice)
    network.start()

    def sent(d: Delivery) -> None:
        print(f"sent {d.key} {d.attempt}", flush=True)

    dispatcher = Dispatcher(outbox, {"siren": SirenChannel(network)}, batch=args.batch,
                            max_rate=args.max_rate, on_sent=sent if args.progress else None)  # fmt: skip
    stop = threading.Event()

    def _leave(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _leave)
    signal.signal(signal.SIGINT, _leave)
    try:
        dispatcher.run(stop, until_idle=args.until_idle)
    finally:
        network.stop()
        print(json.dumps({"counts": outbox.counts(), "sent": dispatcher.sent}), flush=True)
        outbox.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "AlertRouter",
    "AuditEntry",
    "Backoff",
    "Channel",
    "Delivery",
    "DeliveryInfo",
    "Dispatcher",
    "NewDelivery",
    "Outbox",
    "Outcome",
    "Recipients",
    "RoutePlan",
    "SirenChannel",
    "alert_key",
    "deliverable",
    "plan_test_alarm",
    "takeover_deliveries",
    "test_alarm_key",
]
