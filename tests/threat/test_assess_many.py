"""Assessing a step's tracks together gives, track by track, the threats assessing each alone gives."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.domain import Site
from nadhir.geo.frame import LocalFrame
from nadhir.threat.assessor import ThreatAssessor
from nadhir.tracking.track import Track

FRAME = LocalFrame(35.9, 36.6)
_KM = st.floats(-60_000.0, 60_000.0, allow_nan=False)


def _site(k: int, x: float, y: float, radius: float, kind: str) -> Site:
    lat, lon = FRAME.to_latlon(x, y)
    return Site(id=f"s{k}", name=f"s{k}", kind=kind, lat=lat, lon=lon, radius_m=radius)


@st.composite
def _sites(draw: st.DrawFn) -> list[Site]:
    n = draw(st.integers(1, 40))
    return [
        _site(
            k,
            draw(_KM),
            draw(_KM),
            draw(st.floats(300.0, 6000.0)),
            draw(st.sampled_from(["town", "hospital", "camp"])),
        )
        for k in range(n)
    ]


@st.composite
def _tracks(draw: st.DrawFn, t: float) -> Track:
    """A track of any type, speed and spread, with a recent path: a line, an orbit, or a turn back."""
    kind = draw(st.integers(0, 2))
    probs = np.full(3, 0.05)
    probs[kind] = draw(st.floats(0.2, 0.95))
    x, y = draw(_KM), draw(_KM)
    speed = draw(st.sampled_from([0.0, 3.0, 20.0, 60.0, 200.0, 300.0]))
    heading = draw(st.floats(0.0, 2 * math.pi))
    vx, vy = speed * math.cos(heading), speed * math.sin(heading)
    sigma = draw(st.sampled_from([30.0, 400.0, 900.0, 1500.0, 3000.0]))
    vel_sigma = draw(st.sampled_from([1.0, 10.0, 40.0]))
    track = Track(
        id=f"T{draw(st.integers(0, 10**6))}",
        t=t,
        x=np.array([x, y, vx, vy]),
        p=np.diag([sigma**2, sigma**2 * draw(st.floats(0.5, 2.0)), vel_sigma**2, vel_sigma**2]),
        type_probs=probs / probs.sum(),
        created=t - 900.0,
        last_update=t,
    )
    for k in range(draw(st.integers(0, 3))):
        track.add_evidence(f"src{k}", draw(st.floats(0.0, 0.6)))
    path = draw(st.sampled_from(["none", "line", "orbit", "back"]))
    radius = draw(st.floats(500.0, 9000.0))
    cx, cy = x + draw(st.floats(-3000.0, 3000.0)), y + draw(st.floats(-3000.0, 3000.0))
    for k in range(60):
        age = 600.0 - 10.0 * k
        if path == "line":
            point = (x - vx * age, y - vy * age)
        elif path == "orbit":
            angle = 2 * math.pi * age / 240.0
            point = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
        elif path == "back":  # flew out through where it is now and is turning in again
            point = (x + vx * (age - 120.0) * (1 if age > 120.0 else -1), y + vy * (age - 120.0))
        else:
            break
        track.history.append((t - age, *point))
    return track


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_tracks_assessed_together_are_each_assessed_as_alone(data: st.DataObject) -> None:
    t = data.draw(st.floats(0.0, 10_000.0))
    assessor = ThreatAssessor(data.draw(_sites()), FRAME)
    tracks = data.draw(st.lists(_tracks(t), min_size=0, max_size=12))
    jobs = [(track, data.draw(st.one_of(st.none(), st.just(frozenset({"w1", "w2"}))))) for track in tracks]
    alone = [assessor.assess(track, t, witnesses) for track, witnesses in jobs]
    together = assessor.assess_many(jobs, t)
    assert together == alone
    # (the same bits, not only equal floats: -0.0 and 0.0 compare equal)
    assert [[repr(th) for th in threats] for threats in together] == [
        [repr(th) for th in threats] for threats in alone
    ]


def test_a_step_of_well_known_shapes_is_assessed_the_same_together() -> None:
    """Fixed cases that are each a branch: a still track, one on course, one ringing a town, one faint."""
    sites = [_site(k, 8000.0 * (k % 5), 8000.0 * (k // 5), 2000.0, "town") for k in range(25)]
    assessor = ThreatAssessor(sites, FRAME)
    t = 1000.0
    still = _fixed("still", 1.0, 1.0, 0.0, 0.0, t)
    course = _fixed("course", -20_000.0, 8000.0, 200.0, 0.0, t)
    ring = _fixed("ring", 21_000.0, 16_000.0, 0.0, 40.0, t)
    for k in range(25):
        angle = 2 * math.pi * k / 24
        ring.history.append(
            (t - 240.0 + 10.0 * k, 16_000.0 + 5000.0 * math.cos(angle), 16_000.0 + 5000.0 * math.sin(angle))
        )
    faint = _fixed("faint", 0.0, 0.0, 200.0, 0.0, t, evidence=0.01)
    # Back at a town it flew over three minutes ago (a second pass), and attack passes through one.
    back = _fixed("back", -10_000.0, 0.0, 200.0, 0.0, t)
    back.history.extend([(t - 300.0, 2000.0, 0.0), (t - 200.0, 0.0, 0.0), (t - 100.0, -8000.0, 0.0)])
    passes = _fixed("passes", 16_000.0, 25_000.0, 0.0, -200.0, t)
    for k in range(13):
        angle = 2 * math.pi * k / 12
        passes.history.append(
            (t - 240.0 + 20.0 * k, 16_000.0 + 1500.0 * math.sin(angle), 16_000.0 + 9000.0 * math.cos(angle))
        )
    tracks = [still, course, ring, faint, back, passes]
    jobs: list[tuple[Track, frozenset[str] | None]] = [(track, None) for track in tracks]
    together = assessor.assess_many(jobs, t)
    assert together == [assessor.assess(track, t) for track in tracks]
    assert together[0] and together[1] and together[2] and together[3] == []
    assert {th.site: th.cue for th in together[4]}["s0"] == "circling"
    assert {th.site: (th.cue, th.eta) for th in together[5]}["s12"] == ("circling", t)


def _fixed(track_id: str, x: float, y: float, vx: float, vy: float, t: float, evidence: float = 0.6) -> Track:
    track = Track(
        id=track_id,
        t=t,
        x=np.array([x, y, vx, vy]),
        p=np.diag([300.0**2, 300.0**2, 5.0**2, 5.0**2]),
        type_probs=np.array([0.9, 0.05, 0.05]),
        created=0.0,
        last_update=t,
    )
    track.add_evidence("src", evidence)
    return track
