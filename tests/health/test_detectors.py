"""Properties of the detectors (nadhir.health.detectors), whatever the series."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nadhir.health import cusum
from nadhir.health.detectors import METHODS, Detection, DetectorError, auto_method, detect
from nadhir_lab.outcomes import Rise, facilities, facility

FAST = ("ears-c1", "ears-c2", "ears-c3", "cusum", "binomial-cusum", "auto")
WEEKS = st.integers(min_value=1, max_value=90)


def _run(method: str, counts: list[float], totals: list[float]) -> list[Detection]:
    return detect(counts, method=method, totals=totals)


@settings(max_examples=60, deadline=None)
@given(method=st.sampled_from(FAST), level=st.integers(0, 40), extra=st.integers(0, 200), weeks=WEEKS)
def test_a_constant_series_never_alarms(method: str, level: int, extra: int, weeks: int) -> None:
    found = _run(method, [float(level)] * weeks, [float(level + extra)] * weeks)
    assert len(found) == weeks
    assert not any(d.alarm for d in found)


@pytest.mark.parametrize("level", [0, 3, 40])
def test_farrington_on_a_constant_series_never_alarms(level: int) -> None:
    found = detect([float(level)] * 200, method="farrington")
    assert not any(d.alarm for d in found)
    assert all(math.isnan(d.expected) for d in found[:159])
    assert all(d.expected == pytest.approx(level, abs=1e-6) for d in found[159:])


series_st = st.lists(st.integers(0, 30), min_size=25, max_size=70)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(FAST), counts=series_st, bump=st.integers(1, 40))
def test_a_bigger_count_in_the_last_period_keeps_its_alarm_and_its_threshold(
    method: str, counts: list[int], bump: int
) -> None:
    totals = [float(c + 150) for c in counts]
    low = _run(method, [float(c) for c in counts], totals)[-1]
    high_counts = [float(c) for c in counts]
    high_counts[-1] += bump
    high = _run(method, high_counts, [t + bump for t in totals[:-1]] + [totals[-1] + bump])[-1]
    if method in ("binomial-cusum", "auto"):
        # The rate's denominator moved with the count: only the alarm's monotony holds.
        assert not low.alarm or high.alarm
        return
    assert not low.alarm or high.alarm
    assert (math.isnan(low.threshold) and math.isnan(high.threshold)) or low.threshold == high.threshold


@settings(max_examples=60, deadline=None)
@given(method=st.sampled_from(FAST), counts=series_st)
def test_an_alarm_is_a_count_above_the_threshold(method: str, counts: list[int]) -> None:
    found = _run(method, [float(c) for c in counts], [float(c + 90) for c in counts])
    for d in found:
        if math.isnan(d.threshold):
            assert not d.alarm
        else:
            assert d.alarm == (d.observed > d.threshold), d


def test_farrington_alarms_only_above_its_threshold() -> None:
    for f in facilities(5, 4, 230):
        for d in detect(f.preterm_births.tolist(), method="farrington"):
            assert not d.alarm or d.observed > d.threshold


def test_more_deliveries_are_not_more_stillbirths_for_the_binomial_cusum() -> None:
    # A facility takes in the patients of a closed hospital: deliveries double, the risk stays 2.5 %.
    totals = np.array([80.0] * 60 + [160.0] * 60)
    events = np.round(totals * 0.025)
    binomial = detect(events.tolist(), method="binomial-cusum", totals=totals.tolist())
    poisson = detect(events.tolist(), method="cusum")
    assert not any(d.alarm for d in binomial)
    assert sum(d.alarm for d in poisson[60:]) >= 2  # counts alone read the move as a rise


def test_a_planted_rise_is_found_by_auto_on_most_facilities() -> None:
    rng = np.random.default_rng(77)
    found = 0
    for i in range(30):
        f = facility(rng, f"f{i}", 120, rise=Rise(70, 8, 2.5))
        d = detect(f.stillbirths.tolist(), method="auto", totals=f.total_births.tolist())
        found += any(x.alarm for x in d[70:76])
    assert found >= 20  # the benchmark's 0.77 over all rise sizes; x2.5 for 8 weeks is easier


def test_auto_is_the_binomial_cusum_with_denominators_and_the_poisson_one_without() -> None:
    f = facilities(3, 1, 60)[0]
    with_totals = detect(f.stillbirths.tolist(), method="auto", totals=f.total_births.tolist())
    without = detect(f.stillbirths.tolist(), method="auto")
    assert {d.method for d in with_totals} == {"binomial-cusum"}
    assert {d.method for d in without} == {"cusum"}
    rates = detect(f.stillbirths.tolist(), method="binomial-cusum", totals=f.total_births.tolist())
    assert [d.alarm for d in with_totals] == [d.alarm for d in rates]
    np.testing.assert_array_equal([d.threshold for d in with_totals], [d.threshold for d in rates])
    assert auto_method(has_totals=False) == "cusum"


def test_a_young_facility_is_judged_from_its_13th_period_on_a_shorter_guard() -> None:
    found = detect([2.0] * 40, method="cusum")
    start = cusum.Baseline().first_judged()
    assert start == 12
    assert all(math.isnan(d.expected) for d in found[:start])
    assert not math.isnan(found[start].expected)


@pytest.mark.parametrize("method", METHODS)
def test_a_missing_period_gets_no_alarm_and_the_series_goes_on(method: str) -> None:
    f = facilities(8, 1, 200)[0]
    counts = f.stillbirths.astype(float)
    totals = f.total_births.astype(float)
    counts[[30, 31, 190]] = np.nan
    totals[[30, 31, 190]] = np.nan
    found = detect(counts.tolist(), method=method, totals=totals.tolist())
    assert len(found) == 200
    assert not any(found[i].alarm for i in (30, 31, 190))
    assert all(math.isnan(found[i].observed) for i in (30, 31, 190))
    if method in ("cusum", "binomial-cusum", "auto"):
        assert all(not math.isnan(d.expected) for d in found[60:190])  # the baseline reads past the gap


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"counts": [1, 2], "method": "shewhart"}, "unknown method"),
        ({"counts": [1, 2], "method": "cusum", "period": "month"}, "unknown period"),
        ({"counts": [1, -2], "method": "cusum"}, r"counts\[1\] = -2\.0"),
        ({"counts": [1, math.inf], "method": "cusum"}, r"counts\[1\] = inf"),
        ({"counts": [1, 2], "method": "binomial-cusum"}, "needs totals"),
        ({"counts": [1, 2], "method": "cusum", "totals": [3]}, "2 counts but 1 totals"),
        ({"counts": [1, 5], "method": "binomial-cusum", "totals": [3, 4]}, "period 1: 5 events out of"),
        ({"counts": [1, 2], "method": "farrington", "period": "day"}, "weekly series only"),
    ],
)
def test_bad_input_is_refused_with_a_reason(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DetectorError, match=message):
        detect(**kwargs)  # type: ignore[arg-type]


def test_a_daily_series_scales_the_cusum_baseline() -> None:
    days = detect([2.0] * 200, method="cusum", period="day")
    first = next(d.index for d in days if not math.isnan(d.expected))
    assert first == cusum.Baseline().first_judged() * 7
