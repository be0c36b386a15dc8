"""People's subscriptions and scheduled test alarms, kept in the store's database.

::

    book = SubscriptionBook(Store.open(url).engine)
    book.add(Subscription("u1", "sms", "+963933000001", "ar", sites=("idlib",)), by="cli")
    book.all()                      # every subscription, for the live service's spatial index
    book.remove("u1")

The live service rebuilds its index when :meth:`SubscriptionBook.revision`
changes, so subscriptions added or removed by ``nadhir subscriptions`` or the
HTTP API while it runs take effect within seconds. Test alarms are listed by
:class:`TestAlarmBook`; their deliveries live in the outbox.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from nadhir.domain.people import Subscription
from nadhir.domain.timefmt import utc_datetime
from nadhir.store.people_models import SubscriptionRow, TestAlarmRow

_CHUNK = 5000


class SubscriptionExists(ValueError):
    """A subscription with this id is already stored."""


def _dt(t: float) -> datetime:
    return utc_datetime(t)


def new_subscription_id() -> str:
    """A fresh subscription id (``sub-`` and 12 hex digits)."""
    return f"sub-{secrets.token_hex(6)}"


def _row(sub: Subscription, now: float, by: str | None) -> dict[str, object]:
    return {
        "key": sub.id, "channel": sub.channel, "address": sub.address, "lang": sub.lang,
        "sites": list(sub.sites), "lat": sub.lat, "lon": sub.lon, "radius_m": sub.radius_m,
        "created_at": _dt(now), "created_by": by,
    }  # fmt: skip


def _subscription(key: str, channel: str, address: str, lang: str, sites: Sequence[str] | None,
                  lat: float | None, lon: float | None, radius_m: float | None) -> Subscription:  # fmt: skip
    return Subscription(key, channel, address, lang, tuple(sites or ()), lat, lon, radius_m)  # type: ignore[arg-type]


_COLUMNS = (
    SubscriptionRow.key, SubscriptionRow.channel, SubscriptionRow.address, SubscriptionRow.lang,
    SubscriptionRow.sites, SubscriptionRow.lat, SubscriptionRow.lon, SubscriptionRow.radius_m,
)  # fmt: skip


class SubscriptionBook:
    """The subscriptions table. Thread-safe (each call has its own connection)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, sub: Subscription, *, by: str | None = None, now: float | None = None) -> Subscription:
        """Store one subscription; raises :class:`SubscriptionExists` if its id is taken."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(SubscriptionRow), [_row(sub, time.time() if now is None else now, by)])
        except IntegrityError as exc:
            raise SubscriptionExists(f"subscription {sub.id!r} already exists") from exc
        return sub

    def add_many(self, subs: Iterable[Subscription], *, by: str | None = None) -> tuple[int, list[str]]:
        """Store subscriptions whose ids are new; returns how many were stored and the ids already taken."""
        now = time.time()
        items = list(subs)
        taken: list[str] = []
        stored = 0
        with self.engine.begin() as conn:
            for i in range(0, len(items), _CHUNK):
                chunk = items[i : i + _CHUNK]
                have = set(conn.execute(select(SubscriptionRow.key).where(
                    SubscriptionRow.key.in_([s.id for s in chunk]))).scalars())  # fmt: skip
                fresh: dict[str, Subscription] = {}
                for s in chunk:
                    if s.id in have or s.id in fresh:
                        taken.append(s.id)
                    else:
                        fresh[s.id] = s
                if fresh:
                    conn.execute(insert(SubscriptionRow), [_row(s, now, by) for s in fresh.values()])
                    stored += len(fresh)
        return stored, taken

    def remove(self, key: str) -> bool:
        """Delete a subscription by its id; False if there was none."""
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(SubscriptionRow).where(SubscriptionRow.key == key)).rowcount)

    def remove_address(self, channel: str, address: str) -> int:
        """Delete every subscription of one phone number or chat (someone who wants no more alerts)."""
        with self.engine.begin() as conn:
            stmt = delete(SubscriptionRow).where(
                SubscriptionRow.channel == channel, SubscriptionRow.address == address
            )
            return int(conn.execute(stmt).rowcount or 0)

    def get(self, key: str) -> Subscription | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(SubscriptionRow.key == key)).first()
        return None if row is None else _subscription(*row)

    def find(self, *, site: str | None = None, channel: str | None = None, address: str | None = None,
             limit: int | None = None) -> list[Subscription]:  # fmt: skip
        """Subscriptions in the order they were made, filtered by channel, address or site
        (a site filter matches subscriptions that name the site; point subscriptions are not
        resolved here)."""
        stmt = select(*_COLUMNS).order_by(SubscriptionRow.id)
        if channel is not None:
            stmt = stmt.where(SubscriptionRow.channel == channel)
        if address is not None:
            stmt = stmt.where(SubscriptionRow.address == address)
        out: list[Subscription] = []
        with self.engine.connect() as conn:
            for row in conn.execute(stmt):
                sub = _subscription(*row)
                if site is not None and site not in sub.sites:
                    continue
                out.append(sub)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def all(self) -> list[Subscription]:
        """Every subscription (rows that no longer make a valid subscription are left out)."""
        out: list[Subscription] = []
        with self.engine.connect() as conn:
            for row in conn.execute(select(*_COLUMNS).order_by(SubscriptionRow.id)):
                try:
                    out.append(_subscription(*row))
                except ValueError:
                    continue  # written by hand into the table; add() never stores such a row
        return out

    def revision(self) -> tuple[int, int]:
        """Changes whenever a subscription is added or removed: (how many, highest row id)."""
        with self.engine.connect() as conn:
            n, top = conn.execute(select(func.count(), func.max(SubscriptionRow.id))).one()
        return int(n), int(top or 0)


@dataclass(frozen=True, slots=True)
class TestAlarmInfo:
    """A scheduled test alarm as stored; times are POSIX seconds."""

    __test__ = False  # not a pytest test class

    key: str
    at: float
    duration_s: int
    sites: tuple[str, ...]
    created_at: float
    created_by: str | None
    sirens: int
    announcements: int
    cancelled_at: float | None


class TestAlarmBook:
    """The test_alarms table (the deliveries themselves are in the outbox, under the alarm's key)."""

    __test__ = False

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def insert(conn: Connection, info: TestAlarmInfo) -> bool:
        """Add a test alarm in the caller's transaction; False if one with this key exists."""
        if conn.execute(select(TestAlarmRow.id).where(TestAlarmRow.key == info.key)).first() is not None:
            return False
        conn.execute(insert(TestAlarmRow), [{
            "key": info.key, "at": _dt(info.at), "duration_s": info.duration_s, "sites": list(info.sites),
            "created_at": _dt(info.created_at), "created_by": info.created_by, "sirens": info.sirens,
            "announcements": info.announcements, "cancelled_at": None,
        }])  # fmt: skip
        return True

    def scheduled(self, *, upcoming_after: float | None = None) -> list[TestAlarmInfo]:
        """Test alarms by time (those at or after ``upcoming_after`` only, if given)."""
        t = TestAlarmRow
        stmt = select(t.key, t.at, t.duration_s, t.sites, t.created_at, t.created_by, t.sirens,
                      t.announcements, t.cancelled_at).order_by(t.at, t.id)  # fmt: skip
        if upcoming_after is not None:
            stmt = stmt.where(t.at >= _dt(upcoming_after))
        with self.engine.connect() as conn:
            return [
                TestAlarmInfo(
                    r.key,
                    r.at.timestamp(),
                    r.duration_s,
                    tuple(r.sites),
                    r.created_at.timestamp(),
                    r.created_by,
                    r.sirens,
                    r.announcements,
                    None if r.cancelled_at is None else r.cancelled_at.timestamp(),
                )
                for r in conn.execute(stmt)
            ]

    def mark_cancelled(self, key: str, now: float | None = None) -> bool:
        """Record that a test alarm was called off; False if there is no such (uncancelled) alarm."""
        at = _dt(time.time() if now is None else now)
        with self.engine.begin() as conn:
            stmt = update(TestAlarmRow).where(TestAlarmRow.key == key, TestAlarmRow.cancelled_at.is_(None))
            return bool(conn.execute(stmt.values(cancelled_at=at)).rowcount)
