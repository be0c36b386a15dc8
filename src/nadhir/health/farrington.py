"""The Farrington flexible detector (Noufaily et al. 2013), as R's ``surveillance::farringtonFlexible``.

For the period t judged, a quasi-Poisson GLM is fitted to the same season of the ``b`` years
before (a window of ``w`` periods either side of t - 52, t - 104, ...) and to the rest of those
years cut into ``no_periods - 1`` blocks (a 10-level seasonal factor, Noufaily's choice), with a
linear time trend kept only when it is significant (p < 0.05), ``b >= 3`` and the prediction does
not leave the range of the data. The latest ``past_weeks_not_included`` (26) periods are left out so
that a current rise is not its own baseline. Past outbreaks are down-weighted: the model is fitted
again with weights from its Anscombe residuals (those above 2.58 get a weight ~ s^-2).

The threshold is the ``1 - alpha`` quantile of a negative binomial with the model's mean and
dispersion (R's ``thresholdMethod = "nbPlugin"``, Noufaily's recommendation); an alarm needs a count
above it, at least 5 events in the last 4 periods (R's ``limit54``) and a non-zero count.
Weekly data only: a period's reference weeks are 52 periods back. The first period judged is
``52 * b + w`` (0-based), so a facility needs ``b`` years and ``w + 1`` weeks of history.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy.stats import nbinom, poisson

from nadhir.health import quasipoisson
from nadhir.health.ears import Bounds

YEAR = 52
B = 3
W = 3
NO_PERIODS = 10
PAST_PERIODS_NOT_INCLUDED = 26
ALPHA = 0.01
WEIGHTS_THRESHOLD = 2.58
P_THRESHOLD_TREND = 0.05
LIMIT54 = (5, 4)  # at least 5 events in the last 4 periods for an alarm

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Settings:
    """farringtonFlexible's control, Noufaily's choices as defaults."""

    b: int = B
    w: int = W
    no_periods: int = NO_PERIODS
    past_periods_not_included: int = PAST_PERIODS_NOT_INCLUDED
    alpha: float = ALPHA
    weights_threshold: float = WEIGHTS_THRESHOLD
    p_threshold_trend: float = P_THRESHOLD_TREND
    limit54: tuple[int, int] = LIMIT54

    def min_history(self) -> int:
        """Periods needed before the first one judged."""
        return YEAR * self.b + self.w


def seasonal_levels(settings: Settings) -> NDArray[np.int64]:
    """The seasonal factor of each baseline row, rows ordered oldest first (as R's ``blocks``).

    Row ``j`` is the period ``t - first + j`` where ``first = 52 b + w``; the rows stop
    ``past_periods_not_included + 1`` periods before t.
    """
    b, w, p = settings.b, settings.w, settings.no_periods
    first = YEAR * b + w
    levels = np.zeros(first + 1, dtype=np.int64)  # offsets first .. 0 before t, stored at first - offset
    levels[first - w :] = p  # t - w .. t
    for i in range(1, b + 1):
        ref = first - YEAR * i
        levels[ref - w : ref + w + 1] = p
        if p != 1:
            length = YEAR - 2 * w - 1  # from ref + w + 1 to the next reference's window
            sizes = [length // (p - 1) + (1 if k < length % (p - 1) else 0) for k in range(p - 1)]
            start = ref + w + 1
            for level, size in enumerate(sizes, start=1):
                levels[start : start + size] = level
                start += size
    kept = first + 1 - (settings.past_periods_not_included + 1)
    return levels[:kept]


def _design(levels: NDArray[np.int64], positions: Floats, trend: bool, no_periods: int) -> Floats:
    columns = [np.ones(levels.size)]
    if trend:
        columns.append(positions)
    present = sorted(set(levels.tolist()))
    columns += [(levels == level).astype(np.float64) for level in present[1:]]
    return np.column_stack(columns)


def _reweighted(
    design: quasipoisson.Design, y: Floats, present: Floats, threshold: float
) -> tuple[quasipoisson.GlmFits, Floats, Floats]:
    """R's fitGLM.flexible: fit, weight by Anscombe residuals, fit again.

    Returns the fit, its phi (dispersion floored at 1) and the dispersion R's trend test reads:
    fitGLM.flexible stores the Anscombe weights over the glm's working weights, so summary.glm then
    divides the squared *working* residuals, (y - mu)^2 / mu^2, by the residual df. We test the trend
    with that same figure so that the trend is kept exactly where the reference keeps it.
    """
    first = quasipoisson.fit(design, y, present)
    phi = np.maximum(np.nan_to_num(first.dispersion, nan=1.0), 1.0)
    s = quasipoisson.anscombe_residuals(y, first, phi)
    big = (s > threshold) & (present > 0)
    with np.errstate(divide="ignore"):
        inverse = np.where(big, s**-2.0, 1.0)
    n_present = present.sum(axis=1)
    gamma = n_present / np.where(present > 0, inverse, 0.0).sum(axis=1)
    omega = np.where(big, gamma[:, None] * inverse, gamma[:, None]) * present
    second = quasipoisson.fit(design, y, omega, leverage=False, start=first.mu)
    second = _with_convergence(second, first.converged)
    with np.errstate(divide="ignore", invalid="ignore"):
        working = (omega * (y - second.mu) ** 2 / second.mu**2).sum(axis=1) / second.df_residual
    return second, np.maximum(np.nan_to_num(second.dispersion, nan=1.0), 1.0), working


def _with_convergence(fits: quasipoisson.GlmFits, converged: NDArray[np.bool_]) -> quasipoisson.GlmFits:
    # R checks convergence of the unweighted fit only; the weighted refit is taken as it comes.
    return quasipoisson.GlmFits(
        fits.beta, fits.mu, converged, fits.unscaled_cov, fits.dispersion, fits.df_residual, fits.hat
    )


def farrington(counts: Floats, settings: Settings | None = None) -> Bounds:
    """Expected count, upper bound and alarm per period (NaN/False before ``min_history``)."""
    s = settings or Settings()
    if s.b < 1 or s.w < 0 or s.no_periods < 1 or not 0 < s.alpha < 1:
        raise ValueError(f"bad Farrington settings: {s}")
    n = counts.size
    expected = np.full(n, np.nan)
    threshold = np.full(n, np.nan)
    alarm = np.zeros(n, dtype=bool)
    first = s.min_history()
    if n <= first:
        return Bounds(expected, threshold, alarm)
    levels = seasonal_levels(s)
    rows = levels.size
    judged = np.arange(first, n)
    windows = sliding_window_view(counts, rows)[: judged.size]  # row j of period t: counts[t - first + j]
    present = (~np.isnan(windows)).astype(np.float64)
    y = np.nan_to_num(windows, nan=0.0)
    now = float(first)  # t's position on the same scale

    trend_design, flat_design = _designs(s)
    new_trend = _new_row(levels, now, True, s.no_periods)
    new_flat = _new_row(levels, now, False, s.no_periods)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        trended, phi_trended, test_dispersion = _reweighted(trend_design, y, present, s.weights_threshold)
        flat, phi_flat, _ = _reweighted(flat_design, y, present, s.weights_threshold)
        p_trend = quasipoisson.coefficient_p_value(trended, 1, test_dispersion)
        eta_trend = trended.beta @ new_trend
        max_seen = np.where(present > 0, y, -np.inf).max(axis=1)
        keep_trend = (
            trended.converged & (s.b >= 3) & (p_trend < s.p_threshold_trend) & (np.exp(eta_trend) <= max_seen)
        )
        eta = np.where(keep_trend, eta_trend, flat.beta @ new_flat)
        phi = np.where(keep_trend, phi_trended, phi_flat)
        ok = np.where(keep_trend, True, flat.converged) & np.isfinite(eta)
        mu0 = np.exp(eta)
        upper = _upper_quantile(mu0, phi, s.alpha)

    observed = counts[first:]
    cases, span = s.limit54
    recent = np.concatenate((np.zeros(span - 1), np.nan_to_num(counts)))
    recent_sums = sliding_window_view(recent, span).sum(axis=1)[first:]
    enough = recent_sums >= cases
    expected[first:] = np.where(ok, mu0, np.nan)
    threshold[first:] = np.where(ok, upper, np.nan)
    with np.errstate(invalid="ignore"):
        alarm[first:] = ok & enough & (observed > upper) & (observed != 0)
    return Bounds(expected, threshold, alarm)


@functools.cache
def _designs(settings: Settings) -> tuple[quasipoisson.Design, quasipoisson.Design]:
    """The designs with and without trend: the same for every facility with these settings."""
    levels = seasonal_levels(settings)
    positions = np.arange(levels.size, dtype=np.float64)
    return (
        quasipoisson.prepare(_design(levels, positions, True, settings.no_periods)),
        quasipoisson.prepare(_design(levels, positions, False, settings.no_periods)),
    )


def _new_row(levels: NDArray[np.int64], now: float, trend: bool, no_periods: int) -> Floats:
    """The design row of the period judged: the current season's level (``no_periods``)."""
    row = [1.0]
    if trend:
        row.append(now)
    present = sorted(set(levels.tolist()))
    row += [1.0 if level == no_periods else 0.0 for level in present[1:]]
    return np.array(row)


def _upper_quantile(mu0: Floats, phi: Floats, alpha: float) -> Floats:
    """The 1 - alpha quantile of NB(mean mu0, variance phi mu0), Poisson when phi is 1."""
    out = np.full(mu0.shape, np.nan)
    finite = np.isfinite(mu0)
    over = finite & (phi > 1)
    plain = finite & ~(phi > 1)
    out[over] = nbinom.ppf(1 - alpha, mu0[over] / (phi[over] - 1), 1 / phi[over])
    out[plain] = poisson.ppf(1 - alpha, mu0[plain])
    return out
