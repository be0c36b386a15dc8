"""A node's bearing rate in the gate (tracking/bearing_rate.py, opt-in).

A jet's track lagging 12 km behind it on its course lies, from a node the jet passes 2 km off,
in about the jet's direction, so it claims the node's bearings; it cannot turn the node's
bearing as fast as the passing jet does, and with the rate gate it no longer claims them.
"""

from __future__ import annotations

import math

import numpy as np
from simulate import Flight, bearings, lagging_jet_track

from nadhir.tracking.bearing_rate import BearingRateGate, BearingRates, TrackMotion
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.motion import SOUND_LIKELIHOOD
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
    return lagging_jet_track(flight, HEADING, behind_m)


def _run(
    flight: Flight, fixes: list[BearingFix], behind_m: float, rate: BearingRateGate | None
) -> tuple[Tracker, int]:
    tracker = Tracker(bearing_rate=rate)
    track = _track(flight, behind_m)
    tracker.tracks[track.id] = track
    for fix in fixes:
        tracker.step(fix.t, [fix])
    return tracker, track.hits - 10


def _node(bearings_deg: list[float], every_s: float, source: str = "n1") -> list[BearingFix]:
    like = SOUND_LIKELIHOOD["jet"]
    return [
        BearingFix(k * every_s, 0.0, 0.0, math.radians(b), math.radians(3.0), source, 0.2, like, "jet")
        for k, b in enumerate(bearings_deg)
    ]


def test_a_far_track_cannot_explain_a_fast_swing() -> None:
    rates = BearingRates(BearingRateGate())
    # A node's bearing swinging 10° a second, clockwise, across north: 340° to 30° in 10 s.
    swing = _node([340.0, 350.0, 0.0, 10.0, 20.0, 30.0], 2.0)
    assert rates.observed(swing[0]) is None
    rates.remember(swing[:-1])
    rate = rates.observed(swing[-1])
    assert rate is not None and 4.5 < math.degrees(rate.rate) < 5.5
    # Tracks due north of the node (where the swing now points, about) flying east at 250 m/s:
    # 15 km off it turns the bearing 1° a second, 2.5 km off 5°.
    far = TrackMotion(2600.0, 15_000.0, 250.0, 0.0, 1500.0, 30.0)
    near = TrackMotion(430.0, 2500.0, 250.0, 0.0, 300.0, 30.0)
    assert not rates.explains(rate, swing[-1], far)
    assert rates.explains(rate, swing[-1], near)
    # Flying west, the near track would turn it the other way.
    assert not rates.explains(rate, swing[-1], TrackMotion(430.0, 2500.0, -250.0, 0.0, 300.0, 30.0))


def test_a_slow_turn_or_a_lone_bearing_gates_nothing() -> None:
    rates = BearingRates(BearingRateGate())
    slow = _node([0.0, 0.5, 1.0, 1.5, 2.0], 3.0)
    rates.remember(slow[:-1])
    rate = rates.observed(slow[-1])
    assert rate is not None
    assert rates.explains(rate, slow[-1], TrackMotion(0.0, 15_000.0, 250.0, 0.0, 1500.0, 30.0))
    # Another node's bearing, or bearings spanning too short a time, give no rate.
    assert rates.observed(_node([0.0, 90.0], 10.0, source="n2")[-1]) is None
    brief = BearingRates(BearingRateGate())
    quick = _node([0.0, 10.0, 20.0], 1.0)
    brief.remember(quick[:-1])
    assert brief.observed(quick[-1]) is None


def test_a_lagging_track_loses_the_bearings_it_cannot_turn() -> None:
    flight, fixes = _pass(1, 2000.0)
    _, claimed_without = _run(flight, fixes, 12_000.0, None)
    _, claimed_with = _run(flight, fixes, 12_000.0, BearingRateGate())
    assert claimed_without >= claimed_with + 2


def test_a_track_on_the_jet_keeps_its_bearings() -> None:
    flight, fixes = _pass(2, 2000.0)
    _, claimed_without = _run(flight, fixes, 0.0, None)
    _, claimed_with = _run(flight, fixes, 0.0, BearingRateGate())
    assert claimed_with == claimed_without > 10
