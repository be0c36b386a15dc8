"""A lone node's bearing sweep places a jet from the type's speed (tracking/sweep.py, opt-in).

A jet flying high past one node, heard by no other: the initiator's crossings need two nodes,
so without the sweep no track starts from its bearings however many there are; with it, the
bearings and the jet's speed place it on its leg.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from simulate import Flight, bearings, lagging_jet_track

from nadhir.geo.compass import wrap_pi
from nadhir.tracking.initiator import Initiator
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.sweep import SweepStart, fit_sweep
from nadhir.tracking.tracker import Tracker

NODE = [(0.0, 0.0)]


def _pass(
    seed: int, miss_m: float, sigma_deg: float, sound: str = "jet", audible: float = 12_000.0
) -> tuple[Flight, list[BearingFix]]:
    """A jet at 200 m/s, 4.5 km up, flying north-east past the node ``miss_m`` off; one bearing
    every 12 s for a minute."""
    heading = math.radians(40.0)
    ux, uy = math.sin(heading), math.cos(heading)
    # At t = 30 s it is abeam the node, miss_m to its right.
    x0, y0 = miss_m * uy - 30.0 * 200.0 * ux, -miss_m * ux - 30.0 * 200.0 * uy
    flight = Flight(x0, y0, 200.0 * ux, 200.0 * uy, alt=4500.0)
    rng = np.random.default_rng(seed)
    fixes = [
        b for t in range(0, 61, 12) for b in bearings(flight, NODE, float(t), rng, sigma_deg, audible, sound)
    ]
    return flight, fixes


@pytest.mark.parametrize("seed", range(4))
def test_a_sweep_places_a_jet_on_its_leg(seed: int) -> None:
    flight, fixes = _pass(seed, 4000.0, 3.0)
    found = fit_sweep(fixes, 200.0, 4500.0)
    assert found is not None
    x, y = flight.at(found.t)
    assert math.hypot(found.x - x, found.y - y) < 2000.0
    course = math.atan2(found.vx, found.vy)
    assert abs(math.degrees(wrap_pi(course - math.radians(40.0)))) < 20.0


def test_only_a_lone_nodes_jet_sweep_starts_a_track() -> None:
    _, fixes = _pass(0, 4000.0, 3.0)
    with_sweep, without = Initiator(SweepStart(window_s=90.0, min_bearings=4)), Initiator()
    started = [new for fix in fixes for new, _ in with_sweep.from_bearings([fix])]
    assert len(started) == 1 and started[0].aircraft == "jet"
    assert not [new for fix in fixes for new, _ in without.from_bearings([fix])]
    # A helicopter's sound has no jet's speed to place it by.
    _, heard = _pass(0, 4000.0, 3.0, sound="helicopter")
    helicopter = Initiator(SweepStart(window_s=90.0, min_bearings=4))
    assert not [new for fix in heard for new, _ in helicopter.from_bearings([fix])]


def test_a_narrow_sweep_places_nothing() -> None:
    # Far off (40 km) the bearings turn 17 degrees in a minute: the range would be the speed's guess.
    _, fixes = _pass(0, 40_000.0, 3.0, audible=60_000.0)
    assert len(fixes) == 6
    initiator = Initiator(SweepStart(window_s=90.0, min_bearings=4, min_span_deg=20.0))
    assert not [new for fix in fixes for new, _ in initiator.from_bearings([fix])]


def test_bearings_a_lagging_track_claims_still_place_the_jet() -> None:
    """A jet's track 12 km behind it on its course claims the bearings of a node the jet passes
    (the node sees the jet's sound and the track in about the same direction); with
    ``claimed_far_m`` the node's sweep still places the jet, and a track starts there."""
    flight, fixes = _pass(1, 2000.0, 3.0)
    heading = math.radians(40.0)

    def run(sweep: SweepStart | None) -> tuple[Tracker, int]:
        tracker = Tracker(initiator=Initiator(sweep))
        lag = lagging_jet_track(flight, heading, 12_000.0)
        tracker.tracks[lag.id] = lag
        for fix in fixes:
            tracker.step(fix.t, [fix])
        return tracker, lag.hits

    without, claimed = run(None)
    assert claimed > 10  # the lagging track took the node's bearings
    x, y = flight.at(60.0)
    near = lambda tracker: [  # noqa: E731
        t for t in tracker.tracks.values() if math.hypot(t.x[0] - x, t.x[1] - y) < 3000.0
    ]
    assert not near(without)
    with_sweep, _ = run(SweepStart(window_s=90.0, min_bearings=4, claimed_far_m=8000.0))
    assert near(with_sweep)
