"""Training the siren model: labels from the truth, skill held out by region, and the written model."""

import math
from pathlib import Path

import numpy as np

from nadhir.alerting.siren_model import SIREN_FEATURES, SirenModel
from nadhir_lab.siren_training import SirenExamples, collect, leave_one_region_out, train

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _synthetic(rng: np.random.Generator, regions: tuple[str, ...], n: int) -> SirenExamples:
    """Calls whose strike depends on two features, the same way in every region."""
    x = rng.normal(size=(n * len(regions), len(SIREN_FEATURES)))
    z = 1.5 * x[:, 0] - 1.0 * x[:, 16] - 1.5
    struck = rng.random(len(z)) < 1.0 / (1.0 + np.exp(-z))
    ahead = np.where(struck, 300.0, math.inf)
    region = [r for r in regions for _ in range(n)]
    return SirenExamples(x, np.zeros(len(z)), region, region, ahead).relabelled(600.0)


def test_a_learnable_pattern_has_skill_in_every_held_out_region() -> None:
    examples = _synthetic(np.random.default_rng(3), ("a", "b", "c"), 3000)
    held, p = leave_one_region_out(examples, 600.0, l2=1.0)
    assert [h.region for h in held] == ["a", "b", "c"]
    assert all(h.skill > 0.15 for h in held)
    assert p.shape == examples.y.shape


def test_noise_has_no_skill_held_out() -> None:
    rng = np.random.default_rng(4)
    examples = _synthetic(rng, ("a", "b"), 3000)
    noise = SirenExamples(
        rng.normal(size=examples.x.shape),
        examples.y,
        examples.scenario,
        examples.region,
        examples.next_strike_s,
    )
    held, _ = leave_one_region_out(noise, 600.0, l2=1.0)
    assert all(h.skill < 0.02 for h in held)


def test_labels_follow_the_horizon_and_the_model_round_trips(tmp_path: Path) -> None:
    calls = collect(SCENARIOS / "hama-burst", 600.0)
    assert len(calls.y) > 0 and 0.0 < calls.y.mean() < 1.0
    assert set(calls.region) == {"hama"}
    # A longer horizon can only turn more calls into struck ones.
    assert (calls.relabelled(1200.0).y >= calls.y).all()
    assert calls.relabelled(1200.0).y.sum() > calls.y.sum()
    calls.save(tmp_path / "calls.npz")
    again = SirenExamples.load(tmp_path / "calls.npz")
    assert np.array_equal(again.y, calls.y) and again.region == calls.region
    model = train(calls, threshold=0.2, meta={"note": "test"})
    loaded = SirenModel.from_json(model.to_json())
    assert loaded.threshold == 0.2 and loaded.meta["rows"] == len(calls.y)
