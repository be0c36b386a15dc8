"""The along-course fix (tracking/course_fix.py, opt-in): a node's bearings pull a lagging track
along its course.

A jet's track 12 km behind it on its course takes the bearings of a node the jet passes; without
the fix they move it only sideways and it stays far behind; with it, the node's bearings place
the jet ahead on the track's course and the track is moved there.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simulate import Flight, bearings, lagging_jet_track

from nadhir.tracking.bearing_rate import BearingRateGate
from nadhir.tracking.course_fix import AlongCourse, along_update, fit_on_course
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.track import Track
from nadhir.tracking.tracker import Tracker

HEADING = math.radians(40.0)
NODE = [(0.0, 0.0)]
SEEDS = range(4)
MISSES = (500.0, 2000.0, 4000.0)


def _pass(seed: int, miss_m: float, sigma_deg: float = 3.0) -> tuple[Flight, list[BearingFix]]:
    """A jet at 200 m/s, 4.5 km up, abeam the node ``miss_m`` off at t = 30 s; a bearing every
    4 s for a minute."""
    ux, uy = math.sin(HEADING), math.cos(HEADING)
    x0, y0 = miss_m * uy - 30.0 * 200.0 * ux, -miss_m * ux - 30.0 * 200.0 * uy
    flight = Flight(x0, y0, 200.0 * ux, 200.0 * uy, alt=4500.0)
    rng = np.random.default_rng(seed)
    fixes = [b for t in range(0, 61, 4) for b in bearings(flight, NODE, float(t), rng, sigma_deg)]
    return flight, fixes


def _run(
    seed: int, miss_m: float, behind_m: float, fix: AlongCourse | None, rate: BearingRateGate | None = None
) -> tuple[float, int]:
    """How far the track ends from the jet (inf when it was deleted), and how many fixes moved it."""
    flight, fixes = _pass(seed, miss_m)
    tracker = Tracker(course_fix=fix, bearing_rate=rate)
    track = lagging_jet_track(flight, HEADING, behind_m)
    tracker.tracks[track.id] = track
    for m in fixes:
        tracker.step(m.t, [m])
    tracker.advance(60.0)
    applied = tracker.course_fixer.applied if tracker.course_fixer is not None else 0
    if track.id not in tracker.tracks:
        return math.inf, applied
    jx, jy = flight.at(60.0)
    return math.hypot(track.x[0] - jx, track.x[1] - jy), applied


def test_a_lagging_track_is_pulled_along_its_course() -> None:
    nearer = 0
    for seed in SEEDS:
        for miss in MISSES:
            without, _ = _run(seed, miss, 12_000.0, None)
            with_fix, _ = _run(seed, miss, 12_000.0, AlongCourse())
            assert without > 7000.0  # the lag the fix is for: bearings alone never correct it
            if with_fix < without - 4000.0:
                nearer += 1
    # Measured: 7 of the 12 end at least 4 km nearer (0.3-7 km from the jet, against 9-22 km);
    # one seed gives no fit that passes.
    assert nearer >= 7


def test_bearings_the_rate_gate_refuses_still_pull_the_track() -> None:
    # With the rate gate the lagging track loses the bearings of the pass (it cannot turn them),
    # and stays as far behind; the fix reads them all the same.
    nearer = 0
    for seed in SEEDS:
        for miss in MISSES:
            without, _ = _run(seed, miss, 12_000.0, None, BearingRateGate())
            with_fix, _ = _run(seed, miss, 12_000.0, AlongCourse(), BearingRateGate())
            assert without > 12_000.0
            if with_fix < without - 4000.0:
                nearer += 1
    # Measured: 9 of the 12 (0.4-7.6 km from the jet, against 14-23 km).
    assert nearer >= 8


def _row_of_nodes(seed: int, behind_m: float, fix: AlongCourse | None) -> float:
    """A jet at 200 m/s over a row of nodes every 8 km, 2 km off its path, each hearing it
    within 5 km every 10 s for three minutes, and a track ``behind_m`` behind it: how far the
    track ends from the jet (inf when it was deleted)."""
    ux, uy = math.sin(HEADING), math.cos(HEADING)
    nodes = [(k * 8000.0 * ux + 2000.0 * uy, k * 8000.0 * uy - 2000.0 * ux) for k in range(-2, 4)]
    flight = Flight(-20_000.0 * ux, -20_000.0 * uy, 200.0 * ux, 200.0 * uy, alt=4500.0)
    rng = np.random.default_rng(seed)
    heard = [
        b for t in range(0, 181, 10) for b in bearings(flight, nodes, float(t), rng, 3.0, audible=5000.0)
    ]
    tracker = Tracker(course_fix=fix)
    track = lagging_jet_track(flight, HEADING, behind_m)
    tracker.tracks[track.id] = track
    for t, batch in itertools.groupby(heard, key=lambda m: m.t):
        tracker.step(t, list(batch))
    tracker.advance(185.0)
    if track.id not in tracker.tracks:
        return math.inf
    jx, jy = flight.at(185.0)
    return math.hypot(track.x[0] - jx, track.x[1] - jy)


def test_a_row_of_nodes_keeps_a_lagging_track_on_its_jet() -> None:
    # Without the fix the lagging track loses every node's bearings and is deleted (6 seeds of 6);
    # with it, measured: 4 of 6 end within 0.9 km of the jet, as a track started on it does.
    assert all(_row_of_nodes(seed, 12_000.0, None) == math.inf for seed in range(6))
    assert sum(_row_of_nodes(seed, 12_000.0, AlongCourse()) < 1000.0 for seed in range(6)) >= 4
    assert all(_row_of_nodes(seed, 0.0, AlongCourse()) < 1500.0 for seed in range(6))


def test_a_track_on_its_jet_is_left_alone() -> None:
    moved = sum(_run(seed, miss, 0.0, AlongCourse())[1] > 0 for seed in SEEDS for miss in MISSES)
    assert moved <= 1


@settings(max_examples=60, deadline=None)
@given(
    heading=st.floats(0.0, 2.0 * math.pi),
    speed=st.floats(120.0, 300.0),
    miss=st.floats(-8000.0, 8000.0).filter(lambda m: abs(m) > 300.0),
    abeam_s=st.floats(10.0, 50.0),
)
def test_noise_free_bearings_place_the_aircraft(
    heading: float, speed: float, miss: float, abeam_s: float
) -> None:
    ux, uy = math.sin(heading), math.cos(heading)
    x0, y0 = miss * uy - abeam_s * speed * ux, -miss * ux - abeam_s * speed * uy
    flight = Flight(x0, y0, speed * ux, speed * uy, alt=4500.0)
    rng = np.random.default_rng(0)
    heard = [b for t in range(0, 61, 5) for b in bearings(flight, NODE, float(t), rng, 0.0, audible=1e9)]
    # Exact bearings, weighed as the usual 3° ones.
    fixes = [replace(f, sigma_rad=math.radians(3.0)) for f in heard]
    found = fit_on_course(fixes, speed * ux, speed * uy, 4500.0)
    assert found is not None
    x, y = flight.at(60.0)
    # Within half the fit's own doubt at 3° (its travel times are settled to 0.02 s, not exactly).
    doubt = math.sqrt(found.cov[0] + found.cov[3])
    assert math.hypot(found.x - x, found.y - y) < max(150.0, 0.5 * doubt)
    assert found.rms < 0.2


def test_a_still_bearing_places_nothing() -> None:
    # One direction heard three times: every point of the ray fits, none is placed.
    like = (1.0, 0.1, 0.1)
    fixes = [BearingFix(t, 0.0, 0.0, 1.0, 0.05, "n", 0.2, like, "jet") for t in (0.0, 0.0, 0.0)]
    assert fit_on_course(fixes, 0.0, 0.0, 4500.0) is None


@settings(max_examples=60, deadline=None)
@given(
    heading=st.floats(0.0, 2.0 * math.pi),
    ahead=st.floats(-20_000.0, 20_000.0),
    sigma_along=st.floats(200.0, 5000.0),
    sigma_across=st.floats(200.0, 5000.0),
    variance=st.floats(1e4, 1e7),
)
def test_the_fix_moves_a_track_along_its_course_only(
    heading: float, ahead: float, sigma_along: float, sigma_across: float, variance: float
) -> None:
    ux, uy = math.sin(heading), math.cos(heading)
    rot = np.array([[ux, -uy], [uy, ux]])
    pos = rot @ np.diag([sigma_along**2, sigma_across**2]) @ rot.T
    p = np.zeros((4, 4))
    p[:2, :2] = pos
    p[2:, 2:] = np.eye(2) * 100.0
    track = Track(
        id="T",
        t=0.0,
        x=np.array([1000.0, -2000.0, 200.0 * ux, 200.0 * uy]),
        p=p,
        type_probs=np.array([0.9, 0.05, 0.05]),
        created=0.0,
        last_update=0.0,
    )
    before = track.x.copy()
    z0 = ux * before[0] + uy * before[1]
    along_update(track, z0 + ahead, ux, uy, variance)
    moved = track.x[:2] - before[:2]
    step = ux * moved[0] + uy * moved[1]
    # Along the course, towards the fix and not past it; not across it.
    assert abs(uy * moved[0] - ux * moved[1]) < 1e-6 * max(1.0, abs(ahead))
    assert min(0.0, ahead) - 1e-6 <= step <= max(0.0, ahead) + 1e-6
    assert np.allclose(track.x[2:], before[2:])


def test_parse() -> None:
    assert AlongCourse.parse("on") == AlongCourse()
    c = AlongCourse.parse("5:4:60:15")
    assert (c.min_offset_m, c.min_bearings, c.window_s, c.min_span_deg) == (5000.0, 4, 60.0, 15.0)
    assert c.type_speed and not AlongCourse.parse("5:4:60:15:track").type_speed
    with pytest.raises(ValueError):
        AlongCourse.parse("5")
