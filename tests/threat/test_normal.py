"""The scipy-free normal CDF agrees with scipy's."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from nadhir.threat.normal import normal_cdf


@given(st.lists(st.floats(min_value=-40.0, max_value=40.0, allow_nan=False), min_size=1, max_size=50))
def test_agrees_with_scipy_ndtr(values: list[float]) -> None:
    z = np.array(values)
    assert np.max(np.abs(normal_cdf(z) - special.ndtr(z))) < 2e-7


def test_shape_and_limits() -> None:
    z = np.array([[-np.inf, 0.0], [1.0, np.inf]])
    out = normal_cdf(z)
    assert out.shape == (2, 2)
    assert out[0, 0] == 0.0 and out[1, 1] == 1.0
    assert abs(out[0, 1] - 0.5) < 1e-9
    assert abs(out[1, 0] - 0.8413447460685429) < 2e-7
