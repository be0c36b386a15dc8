"""A track path's bounding box kept up between asks, and passed_near's loop, against what they replace.

The corroboration tests whether a located blast is out of reach of a track's path by its
bounding box first. The box was built again from the whole history (some 165 points) at most
asks; :class:`PathBox` follows the history from the points added since the last ask. Both must
give the very values ``min`` and ``max`` over the whole history give, at every ask, whatever
the history did in between: grown by one point or many, trimmed by time or by its length, or
emptied and filled again. passed_near walks the history in a plain loop rather than ``any()``
over a copy of it: the same answer for every point and time.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.threat.corroboration import (
    IMPACT_LOOKBACK_S,
    IMPACT_REACH_M,
    MAX_SIGMA_ALLOWANCE_M,
    PathBox,
    passed_near,
)
from nadhir.tracking.track import Track


def box_afresh(history: deque[tuple[float, float, float]]) -> tuple[float, float, float, float]:
    """The box as the corroboration built it before: min and max over every point."""
    xs = [p[1] for p in history]
    ys = [p[2] for p in history]
    return (min(xs), min(ys), max(xs), max(ys))


def passed_near_by_copy(track: Track, x: float, y: float, t: float) -> bool:
    """passed_near as it was: any() over a copy of the history and the present position."""
    reach = IMPACT_REACH_M + min(track.sigma_m, MAX_SIGMA_ALLOWANCE_M)
    reach2 = reach * reach
    points = [*track.history, (track.t, float(track.x[0]), float(track.x[1]))]
    return any(
        t - IMPACT_LOOKBACK_S <= pt <= t + 1.0 and (px - x) ** 2 + (py - y) ** 2 <= reach2
        for pt, px, py in points
    )


def _track(x: float, y: float, sigma: float) -> Track:
    return Track(
        id="T1",
        t=0.0,
        x=np.array([x, y, 0.0, 0.0]),
        p=np.diag([sigma**2, sigma**2, 100.0, 100.0]),
        type_probs=np.array([0.8, 0.1, 0.1]),
        created=0.0,
        last_update=0.0,
        status="confirmed",
    )


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    grid=st.sampled_from([0.0, 1.0, 500.0]),  # positions on a coarse grid tie often, zeros of both signs
)
def test_the_kept_box_is_the_box_of_the_whole_history(seed: int, grid: float) -> None:
    rng = np.random.default_rng(seed)
    track = _track(0.0, 0.0, 300.0)
    box = None
    t = 0.0
    asks = 0
    for _ in range(900):
        roll = rng.random()
        # Time runs on by a second (the length cap trims), by more (the time window trims),
        # by nothing (points at one time), or by more than the whole window (one point left).
        t += float(rng.choice([0.0, 1.0, 1.0, 4.0, 30.0])) if roll > 0.01 else 700.0
        x, y = rng.normal(0.0, 3000.0, size=2)
        if grid:
            x, y = round(x / grid) * grid, round(y / grid) * grid
            if x == 0.0 and rng.random() < 0.5:  # zeros of both signs
                x = -0.0
        track.t = t
        track.x = np.array([x, y, 0.0, 0.0])
        track.remember()
        if rng.random() < 0.005:  # a history put back (a restored snapshot): other objects
            track.history = deque(((p[0], p[1], p[2]) for p in track.history), maxlen=240)
        if rng.random() < 0.3:
            asks += 1
            if box is None:
                box = PathBox(track.history)
                got = box.box
            else:
                got = box.update(track.history)
            assert repr(got) == repr(box_afresh(track.history))
    assert asks > 100


def test_the_kept_box_follows_the_history_when_its_sides_leave() -> None:
    history: deque[tuple[float, float, float]] = deque(maxlen=5)
    for k in range(5):
        history.append((float(k), float(k), -float(k)))
    box = PathBox(history)
    assert box.box == (0.0, -4.0, 4.0, 0.0)
    history.append((5.0, 2.0, 2.0))  # the point of x0 and y1 leaves by the length cap
    assert box.update(history) == box_afresh(history) == (1.0, -4.0, 4.0, 2.0)
    history.append((6.0, -9.0, 0.5))
    history.append((7.0, 3.0, -1.0))
    assert box.update(history) == box_afresh(history) == (-9.0, -4.0, 4.0, 2.0)
    history.clear()
    history.append((8.0, 7.0, 7.0))
    assert box.update(history) == (7.0, 7.0, 7.0, 7.0)


def test_a_first_point_not_a_number_gives_what_min_and_max_give() -> None:
    history: deque[tuple[float, float, float]] = deque(maxlen=3)
    for point in [(0.0, 1.0, 1.0), (1.0, math.nan, 2.0), (2.0, 3.0, 3.0)]:
        history.append(point)
    box = PathBox(history)
    assert repr(box.box) == repr(box_afresh(history))
    history.append((3.0, 0.5, 0.5))  # the history now starts with the point that is not a number
    assert repr(box.update(history)) == repr(box_afresh(history))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_passed_near_answers_as_the_walk_over_a_copy_did(seed: int) -> None:
    rng = np.random.default_rng(seed)
    track = _track(0.0, 0.0, float(rng.choice([100.0, 2000.0, 9000.0])))
    heading = rng.uniform(0.0, 2 * math.pi)
    speed = float(rng.choice([0.0, 60.0, 220.0]))
    t = 0.0
    for _ in range(int(rng.integers(0, 300))):
        t += float(rng.choice([1.0, 5.0, 20.0]))
        track.t = t
        track.x = track.x + np.array([speed * 5 * math.sin(heading), speed * 5 * math.cos(heading), 0.0, 0.0])
        track.remember()
    hits = 0
    for _ in range(200):
        # Points near the path and far from it, at times across the lookback's edges.
        if track.history and rng.random() < 0.7:
            pt, px, py = track.history[int(rng.integers(0, len(track.history)))]
            x, y = px + rng.normal(0.0, 4000.0), py + rng.normal(0.0, 4000.0)
            when = pt + float(
                rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0, IMPACT_LOOKBACK_S, IMPACT_LOOKBACK_S + 1])
            )
        else:
            x, y = rng.uniform(-80_000.0, 80_000.0, size=2)
            when = rng.uniform(-100.0, t + 700.0)
        want = passed_near_by_copy(track, float(x), float(y), when)
        assert passed_near(track, float(x), float(y), when) == want
        hits += want
    assert hits > 0 or not track.history


def test_the_first_of_equal_sides_stays_as_min_and_max_keep_it() -> None:
    history: deque[tuple[float, float, float]] = deque(maxlen=4)
    history.append((0.0, 0.0, -0.0))
    box = PathBox(history)
    history.append((1.0, -0.0, 0.0))  # equal to the sides, of the other sign: min and max keep the first
    assert repr(box.update(history)) == repr(box_afresh(history)) == repr((0.0, -0.0, 0.0, -0.0))
