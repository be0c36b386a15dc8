"""A spotter's unknown lateness as a one-sided prior (tracking/lateness.py, Updater(lateness=...)).

The behaviour test flies a real recorded jet (an in-flight refuelling racetrack at 200-235 m/s,
tests/data/flights/refuelling_jet.csv) and has spotters report it 20-100 s late, 2.5 km off,
every 20-40 s, with no microphones: the default Gaussian lateness about zero leaves the track
about 15 km behind the jet; the one-sided prior brings it closer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from simulate import RecordedFlight, sighting

from nadhir.tracking.lateness import LatenessPrior
from nadhir.tracking.measurements import PositionFix
from nadhir.tracking.motion import REPORT_LIKELIHOOD
from nadhir.tracking.track import Track
from nadhir.tracking.tracker import Tracker
from nadhir.tracking.updater import Updater


def test_half_normal_prior_keeps_its_moments() -> None:
    prior = LatenessPrior.half_normal(45.0, 4)
    assert prior.weights == (0.25, 0.25, 0.25, 0.25)
    assert list(prior.means_s) == sorted(prior.means_s) and prior.means_s[0] > 0.0
    # |N(0, s^2)| has mean s sqrt(2/pi) and spread s sqrt(1 - 2/pi).
    assert prior.mean_s == pytest.approx(45.0 * math.sqrt(2.0 / math.pi), rel=0.01)
    assert prior.sigma_s == pytest.approx(45.0 * math.sqrt(1.0 - 2.0 / math.pi), rel=0.01)


def test_exponential_prior_keeps_its_moments() -> None:
    prior = LatenessPrior.exponential(40.0, 4)
    assert prior.mean_s == pytest.approx(40.0, rel=0.01)
    assert prior.sigma_s == pytest.approx(40.0, rel=0.01)
    assert prior.means_s[-1] > 2.0 * prior.mean_s  # the last bin holds the tail of late relays


def test_prior_from_a_setting_and_bad_priors() -> None:
    assert LatenessPrior.parse("half-normal:30:4") == LatenessPrior.half_normal(30.0, 4)
    assert LatenessPrior.parse("exponential:20:2") == LatenessPrior.exponential(20.0, 2)
    with pytest.raises(ValueError):
        LatenessPrior.parse("uniform:30:4")
    with pytest.raises(ValueError):
        LatenessPrior((10.0, 20.0), (1.0, 1.0), (0.5, 0.4))
    with pytest.raises(ValueError):
        LatenessPrior((-5.0,), (1.0,), (1.0,))


def test_a_prior_for_some_aircraft_from_a_setting() -> None:
    jets = LatenessPrior.parse("exponential:60:4:jet")
    assert jets.kinds == frozenset({"jet"})
    assert jets.means_s == LatenessPrior.exponential(60.0, 4).means_s
    assert LatenessPrior.parse("half-normal:30:2:jet,drone").kinds == frozenset({"jet", "drone"})
    assert LatenessPrior.parse("half-normal:30:2").kinds is None
    for bad in ("exponential:60:4:tank", "exponential:60:4:", "exponential:60:4:jet:drone"):
        with pytest.raises(ValueError):
            LatenessPrior.parse(bad)


def test_a_prior_for_jets_takes_only_sightings_reported_as_jets() -> None:
    jets = LatenessPrior.parse("exponential:60:4:jet")
    assert jets.applies_to(REPORT_LIKELIHOOD["jet"])
    assert not jets.applies_to(REPORT_LIKELIHOOD["drone"])
    assert not jets.applies_to(REPORT_LIKELIHOOD["helicopter"])
    assert not jets.applies_to(REPORT_LIKELIHOOD["unknown"])  # a report that named no aircraft
    assert LatenessPrior.exponential(60.0, 4).applies_to(REPORT_LIKELIHOOD["unknown"])


def _jet_track() -> Track:
    return Track(
        id="T1",
        t=0.0,
        x=np.array([0.0, 0.0, 200.0, 0.0]),
        p=np.diag([1500.0**2, 1500.0**2, 40.0**2, 40.0**2]),
        type_probs=np.array([0.9, 0.05, 0.05]),
        created=-300.0,
        last_update=0.0,
    )


def test_a_sensor_fix_is_updated_as_without_the_prior() -> None:
    """A fix with no lateness spread (a sensor's) keeps the plain update, to the bit."""
    fix = PositionFix(
        t=0.0,
        x=-3000.0,
        y=800.0,
        sigma_m=500.0,
        source="radar",
        evidence=0.9,
        type_likelihood=REPORT_LIKELIHOOD["jet"],
        delay_s=0.0,
        delay_sigma_s=0.0,
    )
    plain, with_prior = _jet_track(), _jet_track()
    Updater().update_position(plain, fix)
    Updater(LatenessPrior.half_normal(45.0, 4)).update_position(with_prior, fix)
    assert np.array_equal(plain.x, with_prior.x) and np.array_equal(plain.p, with_prior.p)


def test_a_drone_sighting_is_updated_as_without_a_prior_for_jets() -> None:
    """A prior for jets leaves a sighting reported as a drone to the plain (Gaussian) update, to
    the bit; the same prior for every aircraft does not."""
    fix = PositionFix(
        t=0.0,
        x=-3000.0,
        y=800.0,
        sigma_m=2500.0,
        source="obs-1",
        evidence=0.8,
        type_likelihood=REPORT_LIKELIHOOD["drone"],
    )
    plain, for_jets, for_all = _jet_track(), _jet_track(), _jet_track()
    Updater().update_position(plain, fix)
    Updater(LatenessPrior.parse("exponential:60:4:jet")).update_position(for_jets, fix)
    Updater(LatenessPrior.parse("exponential:60:4")).update_position(for_all, fix)
    assert np.array_equal(plain.x, for_jets.x) and np.array_equal(plain.p, for_jets.p)
    assert not np.allclose(plain.x, for_all.x)


def _median_lag_m(prior: LatenessPrior | None, seed: int) -> float:
    """Median distance from the jet to the nearest confirmed track, after the first 400 s."""
    flight = RecordedFlight.load("refuelling_jet")
    rng = np.random.default_rng(seed)
    tracker = Tracker(updater=Updater(prior))
    lags: list[float] = []
    next_report = 100.0
    for t in np.arange(0.0, flight.duration, 5.0):
        batch = []
        if t >= next_report:
            late = float(rng.uniform(20.0, 100.0))
            batch.append(sighting(flight, float(t), rng, 2500.0, f"obs{int(t)}", "jet", delay=late))
            next_report = float(t) + float(rng.uniform(20.0, 40.0))
        tracker.step(float(t), batch)
        confirmed = [tr for tr in tracker.tracks.values() if tr.status == "confirmed"]
        if confirmed and t > 400.0:
            x, y = flight.at(float(t))
            lags.append(min(math.hypot(tr.x[0] - x, tr.x[1] - y) for tr in confirmed))
    assert len(lags) > 200  # the jet was tracked for most of its half hour
    return float(np.median(lags))


def test_late_sightings_of_a_real_fast_jet_leave_its_track_less_far_behind() -> None:
    prior = LatenessPrior.half_normal(45.0, 4)
    plain = [_median_lag_m(None, seed) for seed in (0, 1, 2)]
    one_sided = [_median_lag_m(prior, seed) for seed in (0, 1, 2)]
    # The Gaussian about zero: about 15 km behind (14.5-17 km on these seeds).
    assert min(plain) > 13_000.0, plain
    # The one-sided prior: about a third less (10-13 km); every seed closer than without it.
    assert max(one_sided) < 13_500.0, one_sided
    assert all(o < 0.85 * p for o, p in zip(one_sided, plain, strict=True)), (one_sided, plain)
