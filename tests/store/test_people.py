"""Subscriptions and test alarms kept in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_store import db_url  # noqa: F401  (the sqlite / postgresql fixture)

from nadhir.delivery.outbox import Outbox
from nadhir.delivery.states import NewDelivery
from nadhir.domain.people import Subscription
from nadhir.store import Store
from nadhir.store.people import (
    SubscriptionBook,
    SubscriptionExists,
    TestAlarmBook,
    TestAlarmInfo,
    new_subscription_id,
)

T0 = 1_746_155_144.0


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:  # noqa: F811
    s = Store.open(db_url)
    try:
        yield s
    finally:
        s.close()


def test_subscriptions_are_added_found_and_removed(store: Store) -> None:
    book = SubscriptionBook(store.engine)
    assert book.revision() == (0, 0) and book.all() == []
    a = Subscription("a", "sms", "+963933000001", "ar", sites=("idlib", "saraqeb"))
    b = Subscription("b", "telegram", "1001", "en", lat=35.9, lon=36.6, radius_m=5000.0)
    book.add(a, by="test")
    book.add(b)
    assert book.all() == [a, b] and book.get("b") == b and book.get("zz") is None
    with pytest.raises(SubscriptionExists, match="'a' already exists"):
        book.add(a)
    assert book.find(site="saraqeb") == [a]
    assert book.find(channel="telegram") == [b] and book.find(address="+963933000001") == [a]
    assert book.find(limit=1) == [a]
    first = book.revision()
    stored, taken = book.add_many([Subscription("c", "sms", "+963933000001", sites=("ariha",)), a, b])
    assert (stored, taken) == (1, ["a", "b"])
    assert book.revision() != first
    assert book.remove_address("sms", "+963933000001") == 2
    assert not book.remove("a") and book.remove("b")
    assert book.all() == [] and book.revision()[0] == 0
    assert new_subscription_id() != new_subscription_id()


def test_test_alarm_row_is_stored_with_its_deliveries_or_not_at_all(db_url: str) -> None:  # noqa: F811
    outbox = Outbox.open(db_url)
    try:
        info = TestAlarmInfo("test-x", T0 + 3600, 15, ("idlib",), T0, "olga", 1, 0, None)
        planned = [NewDelivery("siren", "s1", "test-x-s1", "CMD ...", T0 + 3900, not_before=T0 + 3600)]
        assert outbox.add_deliveries(planned, also=lambda conn: TestAlarmBook.insert(conn, info)) == 1
        book = TestAlarmBook(outbox.engine)
        assert book.scheduled() == [info]
        assert book.scheduled(upcoming_after=T0 + 3601) == []

        def broken(conn: object) -> None:
            TestAlarmBook.insert(conn, TestAlarmInfo("test-y", T0, 15, ("idlib",), T0, None, 1, 0, None))  # type: ignore[arg-type]
            raise RuntimeError("crash between the row and the deliveries")

        with pytest.raises(RuntimeError):
            outbox.add_deliveries([NewDelivery("siren", "s1", "test-y-s1", "CMD", T0 + 300)], also=broken)
        assert [a.key for a in book.scheduled()] == ["test-x"]  # nothing of test-y was kept
        assert [d.key for d in outbox.deliveries()] == ["test-x-s1"]
        assert book.mark_cancelled("test-x", T0 + 10) and not book.mark_cancelled("test-x")
        assert outbox.cancel("test-x-", "called off", T0 + 10) == 1
        assert [d.state for d in outbox.deliveries()] == ["cancelled"]
        assert [e.event for e in outbox.audit("test-x-s1")] == ["stored", "cancelled"]
        assert book.scheduled()[0].cancelled_at == T0 + 10
    finally:
        outbox.close()
