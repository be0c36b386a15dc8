"""The strike model: fitting, calibration, persistence, and its use by the assessor."""

from pathlib import Path

import numpy as np
import pytest

from nadhir.threat.learned import FEATURES, StrikeModel, brier, fit, reliability
from nadhir.threat.training import collect, train

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"


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


def test_training_examples_come_from_a_real_replay_with_strike_labels() -> None:
    from nadhir.scenarios.reader import load_scenario

    examples = collect(load_scenario(DATA / "sim-wadi-karam-5"))
    x, y = examples.arrays()
    assert x.shape[1] == len(FEATURES) and len(y) > 1000
    assert 0.0 < y.mean() < 0.5  # strikes follow some assessments, not most
    # Assessments of sites an aircraft is circling precede strikes far more often than the rest.
    circling = x[:, FEATURES.index("cue_circling")] == 1.0
    assert y[circling].mean() > y[~circling].mean()
    examples.extend(collect(load_scenario(DATA / "sim-jabal-nur-4")))
    _, report = train(examples)  # held out: one whole scenario
    assert report.test_rows > 0 and report.train_rows > 0
    assert np.isfinite(report.brier_test)


def test_shipped_model_loads_fits_this_code_and_held_out_its_test_scenarios() -> None:
    """The bundled model (`nadhir train-threat`) matches today's features and never saw the test simulations.

    Its skill is measured, not asserted: docs/threat-model.md gives the Brier scores.
    """
    from nadhir.scenarios.reader import load_scenario

    model = StrikeModel.bundled()
    assert model is not None
    assert model.meta["seeds"] == "11-22"  # the test simulations are seeds 4 and 5
    x, _ = collect(load_scenario(DATA / "sim-jabal-nur-4")).arrays()
    p = model.predict(x)
    assert p.shape == (len(x),) and np.all((p > 0.0) & (p < 1.0))
