"""The outcome tables: a report replaced keeps its history, alarms are kept once and reviewed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from test_store import db_url  # noqa: F401  (the fixture: a new SQLite file or PostgreSQL schema)

from nadhir.store import Store
from nadhir.store.outcomes import AlarmNotFound, OutcomeBook

T0 = 1_775_000_000.0  # 2026-03-31
WEEK = dt.date(2026, 3, 23)


def report(
    facility: str = "idlib-maternity-hospital", start: dt.date = WEEK, **counts: int
) -> dict[str, Any]:
    base = {"live_births": 120, "stillbirths_fresh": 2, "stillbirths_macerated": 1, "miscarriages": 4,
            "preterm_births": 11, "low_birth_weight": 13, "neonatal_deaths": 2, "maternal_deaths": 0,
            "caesarean_sections": 30, "referrals_out": None}  # fmt: skip
    return {"facility_id": facility, "period": "week", "period_start": start, **base, **counts}


def test_a_second_report_replaces_the_first_which_stays_in_history(db_url: str) -> None:  # noqa: F811
    with Store.open(db_url) as store:
        book = OutcomeBook(store.engine)
        first = book.put([report(), report(start=WEEK + dt.timedelta(days=7))], T0, "csv", "upload")
        assert (first.added, first.replaced, first.unchanged) == (2, 0, 0)
        again = book.put([report()], T0 + 60, "csv")
        assert (again.added, again.replaced, again.unchanged) == (0, 0, 1)
        fixed = book.put([report(stillbirths_fresh=5)], T0 + 3600, "sms", "+963933000001")
        assert (fixed.added, fixed.replaced, fixed.unchanged) == (0, 1, 0)
    with Store.open(db_url) as store:
        book = OutcomeBook(store.engine)
        now = book.current()
        assert [r.fields["period_start"] for r in now] == [WEEK, WEEK + dt.timedelta(days=7)]
        assert now[0].fields["stillbirths_fresh"] == 5 and now[0].source == "sms"
        # Timeliness counts from the first time the facility-period came in, not the correction.
        assert now[0].first_received_at == pytest.approx(T0, abs=1e-3)
        assert now[0].received_at == pytest.approx(T0 + 3600, abs=1e-3)
        assert now[0].fields["referrals_out"] is None
        past = book.history("idlib-maternity-hospital", "week", WEEK)
        assert [h.fields["stillbirths_fresh"] for h in past] == [2, 5]
        assert past[0].superseded_at == pytest.approx(T0 + 3600, abs=1e-3) and past[1].superseded_at is None
        assert book.current(facility_id="nowhere") == []
        assert len(book.current(since=WEEK + dt.timedelta(days=1))) == 1


def test_a_batch_is_kept_whole_or_not_at_all(db_url: str) -> None:  # noqa: F811
    with Store.open(db_url) as store:
        book = OutcomeBook(store.engine)
        bad = report(start=WEEK + dt.timedelta(days=7))
        bad["live_births"] = None  # NOT NULL: the database refuses the second row
        with pytest.raises(Exception):  # noqa: B017 - whichever error the driver raises
            book.put([report(), bad], T0, "csv")
        assert book.current() == []
        with pytest.raises(ValueError, match="appears twice"):
            book.put([report(), report()], T0, "csv")
        # Many weeks at once, some new, some replacing, some as they were.
        weeks = [report(start=WEEK + dt.timedelta(days=7 * i)) for i in range(5)]
        assert book.put(weeks[:3], T0, "csv").added == 3
        changed = [*weeks[:2], report(start=WEEK + dt.timedelta(days=14), miscarriages=9), *weeks[3:]]
        done = book.put(changed, T0 + 1, "csv")
        assert (done.added, done.replaced, done.unchanged) == (2, 1, 2)
        assert [r.fields["miscarriages"] for r in book.current()] == [4, 4, 9, 4, 4]


def alarm(key: str = "a|stillbirths|week|2026-03-23|ears-c2") -> dict[str, Any]:
    return {"key": key, "facility_id": "a", "indicator": "stillbirths", "period": "week",
            "period_start": WEEK,
            "method": "ears-c2", "observed": 9.0, "expected": 3.1, "threshold": 7.2, "completeness": 0.75,
            "flagged": True, "nearby": [{"kind": "impact", "t": T0 - 86400, "distance_km": 2.5}]}  # fmt: skip


def test_alarms_are_kept_once_and_a_review_is_not_reopened(db_url: str) -> None:  # noqa: F811
    with Store.open(db_url) as store:
        book = OutcomeBook(store.engine)
        new = book.add_alarms([alarm()], T0)
        assert (
            len(new) == 1
            and new[0].status == "new"
            and new[0].flagged
            and new[0].nearby[0]["kind"] == "impact"
        )
        done = book.review(new[0].id, "explained", "health:huda", T0 + 10, "a referral hospital closed")
        assert (done.status, done.status_by, done.note) == (
            "explained",
            "health:huda",
            "a referral hospital closed",
        )
        assert book.add_alarms([alarm()], T0 + 20) == []
        assert book.alarm(new[0].id).status == "explained"
        assert [a.id for a in book.alarms(status="explained")] == [new[0].id]
        book.mark_notified([new[0].id], T0 + 30)
        assert book.alarm(new[0].id).notified_at == pytest.approx(T0 + 30, abs=1e-3)
        with pytest.raises(AlarmNotFound):
            book.review(999, "dismissed", "health:huda", T0)
        with pytest.raises(ValueError, match="unknown alarm status"):
            book.review(new[0].id, "closed", "health:huda", T0)
