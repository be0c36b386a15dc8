"""A node's bearing rate in the gate (tracking/bearing_rate.py, opt-in).

A jet's track lagging 12 km behind it on its course lies, from a node the jet passes 2 km off,
in about the jet's direction, so it claims the node's bearings; it cannot turn the node's
bearing as fast as the passing jet does, and with the rate gate it no longer claims them.
"""

from __future__ import annotations

import math

import numpy as np
from simulate import Flight, bearings

from nadhir.tracking.bearing_rate import BearingRateGate, BearingRates, TrackMotion
from nadhir.tracking.initiator import Initiator
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.motion import SOUND_LIKELIHOOD
from nadhir.tracking.sweep import SweepStart
from nadhir.tracking.track import Track
from nadhir.tracking.tracker import Tracker

HEADING = math.radians(40.0)
NODE = [(0.0, 0.0)]


def _pass(seed: int, miss_m: float) -> tuple[Flight, list[BearingFix]]:
    """A jet at 200 m/s, 4.5 km up, abeam the node ``miss_m`` off at t = 30 s; a bearing every
    4 s for a minute, 3° noise."""
    ux, uy = math.sin(HEADING), math.cos(HEADING)
    x0, y0 = miss_m * uy - 30.0 * 200.0 * ux, -miss_m * ux - 30.0 * 200.0 * uy
    flight = Flight(x0, y0, 200.0 * ux, 200.0 * uy, alt=4500.0)
    rng = np.random.default_rng(seed)
    fixes = [b for t in range(0, 61, 4) for b in bearings(flight, NODE, float(t), rng, 3.0)]
    return flight, fixes


def _track(flight: Flight, behind_m: float) -> Track:
    """A confirmed jet track ``behind_m`` behind the jet on its course, at its speed."""
    x, y = flight.at(0.0)
    track = Track(
        id="T0",
        t=0.0,
        x=np.array(
            [
                x - behind_m * math.sin(HEADING),
                y - behind_m * math.cos(HEADING),
                200.0 * math.sin(HEADING),
                200.0 * math.cos(HEADING),
            ]
        ),
        p=np.diag([1500.0**2, 1500.0**2, 30.0**2, 30.0**2]),
        type_probs=np.array([0.9, 0.05, 0.05]),
        created=-300.0,
        last_update=0.0,
        status="confirmed",
        hits=10,
    )
    track.remember()
    return track


def _run(
    flight: Flight, fixes: list[BearingFix], behind_m: float, rate: BearingRateGate | None, sweep: SweepStart | None
) -> tuple[Tracker, int]:
    tracker = Tracker(initiator=Initiator(sweep), bearing_rate=rate)
    track = _track(flight, behind_m)
    tracker.tracks[track.id] = track
    for fix in fixes:
        tracker.step(fix.t, [fix])
    return tracker, track.hits - 10


def test_a_far_track_cannot_explain_a_fast_swing() -> None:
    rates = BearingRates(BearingRateGate())
    like = SOUND_LIKELIHOOD["jet"]
    first = BearingFix(0.0, 0.0, 0.0, 0.0, math.radians(3.0), "n1", 0.2, like, "jet")
    swung = BearingFix(10.0, 0.0, 0.0, math.radians(100.0), math.radians(3.0), "n1", 0.2, like, "jet")
    assert rates.observed(first) is None
    rates.remember([first])
    rate = rates.observed(swung)
    assert rate is not None
    far = TrackMotion(15_000.0, 0.0, 250.0, 1500.0, 30.0)
    near = TrackMotion(1500.0, 0.0, 250.0, 1500.0, 30.0)
    assert not rates.explains(rate, swung, far)
    assert rates.explains(rate, swung, near)
    # A slow turn (10° in 10 s) a far track explains; another node's bearing gives no rate.
    slow = BearingFix(10.0, 0.0, 0.0, math.radians(10.0), math.radians(3.0), "n1", 0.2, like, "jet")
    slow_rate = rates.observed(slow)
    assert slow_rate is not None and rates.explains(slow_rate, slow, far)
    other = BearingFix(10.0, 5.0, 0.0, math.radians(100.0), math.radians(3.0), "n2", 0.2, like, "jet")
    assert rates.observed(other) is None


def test_a_lagging_track_loses_the_bearings_it_cannot_turn() -> None:
    flight, fixes = _pass(1, 2000.0)
    _, claimed_without = _run(flight, fixes, 12_000.0, None, None)
    _, claimed_with = _run(flight, fixes, 12_000.0, BearingRateGate(), None)
    assert claimed_without >= claimed_with + 3


def test_a_track_on_the_jet_keeps_its_bearings() -> None:
    flight, fixes = _pass(2, 2000.0)
    _, claimed_without = _run(flight, fixes, 0.0, None, None)
    _, claimed_with = _run(flight, fixes, 0.0, BearingRateGate(), None)
    assert claimed_with == claimed_without > 10


def test_freed_bearings_start_a_track_at_the_jet_through_the_sweep() -> None:
    flight, fixes = _pass(1, 2000.0)
    x, y = flight.at(60.0)

    def near(tracker: Tracker) -> list[Track]:
        return [t for t in tracker.tracks.values() if math.hypot(t.x[0] - x, t.x[1] - y) < 3000.0]

    sweep = SweepStart(window_s=60.0, min_bearings=3)
    without, _ = _run(flight, fixes, 12_000.0, None, sweep)
    assert not near(without)
    with_rate, _ = _run(flight, fixes, 12_000.0, BearingRateGate(), sweep)
    assert near(with_rate)
