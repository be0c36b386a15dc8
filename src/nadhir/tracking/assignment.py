"""Minimum-cost one-to-one assignment of rows (measurements) to columns (tracks).

The general problem goes to ``scipy.optimize.linear_sum_assignment``. The
shapes that make up nearly every call in practice — one measurement, one
track, or two measurements from one source (a pair of aircraft) — are
solved here exactly by enumeration. Why: importing ``scipy.optimize`` costs
about 0.36 s of start-up, a fifth of a public scenario's replay budget, and
on the public and simulated scenarios no call needed more than two rows but
one; scipy is loaded on the first call that does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.intp]


def assign(costs: NDArray[np.float64]) -> tuple[IntArray, IntArray]:
    """Rows and columns of a minimum-cost assignment, as ``linear_sum_assignment`` returns them.

    Every row is assigned when there are no more rows than columns, else
    every column; rows come out in increasing order. Costs must be finite.
    """
    n_rows, n_cols = costs.shape
    if n_rows == 0 or n_cols == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty.copy()
    if n_rows == 1:
        return np.array([0], dtype=np.intp), np.array([int(np.argmin(costs[0]))], dtype=np.intp)
    if n_cols == 1:
        return np.array([int(np.argmin(costs[:, 0]))], dtype=np.intp), np.array([0], dtype=np.intp)
    if n_rows == 2:
        # Every (column of row 0, column of row 1) pair with distinct columns.
        totals = costs[0][:, None] + costs[1][None, :]
        np.fill_diagonal(totals, np.inf)
        i, j = np.unravel_index(int(np.argmin(totals)), totals.shape)
        return np.array([0, 1], dtype=np.intp), np.array([i, j], dtype=np.intp)
    if n_cols == 2:
        rows_t, cols_t = assign(costs.T)
        order = np.argsort(cols_t)
        return cols_t[order].astype(np.intp), rows_t[order].astype(np.intp)
    from scipy.optimize import linear_sum_assignment  # loaded only when first needed

    rows, cols = linear_sum_assignment(costs)
    return rows.astype(np.intp), cols.astype(np.intp)
