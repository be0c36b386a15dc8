"""The lab's generated facility series: realistic ranges, planted rises where asked, same seed same data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nadhir.health.outcome_table import read_table
from nadhir_lab.outcomes import (
    BIRTHS_RANGE,
    RISE_FACTOR_RANGE,
    RISE_WEEKS_RANGE,
    Rise,
    facilities,
    facility,
    random_rise,
    write_csv,
)


def test_facilities_have_the_issues_baselines() -> None:
    series = facilities(21, 40, 156)
    for s in series:
        births = s.total_births
        assert BIRTHS_RANGE[0] * 0.5 < births.mean() < BIRTHS_RANGE[1] * 1.4
        rate = s.stillbirths.sum() / births.sum()
        if s.rise is None:
            assert 0.005 < rate < 0.05
        assert (s.live_births >= s.preterm_births).all()
        assert (s.live_births >= s.low_birth_weight).all()
    assert sum(s.rise is not None for s in series) == 20


def test_rises_lie_in_the_issues_ranges_and_raise_the_rate() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        r = random_rise(rng, 104, earliest=52)
        assert RISE_WEEKS_RANGE[0] <= r.weeks <= RISE_WEEKS_RANGE[1]
        assert RISE_FACTOR_RANGE[0] <= r.factor <= RISE_FACTOR_RANGE[1]
        assert r.start >= 52 and r.start + r.weeks <= 104
    with pytest.raises(ValueError, match="no room"):
        random_rise(rng, 50, earliest=45)
    inside = outside = 0.0
    for seed in range(30):
        s = facility(np.random.default_rng(seed), "f", 120, rise=Rise(60, 10, 2.5))
        inside += s.stillbirths[60:70].sum() / s.total_births[60:70].sum()
        outside += s.stillbirths[:60].sum() / s.total_births[:60].sum()
    assert 2.0 < inside / outside < 3.0


def test_the_same_seed_gives_the_same_series_and_the_table_reads_back(tmp_path: Path) -> None:
    a, b = facilities(9, 3, 60), facilities(9, 3, 60)
    for x, y in zip(a, b, strict=True):
        assert x.rise == y.rise
        np.testing.assert_array_equal(x.stillbirths, y.stillbirths)
    path = tmp_path / "t.csv"
    write_csv(a, path)
    tables = read_table(path.read_text(encoding="utf-8"))
    assert [t.facility_id for t in tables] == [s.facility_id for s in a]
    for t, s in zip(tables, a, strict=True):
        np.testing.assert_array_equal(t.indicator("stillbirths"), s.stillbirths)
        np.testing.assert_array_equal(t.indicator("total_births"), s.total_births)
        assert t.periods[0] == s.first_week
