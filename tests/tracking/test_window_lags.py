"""Bearings heard a few seconds before the step that folds them in (``Stepper.window_s``).

A window's batch is processed at its latest time, every track predicted there; a bearing heard
``a`` seconds earlier looked at the aircraft where it was then. The associator and the updater
take it so (``_lags``, ``_sensors``): a jet's exact bearings from seconds before are gated and fit,
where taken as of the step's time they are off by the kilometre it flew.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.tracking import imm
from nadhir.tracking.associator import Associator, bearing_costs_small
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Updater

JET = (0.98, 0.01, 0.01)
SPEED = 250.0  # m/s, east


def _jet(t: float) -> Track:
    """A confirmed jet at the origin at time t, flying east, known to within 100 m and 5 m/s."""
    return Track(
        id="J1",
        t=t,
        x=np.array([0.0, 0.0, SPEED, 0.0]),
        p=np.diag([100.0**2, 100.0**2, 5.0**2, 5.0**2]),
        type_probs=np.array(JET),
        created=t - 120.0,
        last_update=t,
        status="confirmed",
        hits=20,
    )


def _heard(track: Track, t_heard: float, sx: float, sy: float, sensor: str) -> BearingFix:
    """The exact bearing a node at (sx, sy) hears at ``t_heard`` of the track's straight flight."""
    x = track.x + np.array([SPEED * (t_heard - track.t), 0.0, 0.0, 0.0])
    height = PROFILES[track.aircraft].altitude_m if track.aircraft in PROFILES else 0.0
    theta, _, _, _ = imm.heard_bearing(
        np.array(x[0] - sx), np.array(x[1] - sy), np.array(x[2]), np.array(x[3]), height
    )
    return BearingFix(t_heard, sx, sy, float(theta), math.radians(3.0), sensor, 0.2, JET, "jet")


_ages = st.floats(2.0, 4.0)
_sensors = st.tuples(st.floats(-4000.0, 4000.0), st.sampled_from([-4000.0, 4000.0]))


@settings(max_examples=60, deadline=None)
@given(_ages, _sensors)
def test_a_bearing_heard_seconds_before_the_step_is_gated_where_the_jet_was(
    age: float, sensor: tuple[float, float]
) -> None:
    track = _jet(100.0)
    fix = _heard(track, 100.0 - age, *sensor, "n1")
    pm, pt, cost = Associator(Updater()).bearing_costs([track], [fix], use_grid=False)
    small_m, small_t, small_cost = bearing_costs_small([track], [fix])
    assert pm.tolist() == small_m == [0] and pt.tolist() == small_t == [0]
    assert np.allclose(cost, small_cost, rtol=1e-9, atol=1e-9)
    # and it is scored as the same bearing heard on time by the track as it was then
    then = _jet(100.0 - age)
    then.x = track.x - np.array([SPEED * age, 0.0, 0.0, 0.0])
    _, _, cost_then = Associator(Updater()).bearing_costs([then], [fix], use_grid=False)
    assert np.allclose(cost, cost_then, rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(_ages, _sensors)
def test_taken_as_of_the_step_the_same_bearing_fits_worse(age: float, sensor: tuple[float, float]) -> None:
    """Why the lag is taken: a jet's bearing from seconds before, taken as heard at the step's time,
    is a few degrees off (within the gate, whose height term is wide, but a costlier pair)."""
    track = _jet(100.0)
    early = _heard(track, 100.0 - age, *sensor, "n1")
    as_of_now = BearingFix(
        100.0, early.sx, early.sy, early.bearing_rad, early.sigma_rad, "n1", 0.2, JET, "jet"
    )
    (cost_early,) = Associator(Updater()).bearing_costs([track], [early], use_grid=False)[2].tolist()
    costs_now = Associator(Updater()).bearing_costs([track], [as_of_now], use_grid=False)[2].tolist()
    assert all(cost_early < c for c in costs_now)


def test_a_jets_bearings_of_several_seconds_leave_its_exact_track_where_it_is() -> None:
    """The update of a window's bearings (one instant at a time, each where the jet was then)
    leaves an exact track where it is."""
    track = _jet(100.0)
    fixes = [
        _heard(track, t, sx, sy, f"n{k}")
        for k, (t, sx, sy) in enumerate(
            [(96.0, 0.0, -3000.0), (97.0, 2000.0, 3000.0), (98.0, -2500.0, -2500.0), (100.0, 4000.0, 2500.0)]
        )
    ]
    Updater().update_bearings_many([(track, fixes)])
    # (taken as of the step's time, the same bearings pull it 23 m and 1.8 m/s off)
    assert math.hypot(*track.x[:2]) < 1.0
    assert abs(track.x[2] - SPEED) < 0.1 and abs(track.x[3]) < 0.1
