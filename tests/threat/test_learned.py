"""The strike model: fitting, calibration, persistence (its training is tested in tests/lab)."""

import numpy as np
import pytest

from nadhir.threat.learned import FEATURES, StrikeModel, brier, fit, reliability


def _synthetic(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, len(FEATURES)))
    z = 1.5 * x[:, 0] - 1.0 * x[:, 3] + 0.5 * x[:, 8] - 2.0
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(float)
    return x, y


def test_fit_recovers_a_calibrated_model() -> None:
    rng = np.random.default_rng(7)
    x, y = _synthetic(20_000, rng)
    model = fit(x, y, horizon_s=600.0)
    xt, yt = _synthetic(20_000, rng)
    p = model.predict(xt)
    assert brier(p, yt) < brier(np.full_like(yt, y.mean()), yt) * 0.85
    for predicted, observed, n in reliability(p, yt):
        if n > 500:
            assert abs(predicted - observed) < 0.05


def test_model_round_trips_through_json_and_rejects_other_features() -> None:
    rng = np.random.default_rng(8)
    model = fit(*_synthetic(2000, rng), horizon_s=600.0, meta={"note": "test"})
    again = StrikeModel.from_json(model.to_json())
    x = rng.normal(size=(5, len(FEATURES)))
    assert np.allclose(model.predict(x), again.predict(x), atol=1e-5)
    broken = model.to_json().replace('"p_geometric"', '"something_else"')
    with pytest.raises(ValueError, match="retrain"):
        StrikeModel.from_json(broken)
