"""Rates with Wilson intervals, and reporting completeness and timeliness."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.health.completeness import Received, completeness, deadline, last_ended
from nadhir.health.outcomes import OutcomeRecord
from nadhir.health.rates import rate, rates, wilson_interval

MONDAY = dt.date(2026, 3, 2)


def rec(start: dt.date, live: int = 100, fresh: int = 1, macerated: int = 1, cs: int | None = 30,
        facility: str = "h1") -> OutcomeRecord:  # fmt: skip
    return OutcomeRecord(facility, "week", start, live, fresh, macerated, 3, 10, 12, 1, 0, cs, None)


def test_wilson_matches_published_values() -> None:
    # Brown, Cai & DasGupta (2001) / Newcombe (1998), 95 %: 0/10 and 5/10 and 81/263.
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError, match="between 0 and the total"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="total above 0"):
        wilson_interval(0, 0)


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_interval_holds_the_estimate_and_stays_in_0_1(pair: tuple[int, int]) -> None:
    k, n = pair
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_rates_use_their_own_denominators() -> None:
    weeks = [rec(MONDAY), rec(MONDAY + dt.timedelta(weeks=1), live=98, fresh=2, cs=None)]
    sb = rate("stillbirths", weeks)
    assert (sb.events, sb.total, sb.per) == (5, 203, 1000)  # per 1,000 total births: 102 + 101
    assert sb.value == pytest.approx(1000 * 5 / 203)
    assert sb.low is not None and sb.high is not None and sb.low < sb.value < sb.high
    cs = rate("caesarean_sections", weeks)  # only the week that reported caesareans
    assert (cs.events, cs.total) == (30, 102)
    pt = rate("preterm_births", weeks)
    assert (pt.events, pt.total, pt.per) == (20, 198, 100)
    assert [r.indicator for r in rates(weeks)] == [
        "stillbirths", "preterm_births", "low_birth_weight", "neonatal_deaths", "caesarean_sections",
    ]  # fmt: skip
    assert rate("stillbirths", []).value is None
    with pytest.raises(ValueError, match="a count"):
        rate("miscarriages", weeks)


def at(day: dt.date, hour: int = 12) -> float:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC).timestamp()


def test_completeness_counts_expected_weeks_reported_and_late_ones() -> None:
    now = at(MONDAY + dt.timedelta(weeks=10, days=2))  # a Wednesday: ten weeks have ended
    got = []
    for w in range(10):
        if w in (3, 7):
            continue  # two weeks never sent
        start = MONDAY + dt.timedelta(weeks=w)
        late = w == 5
        got.append(Received(rec(start), at(start + dt.timedelta(days=7 + (6 if late else 1)))))
    c = completeness("h1", got, now)
    assert (c.expected, c.reported, c.on_time, c.late) == (10, 8, 7, 1)
    assert c.completeness == pytest.approx(0.8) and c.complete_enough
    assert c.missing == (MONDAY + dt.timedelta(weeks=3), MONDAY + dt.timedelta(weeks=7))
    assert c.timeliness == pytest.approx(0.7)
    # One more missing week and it is no longer complete enough.
    fewer = completeness("h1", got[1:], now, since=MONDAY)
    assert fewer.completeness == pytest.approx(0.7) and not fewer.complete_enough
    assert completeness("nobody", got, now).completeness is None


def test_a_week_is_due_two_days_after_it_ends() -> None:
    r = rec(MONDAY)
    assert deadline(r) == dt.datetime(2026, 3, 11, tzinfo=dt.UTC)
    assert last_ended("week", at(dt.date(2026, 3, 15))) == MONDAY  # Sunday: the week of 2 March is not over
    assert last_ended("week", at(dt.date(2026, 3, 16))) == MONDAY + dt.timedelta(weeks=1)
    assert last_ended("day", at(dt.date(2026, 3, 16))) == dt.date(2026, 3, 15)
