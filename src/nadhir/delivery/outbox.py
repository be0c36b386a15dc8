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

A :class:`Dispatcher` claims with a lease: what it claimed is held from
other workers for as long as sending the batch takes (a few times the last
batches' sending time, and at least one backoff), and each delivery's retry
time is then counted from when it left (or failed). Without the lease, a batch
still being sent when its first backoff ran out was claimed and sent again by
another worker. A batch that outlasts its lease all the same (a partner that
stalls) is renewed (:meth:`Outbox.renew`, from the dispatcher's
:class:`~nadhir.delivery.leases.LeaseKeeper`) until its outcomes are committed.

On SQLite, dispatchers must not share a channel (each claims only its own
channels, so a siren sender and a people sender can run side by side); on
PostgreSQL several may share one, since claims use ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Connection, Engine

from nadhir.delivery.states import (
    _DONE_STATE,
    OPEN_STATES,
    AuditEntry,
    Backoff,
    Delivery,
    DeliveryInfo,
    DeliveryState,
    NewDelivery,
    Outcome,
    alert_key,
    deliverable,
)
from nadhir.domain import Alert
from nadhir.domain.timefmt import utc_datetime
from nadhir.store.outbox_models import OutboxAlertRow, OutboxAuditRow, OutboxDeliveryRow
from nadhir.store.store import Store

log = logging.getLogger(__name__)


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
        # Rescheduling a delivery is fenced by its attempt count: a worker whose claim ran out (and
        # another worker claimed the delivery again) must not move the other worker's hold.
        where_mine = f"WHERE {q('id')} = {p} AND {q('attempts')} = {p} AND {q('state')} IN ({open_states})"
        self.error = f"UPDATE {d} SET {q('last_error')} = {p}, {q('next_attempt_at')} = {p} {where_mine}"
        self.sent = f"UPDATE {d} SET {q('next_attempt_at')} = {p} {where_mine}"
        self.renew = (
            f"UPDATE {d} SET {q('next_attempt_at')} = {p} {where_mine} AND {q('next_attempt_at')} < {p}"
        )
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
        with self._durable() as conn:
            return self._store_one(conn, alert, list(deliveries), cap, self.clock())

    def store_alerts(self, items: Sequence[tuple[Alert, Sequence[NewDelivery], str | None]]) -> list[int]:
        """Several alerts with their deliveries (and CAP messages) in one transaction, in order; their
        row ids. A cluster engine stores each read of its stream this way (one commit, not two per
        alert). As :meth:`store_alert`, storing an alert again adds only its new deliveries."""
        now = self.clock()
        with self._durable() as conn:
            return [self._store_one(conn, a, list(ds), cap, now) for a, ds, cap in items]

    def _store_one(self, conn: Connection, alert: Alert, items: list[NewDelivery], cap: str | None,
                   now: float) -> int:  # fmt: skip
        alert = deliverable(alert)
        key = alert_key(alert)
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
              channels: Sequence[str] | None = None, lease_s: float | None = None,
              sent: Sequence[tuple[Delivery, float]] = ()) -> list[Delivery]:  # fmt: skip
        """:meth:`settle`, :meth:`mark_sent` and :meth:`claim`, in one transaction.

        With ``lease_s``, what is claimed is held for that long if it is longer than the backoff (no
        other worker claims it meanwhile): long enough to send the batch, whose retry time is then
        counted from when each delivery left (``sent``, in the next cycle) or failed (an ``error``
        outcome).
        Without a lease, a delivery claimed by one worker and still being sent when its backoff ran
        out would be claimed and sent again by another.
        """
        now = self.clock() if now is None else now
        at = _dt(now)
        with self.engine.begin() as conn:
            if outcomes:
                self._settle(conn, outcomes, at, known or {})
            if sent:
                self._mark_sent(conn, sent)
            return self._claim(conn, limit, now, at, channels, lease_s) if limit > 0 else []

    def mark_sent(self, sent: Sequence[tuple[Delivery, float]]) -> None:
        """Deliveries sent (each with when it left) and waiting for an acknowledgement: due again one
        backoff after they left, unless acknowledged first."""
        if sent:
            with self.engine.begin() as conn:
                self._mark_sent(conn, sent)

    def _mark_sent(self, conn: Connection, sent: Sequence[tuple[Delivery, float]]) -> None:
        bind, delay = self._bind_time, self.backoff.delay
        conn.exec_driver_sql(
            self._sql.sent, [(bind(_dt(t + delay(d.attempt, self._rng))), d.id, d.attempt) for d, t in sent]
        )

    def renew(self, claims: Sequence[Delivery], until: float) -> None:
        """Hold claimed deliveries from other workers until ``until`` (POSIX seconds): those still open
        on the attempt that was claimed and not yet held that long. A worker renews its claim while
        the claim's fate (sent, answered) is not yet committed, so that its lease never runs out
        under a batch that is slow to send: another worker would send it again."""
        if claims:
            u = self._bind_time(_dt(until))
            with self.engine.begin() as conn:
                rows = sorted((d.id, d.attempt) for d in claims)  # one lock order for every worker
                conn.exec_driver_sql(self._sql.renew, [(u, i, a, u) for i, a in rows])

    def _claim(self, conn: Connection, limit: int, now: float, at: datetime,
               channels: Sequence[str] | None, lease_s: float | None = None) -> list[Delivery]:  # fmt: skip
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
            hold = self.backoff.delay(attempt, self._rng)
            if lease_s is not None and lease_s > hold:
                hold = lease_s
            nxt = bind(_dt(now + hold))
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
            if o.kind == "error":  # due again one backoff after the failure
                due = _dt(at.timestamp() + self.backoff.delay(row[1], self._rng))
                errors.append((detail, self._bind_time(due), row[0], row[1]))
            else:
                handled.add(o.key)
                err = detail if o.kind in ("failed", "expired", "cancelled") else None
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
