"""Assignment agrees with scipy's linear_sum_assignment on total cost, whatever the shape."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from nadhir.tracking.assignment import assign


@st.composite
def cost_matrices(draw: st.DrawFn) -> np.ndarray:
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    # Few distinct values make ties common; 1e9 stands for "outside the gate".
    values = st.sampled_from([0.0, 1.0, 2.5, 3.0, 7.0, 1e9]) | st.floats(0.0, 100.0)
    flat = draw(st.lists(values, min_size=rows * cols, max_size=rows * cols))
    return np.array(flat, dtype=np.float64).reshape(rows, cols)


@settings(max_examples=400)
@given(cost_matrices())
def test_same_total_cost_as_scipy(costs: np.ndarray) -> None:
    rows, cols = assign(costs)
    ref_rows, ref_cols = linear_sum_assignment(costs)
    assert len(rows) == len(ref_rows) == min(costs.shape)
    assert len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)
    assert list(rows) == sorted(rows)
    assert costs[rows, cols].sum() == costs[ref_rows, ref_cols].sum() or np.isclose(
        costs[rows, cols].sum(), costs[ref_rows, ref_cols].sum()
    )


def test_two_aircraft_keep_their_own_measurements() -> None:
    costs = np.array([[1.0, 5.0, 9.0], [0.5, 6.0, 9.0]])
    rows, cols = assign(costs)
    # Row-by-row greedy takes column 0 for row 0 and ends at 1 + 6 = 7; the optimum is 5 + 0.5.
    assert costs[rows, cols].sum() == 5.5
    assert list(cols) == [1, 0]


def test_empty() -> None:
    rows, cols = assign(np.zeros((0, 3)))
    assert rows.size == 0 and cols.size == 0
