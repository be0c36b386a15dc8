"""A quasi-Poisson GLM with a log link, fitted by IRLS for many responses sharing one design.

The Farrington detector fits one model per period judged; with weekly data every period's model
has the same design matrix (its rows are positions relative to the period), so all the periods of
a facility are fitted at once as a stack. This follows R's ``glm.fit`` (start at ``y + 0.1``,
stop when the deviance changes by less than 1e-8 relative, at most 25 iterations) and
``summary.glm`` (the dispersion is the Pearson statistic over the residual degrees of freedom,
counting only rows of non-zero weight).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import t as student_t

EPSILON = 1e-8
MAX_ITERATIONS = 25

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GlmFits:
    """A stack of fits: row ``i`` is the model of response ``Y[i]``."""

    beta: Floats  # (T, p)
    mu: Floats  # (T, n) fitted means
    converged: NDArray[np.bool_]  # (T,)
    unscaled_cov: Floats  # (T, p, p): (X' W X)^-1
    dispersion: Floats  # (T,) Pearson chi-square / residual df
    df_residual: Floats  # (T,)
    hat: Floats  # (T, n) leverages (zeros when not asked for)


@dataclass(frozen=True, slots=True)
class Design:
    """A design matrix made ready for stacked fits.

    Each row's outer product, flattened, makes a stack of X' W X one matrix product. Indicator
    columns repeat the same products (a level's dummy times itself, times the intercept, ...), so
    only the ``distinct`` columns are multiplied and ``copies`` spreads them back: ~7x less work
    for Farrington's design.
    """

    matrix: Floats  # (n, p)
    distinct: Floats  # (n, u)
    copies: NDArray[np.intp]  # (p * p,) column of ``distinct`` behind each entry of X' W X


def prepare(matrix: Floats) -> Design:
    """The :class:`Design` of a matrix (n rows, p columns)."""
    n, p = matrix.shape
    outer = (matrix[:, :, None] * matrix[:, None, :]).reshape(n, p * p)
    distinct, copies = np.unique(outer, axis=1, return_inverse=True)
    return Design(matrix, np.ascontiguousarray(distinct), copies.reshape(-1))


def fit(
    prepared: Design,
    responses: Floats,
    weights: Floats,
    *,
    leverage: bool = True,
    start: Floats | None = None,
) -> GlmFits:
    """Fit ``log E[Y[i]] = design @ beta[i]`` with prior ``weights[i]`` (0 drops a row).

    ``leverage=False`` leaves ``hat`` at zeros (it costs as much as the fit). ``start``: fitted
    means to start from instead of ``y + 0.1`` (a refit with new weights converges in a step or
    two from the old fit, to the same optimum).
    """
    design = prepared.matrix
    n_cols = design.shape[1]
    y = responses
    w = weights
    mu = y + 0.1 if start is None else start
    eta = np.log(mu)
    deviance = _deviance(y, mu, w)
    converged = np.zeros(y.shape[0], dtype=bool)
    beta = np.zeros((y.shape[0], n_cols))
    distinct, copies = prepared.distinct, prepared.copies
    for _ in range(MAX_ITERATIONS):
        working = eta + (y - mu) / mu
        irls_w = w * mu
        gram = _product(irls_w, distinct)[:, copies].reshape(-1, n_cols, n_cols)
        new_beta = _solve(gram, _product(irls_w * working, design))
        active = ~converged
        beta[active] = new_beta[active]
        eta = _product(beta, design.T)
        mu = np.exp(eta)
        new_deviance = _deviance(y, mu, w)
        converged |= np.abs(new_deviance - deviance) / (np.abs(new_deviance) + 0.1) < EPSILON
        deviance = new_deviance
        if converged.all():
            break
    irls_w = w * mu
    cov = _inverse(_product(irls_w, distinct)[:, copies].reshape(-1, n_cols, n_cols))
    df_residual = (w > 0).sum(axis=1) - n_cols
    pearson = (w * (y - mu) ** 2 / mu).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = np.where(df_residual > 0, pearson / df_residual, np.nan)
    # Leverages only when asked (the Anscombe residuals need them; the refit does not).
    hat = (np.matmul(design, cov) * design).sum(axis=2) * irls_w if leverage else np.zeros_like(mu)
    return GlmFits(beta, mu, converged, cov, dispersion, df_residual.astype(np.float64), hat)


def _product(a: Floats, b: Floats) -> Floats:
    # einsum's own loops rather than BLAS: these products are small and many, and a threaded BLAS
    # on a busy machine spends more time waiting for its threads than multiplying (5x slower here).
    return np.asarray(np.einsum("ij,jk->ik", a, b, optimize=False), dtype=np.float64)


def _solve(gram: Floats, rhs: Floats) -> Floats:
    try:
        return np.asarray(np.linalg.solve(gram, rhs[:, :, None])[:, :, 0], dtype=np.float64)
    except np.linalg.LinAlgError:  # a level with no weight left (missing weeks): least squares
        return np.asarray((np.linalg.pinv(gram, hermitian=True) @ rhs[:, :, None])[:, :, 0], dtype=np.float64)


def _inverse(gram: Floats) -> Floats:
    try:
        return np.asarray(np.linalg.inv(gram), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(gram, hermitian=True), dtype=np.float64)


def _deviance(y: Floats, mu: Floats, w: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(y > 0, y * np.log(y / mu), 0.0)
    return np.asarray(2.0 * (w * (ylogy - (y - mu))).sum(axis=1), dtype=np.float64)


def coefficient_p_value(fits: GlmFits, column: int, dispersion: Floats | None = None) -> Floats:
    """Two-sided p-value of one coefficient (t test, as summary.glm), with the fit's dispersion
    unless another is given."""
    scale = fits.dispersion if dispersion is None else dispersion
    se = np.sqrt(scale * fits.unscaled_cov[:, column, column])
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.abs(fits.beta[:, column] / se)
    return np.asarray(2.0 * student_t.sf(stat, np.maximum(fits.df_residual, 1.0)), dtype=np.float64)


def anscombe_residuals(y: Floats, fits: GlmFits, phi: Floats) -> Floats:
    """Anscombe residuals of a Poisson fit scaled by ``phi`` and leverage (surveillance's definition)."""
    mu = fits.mu
    raw = 1.5 * (y ** (2.0 / 3.0) * mu ** (-1.0 / 6.0) - np.sqrt(mu))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(raw / np.sqrt(phi[:, None] * (1.0 - np.minimum(fits.hat, 1.0))), dtype=np.float64)
