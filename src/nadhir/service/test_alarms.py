"""Scheduled, announced test alarms: sirens of some sites sound the ``test`` pattern at a set time.

Scheduling stores, in one transaction, the alarm's row (``test_alarms``) and
its deliveries in the outbox: one ``test`` command per siren held until the
hour, and an announcement sent at once on the people channels (the public
Telegram channels and the partners in both languages; each subscriber of the
sites in their language, an SMS within its segment limit). Every delivery is
then retried, acknowledged and audited like an alert's. Used by ``nadhir
test-alarms`` and by the operator API.

A test never sounds where a real alert is open: at its hour the live service
holds back the commands of sirens at sites under alert
(:mod:`nadhir.service.delivery`). A test asked for now (within
:data:`SOON_S`) at a site under alert is refused outright, as the operator's
kiosk test is, when the caller knows the open alerts (the API does; the
command line, another process, does not).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from nadhir.delivery.alarm_tests import plan_test_alarm, test_alarm_key
from nadhir.delivery.outbox import Outbox
from nadhir.delivery.subscriptions import SubscriberIndex
from nadhir.domain import Site
from nadhir.domain.people import Language, Subscription
from nadhir.service.people import PeopleChannels
from nadhir.store.people import TestAlarmBook, TestAlarmInfo

MAX_AHEAD_S = 90 * 24 * 3600.0  # a test more than 90 days ahead is surely a typo
SOON_S = 60.0  # a test this close is "now": refused at once where an alert is open, not held at its hour


class TestAlarmError(ValueError):
    """The test alarm cannot be scheduled or cancelled (says why)."""

    __test__ = False


class TestAlarmRefused(TestAlarmError):
    """A test alarm asked for now at sites under a real alert (names them)."""

    __test__ = False


def schedule_test_alarm(
    outbox: Outbox,
    sites: Sequence[Site],
    at: float,
    *,
    duration_s: int = 15,
    people: PeopleChannels | None = None,
    subscriptions: Sequence[Subscription] = (),
    by: str | None = None,
    now: float | None = None,
    alerts_open: Mapping[str, str] | None = None,
) -> TestAlarmInfo:
    """Schedule a test alarm and its announcements; returns it as stored.

    Scheduling the same sites at the same time again changes nothing (same keys). With
    ``alerts_open`` (site: level of the real alerts open now), a test within :data:`SOON_S` at any
    of those sites is refused (:class:`TestAlarmRefused`).
    """
    now = time.time() if now is None else now
    if not sites:
        raise TestAlarmError("a test alarm needs at least one site")
    under = sorted(s.id for s in sites if alerts_open and s.id in alerts_open)
    if under and at <= now + SOON_S:
        named = ", ".join(f"{s} ({alerts_open[s]})" for s in under) if alerts_open else ""
        raise TestAlarmRefused(f"no test alarm while a real alert is open: {named}")
    if at > now + MAX_AHEAD_S:
        raise TestAlarmError("a test alarm can be scheduled at most 90 days ahead")
    if not any(s.sirens for s in sites):
        raise TestAlarmError("none of these sites has a siren")
    announce: list[tuple[str, str]] = []
    recipients: list[tuple[str, str, Language]] = []
    tz = "Asia/Damascus"
    if people is not None:
        announce = people.announce_targets()
        index = SubscriberIndex.build(people.usable(subscriptions))
        recipients = [(s.channel, s.address, s.lang) for s in index.recipients(sites)]
        tz = people.text.tz
    try:
        planned = plan_test_alarm(sites, at, duration_s=duration_s, announce_to=announce,
                                  people=recipients, tz=tz, now=now)  # fmt: skip
    except ValueError as exc:
        raise TestAlarmError(str(exc)) from exc
    sirens = sum(1 for d in planned if d.channel == "siren")
    info = TestAlarmInfo(
        key=test_alarm_key(sites, at), at=float(round(at)), duration_s=duration_s,
        sites=tuple(s.id for s in sites), created_at=now, created_by=by, sirens=sirens,
        announcements=len(planned) - sirens, cancelled_at=None,
    )  # fmt: skip
    outbox.add_deliveries(planned, also=lambda conn: TestAlarmBook.insert(conn, info))
    return info


def cancel_test_alarm(outbox: Outbox, key: str, *, by: str | None = None, now: float | None = None) -> int:
    """Call off a scheduled test alarm: its deliveries not yet done are cancelled (and audited).
    Returns how many were cancelled; raises :class:`TestAlarmError` if there is no such alarm."""
    book = TestAlarmBook(outbox.engine)
    if not book.mark_cancelled(key, now):
        raise TestAlarmError(f"no scheduled test alarm {key!r} (or it was cancelled already)")
    return outbox.cancel(key + "-", f"test alarm cancelled{f' by {by}' if by else ''}", now)
