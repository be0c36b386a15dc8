"""The assessor finds a track's recent path by bisection: the same points the walks over it found.

A track's history is kept in time order (``Track.remember``), so the points of a window (the
circling window, the second-pass window) are a run of it, found by bisection with the window's
own tests. Held here to the walks it replaced (every point tested), on the tracks of replays of
the public scenarios (real paths: orbits, turns back, formations, late reports) at every step.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import Stepper
from nadhir.threat.assessor import CIRCLE_WINDOW_S, RETURN_GAP_S, RETURN_WINDOW_S, ThreatAssessor
from nadhir.tracking.motion import PROFILES
from nadhir.tracking.track import Track

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _window_by_walk(track: Track) -> list[tuple[float, float, float]]:
    """The second-pass window's points as _returning found them before: every point tested."""
    return [h for h in track.history if RETURN_GAP_S <= track.t - h[0] <= RETURN_WINDOW_S]


def _returning_by_walk(
    assessor: ThreatAssessor, track: Track, idx: NDArray[np.intp], reach: NDArray[np.float64]
) -> NDArray[np.bool_]:
    window = _window_by_walk(track)
    if not window:
        return np.zeros(len(idx), dtype=bool)
    hx, hy = np.array([h[1] for h in window]), np.array([h[2] for h in window])
    d2 = (hx[:, None] - assessor._x[idx]) ** 2 + (hy[:, None] - assessor._y[idx]) ** 2
    out: NDArray[np.bool_] = np.min(d2, axis=0) <= reach * reach
    return out


def _circle_start_by_walk(track: Track) -> int:
    """The circling window's first point as _orbit found it before: walking back from the newest."""
    first = len(track.history)
    for h in reversed(track.history):
        if track.t - h[0] > CIRCLE_WINDOW_S:
            break
        first -= 1
    return first


def _orbit_by_walk(track: Track, cruise: float) -> tuple[float, ...] | None:
    """_orbit as it was, from the walked window start (the rest as it is)."""
    hist: list[tuple[float, float, float]] = []
    last = -math.inf
    for h in itertools.islice(track.history, _circle_start_by_walk(track), None):
        if h[0] - last >= 20.0:
            hist.append(h)
            last = h[0]
    saved = track.history
    track.history = type(saved)(hist, maxlen=saved.maxlen)
    try:
        # The sampled points alone, each 20 s or more after the last: _orbit samples them as they are.
        got = ThreatAssessor._orbit(track, cruise)
    finally:
        track.history = saved
    return None if got is None else (got[0], got[1], got[2], *got[3].tolist(), *got[4].tolist())


@pytest.mark.parametrize("name", ["idlib-twists", "sim-wadi-karam-5", "hama-burst"])
def test_the_path_windows_are_those_the_walks_found(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    pipeline = build_pipeline(scenario)
    assessor = pipeline.assessor
    checked = {"returning": 0, "orbits": 0}
    every = np.arange(len(assessor.sites))
    reach = assessor._r_eff

    def check(_: object) -> None:
        for track in pipeline.tracker.tracks.values():
            history = track.history
            assert all(a[0] <= b[0] for a, b in itertools.pairwise(history))  # (what bisection needs)
            got = assessor._returning(track, every, reach)
            assert np.array_equal(got, _returning_by_walk(assessor, track, every, reach))
            checked["returning"] += bool(_window_by_walk(track))
            cruise = PROFILES[track.aircraft].cruise_mps
            orbit = assessor._orbit(track, cruise)
            want = _orbit_by_walk(track, cruise)
            got_orbit = None if orbit is None else (*orbit[:3], *orbit[3].tolist(), *orbit[4].tolist())
            assert got_orbit == want
            checked["orbits"] += orbit is not None

    stepper = Stepper(pipeline, on_alert=lambda a: None, on_track=check)
    stepper.run(event for _, event in scenario.events())
    assert checked["returning"] > 100
    if name != "hama-burst":
        assert checked["orbits"] > 0
