"""The siren model: it loads, predicts calibrated probabilities, turns sirens into phones below its
operating point, and is off unless given (the rules decide alone by default)."""

import pickle
from pathlib import Path

import numpy as np
import pytest

from nadhir.alerting.policy import AlertPolicy
from nadhir.alerting.siren_model import SIREN_FEATURES, EpisodeView, SirenMemory, SirenModel
from nadhir.domain import Site, Threat
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.threat.impacts import ImpactEvidence
from nadhir.threat.learned import brier
from nadhir_lab.siren_training import collect, predict

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
TOWN = Site(id="town", name="Town", kind="town", lat=35.9, lon=36.6, radius_m=2000)
# 4.5 km east of the town: a strike reported at one is news in the other's area.
VILLAGE = Site(id="village", name="Village", kind="town", lat=35.9, lon=36.65, radius_m=1000)
FAR = Site(id="far", name="Far", kind="town", lat=36.5, lon=37.5, radius_m=1000)
CORROBORATED = frozenset({"obs-a", "obs-b"})


def circling(site: str, t: float, p: float = 0.9) -> Threat:
    """An aircraft circling ``site``, seen by two independent witnesses, there in two minutes."""
    return Threat(site, "T1", "jet", p, t + 120.0, 1500.0, "circling", CORROBORATED)


def impact(site: str, t: float) -> Threat:
    """A strike reported at ``site`` by two independent witnesses."""
    return Threat(site, None, "unknown", 0.9, t, 0.0, "impact", CORROBORATED)


def model_at(threshold: float, bias: float = 0.0) -> SirenModel:
    """A model whose probability is sigmoid(bias) whatever the features."""
    k = len(SIREN_FEATURES)
    return SirenModel((0.0,) * k, bias, (0.0,) * k, (1.0,) * k, 600.0, threshold)


def test_bundled_model_loads_and_says_how_it_was_checked() -> None:
    model = SirenModel.bundled()
    assert model is not None
    assert 0.0 < model.threshold < 1.0
    skill = model.meta["held_out_skill"]
    assert isinstance(skill, dict)
    assert set(skill) == {"hama", "idlib", "jabal-nur", "wadi-karam"}


def test_model_round_trips_through_json_and_rejects_other_features() -> None:
    model = model_at(0.3, bias=-1.0)
    again = SirenModel.from_json(model.to_json())
    row = [0.5] * len(SIREN_FEATURES)
    assert again.probability(row) == pytest.approx(model.probability(row), abs=1e-6)
    assert again.threshold == 0.3
    with pytest.raises(ValueError, match="retrain"):
        SirenModel.from_json(model.to_json().replace('"cue_impact"', '"something_else"'))
    with pytest.raises(ValueError, match="threshold"):
        model_at(1.5)


def test_bundled_model_is_calibrated_on_a_public_scenario() -> None:
    """On hama-burst's calls for sirens the predicted strike share matches the observed one, and the
    model beats predicting that share for every call."""
    model = SirenModel.bundled()
    assert model is not None
    calls = collect(SCENARIOS / "hama-burst", model.horizon_s)
    assert len(calls.y) > 1000
    p = predict(model, calls.x)
    assert abs(p.mean() - calls.y.mean()) < 0.08
    assert brier(p, calls.y) < brier(np.full_like(calls.y, calls.y.mean()), calls.y)
    # Calls given the lowest probabilities are struck less often than those given the highest.
    order = np.argsort(p)
    fifth = len(p) // 5
    assert calls.y[order[:fifth]].mean() < calls.y[order[-fifth:]].mean()


def test_a_call_below_the_operating_point_warns_phones_instead_of_sirens() -> None:
    threats = {"town": circling("town", 0.0)}
    assert AlertPolicy([TOWN]).decide(0.0, threats)[0].level == "imminent"
    sure = AlertPolicy([TOWN], siren_model=model_at(0.4, bias=0.0))  # p = 0.5 >= 0.4
    assert sure.decide(0.0, threats)[0].level == "imminent"
    doubtful = AlertPolicy([TOWN], siren_model=model_at(0.6, bias=0.0))  # p = 0.5 < 0.6
    [alert] = doubtful.decide(0.0, threats)
    assert (alert.action, alert.level) == ("alert", "early")


def test_the_model_only_ever_lowers_a_siren_to_phones() -> None:
    """A threat the rules give phones only is not raised by a sure model."""
    far_in_time = Threat("town", "T1", "jet", 0.9, 900.0, 1500.0, "circling", CORROBORATED)
    policy = AlertPolicy([TOWN], siren_model=model_at(0.0, bias=10.0))
    assert policy.decide(0.0, {"town": far_in_time})[0].level == "early"


def test_default_pipeline_and_policy_decide_by_the_rules_alone() -> None:
    assert AlertPolicy([TOWN]).siren_model is None
    pipeline = build_pipeline(load_scenario(SCENARIOS / "idlib-basic"))
    assert pipeline.policy.siren_model is None


def test_memory_counts_a_strike_in_the_area_and_the_time_since() -> None:
    memory = SirenMemory([TOWN, VILLAGE, FAR])
    col = SIREN_FEATURES.index
    memory.observe(0.0, [impact("town", 0.0)])
    memory.observe(300.0, [circling("village", 300.0)])
    row = memory.features(VILLAGE, circling("village", 300.0), 300.0, EpisodeView())
    assert row[col("area_impacts_60min")] == 1.0
    assert row[col("area_impact_ago_min")] == pytest.approx(np.log1p(5.0))
    assert row[col("impact_ago_min")] == pytest.approx(np.log1p(60.0))  # none at the village itself
    far = memory.features(FAR, circling("far", 300.0), 300.0, EpisodeView())
    assert far[col("area_impacts_60min")] == 0.0


def test_memory_reads_what_the_strike_reports_say_of_the_site() -> None:
    memory = SirenMemory([TOWN, VILLAGE])
    col = SIREN_FEATURES.index
    reports = {"town": ImpactEvidence(1500.0, 3, 2, 1 / 3, True, True, 60.0)}
    memory.impacts_at = reports.get
    memory.observe(120.0, [impact("town", 120.0)])
    row = memory.features(TOWN, impact("town", 120.0), 120.0, EpisodeView())
    assert row[col("impact_reported")] == 1.0
    assert row[col("impact_nearest_km")] == pytest.approx(np.log1p(1.5))
    assert row[col("impact_hits")] == pytest.approx(np.log1p(3.0))
    assert row[col("impact_named_share")] == pytest.approx(1 / 3)
    assert row[col("impact_acoustic")] == 1.0 and row[col("impact_expected")] == 1.0
    assert row[col("impact_newest_ago_min")] == pytest.approx(np.log1p(1.0))
    none = memory.features(VILLAGE, circling("village", 120.0), 120.0, EpisodeView())
    assert none[col("impact_reported")] == 0.0
    assert none[col("impact_newest_ago_min")] == pytest.approx(np.log1p(60.0))


def test_a_pipeline_with_a_siren_model_pickles_for_snapshots() -> None:
    pipeline = build_pipeline(load_scenario(SCENARIOS / "idlib-basic"), siren_model=model_at(0.2))
    again = pickle.loads(pickle.dumps(pipeline))
    assert again.policy.siren_model == pipeline.policy.siren_model
    assert again.policy.memory.track_of is not None
    assert again.policy.memory.impacts_at is not None
