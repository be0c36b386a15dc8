"""The CUSUMs against their definition: the log-likelihood ratio of scipy's own distributions."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import binom, poisson

from nadhir.health import cusum
from nadhir_lab.outcomes import Rise, facility


def _reference_alarms(increments: list[float], h: float) -> list[bool]:
    score, out = 0.0, []
    for step in increments:
        if math.isnan(step):
            out.append(False)
            continue
        score = max(0.0, score + step)
        out.append(score > h)
        if score > h:
            score = 0.0
    return out


def test_the_poisson_chart_adds_the_poisson_log_likelihood_ratio() -> None:
    s = facility(np.random.default_rng(4), "f", 150, rise=Rise(100, 8, 2.2))
    y = s.stillbirths.astype(np.float64)
    b = cusum.poisson_cusum(y)
    steps = [
        float(poisson.logpmf(y[t], 2 * lam) - poisson.logpmf(y[t], lam)) if not math.isnan(lam) else math.nan
        for t, lam in enumerate(b.expected)
    ]
    assert b.alarm.tolist() == _reference_alarms(steps, cusum.H_POISSON)
    assert b.alarm[100:108].any()


def test_the_binomial_chart_adds_the_binomial_log_likelihood_ratio() -> None:
    s = facility(np.random.default_rng(6), "f", 150, rise=Rise(90, 8, 2.2))
    y, n = s.stillbirths.astype(np.float64), s.total_births.astype(np.float64)
    b = cusum.binomial_cusum(y, n)
    steps = []
    for t, expected in enumerate(b.expected):
        if math.isnan(expected):
            steps.append(math.nan)
            continue
        p0 = expected / n[t]
        steps.append(float(binom.logpmf(y[t], n[t], 2 * p0) - binom.logpmf(y[t], n[t], p0)))
    assert b.alarm.tolist() == _reference_alarms(steps, cusum.H_BINOMIAL)
    assert b.alarm[90:98].any()


def test_the_in_control_level_is_the_trailing_year_before_the_guard() -> None:
    y = np.arange(100, dtype=np.float64) % 7
    b = cusum.poisson_cusum(y)
    base = cusum.Baseline()
    t = 80
    assert b.expected[t] == y[t - base.guard - base.window : t - base.guard].mean()
    t = 15  # young: guard 4, from 8 periods
    assert b.expected[t] == y[0 : t - base.young_guard].mean()
