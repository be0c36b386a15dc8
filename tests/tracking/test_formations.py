"""Crossing tracks, close formations, the exact association grid, determinism."""

from __future__ import annotations

import math

import numpy as np
from simulate import Flight, bearings, sensor_grid, sighting

from nadhir.tracking.associator import Associator
from nadhir.tracking.measurements import BearingFix
from nadhir.tracking.tracker import Tracker
from nadhir.tracking.updater import Updater


def _nearest(track_xy: tuple[float, float], flights: list[Flight], t: float) -> int:
    d = [math.hypot(track_xy[0] - f.at(t)[0], track_xy[1] - f.at(t)[1]) for f in flights]
    return int(np.argmin(d))


def test_formation_report_starts_one_track_per_aircraft() -> None:
    rng = np.random.default_rng(5)
    lead = Flight(0.0, 0.0, 200.0, 0.0)
    tracker = Tracker()
    tracker.step(0.0, [sighting(lead, 0.0, rng, source="obs", count=3)])
    tracks = list(tracker.tracks.values())
    assert len(tracks) == 3
    assert len({t.group for t in tracks}) == 1
    # A later report of the same formation from someone else updates every member.
    tracker.step(30.0, [sighting(lead, 30.0, rng, source="obs2", count=3)])
    assert len(tracker.tracks) == 3
    assert all(t.last_update == 30.0 for t in tracker.tracks.values())


def test_close_formation_followed_without_swaps() -> None:
    """Two jets 3 km apart, side by side, each heard by the sensors: two tracks that keep their aircraft.

    3 km is closer than one sighting's error (1.5 km each way) and two bearing
    sigmas at 15 km; the formation is reported as one sighting of two.
    """
    rng = np.random.default_rng(6)
    left = Flight(-30_000.0, 1500.0, 200.0, 0.0, alt=4500.0)
    right = Flight(-30_000.0, -1500.0, 200.0, 0.0, alt=4500.0)
    flights = [left, right]
    sensors = sensor_grid(4000.0, 32_000.0)
    tracker = Tracker()
    owner: dict[str, int] = {}
    for t in range(0, 300, 2):
        batch: list = []
        if t % 60 == 0:
            batch.append(sighting(left, float(t), rng, sigma=1500.0, source=f"obs{t}", count=2))
        if t % 4 == 0:
            for k, f in enumerate(flights):
                batch.extend(bearings(f, sensors, float(t), rng, sigma_deg=3.0, source_prefix=f"a{k}-"))
        # Each sensor reports each aircraft it hears under one node id: regroup by node.
        batch = [
            BearingFix(
                m.t,
                m.sx,
                m.sy,
                m.bearing_rad,
                m.sigma_rad,
                m.source.split("-")[1],
                m.evidence,
                m.type_likelihood,
                m.sound_class,
            )
            if isinstance(m, BearingFix)
            else m
            for m in batch
        ]
        tracker.step(float(t), batch)
        if t >= 120:
            for track in tracker.tracks.values():
                if track.status == "confirmed":
                    k = _nearest(track.position, flights, float(t))
                    assert owner.setdefault(track.id, k) == k, f"track {track.id} swapped aircraft at {t}"
    confirmed = [t for t in tracker.tracks.values() if t.status == "confirmed"]
    assert len(confirmed) == 2
    assert {_nearest(t.position, flights, t.t) for t in confirmed} == {0, 1}
    for track in confirmed:
        f = flights[_nearest(track.position, flights, track.t)]
        x, y = f.at(track.t)
        assert math.hypot(track.position[0] - x, track.position[1] - y) < 1000


def test_crossing_jets_keep_their_identity() -> None:
    rng = np.random.default_rng(7)
    a = Flight(-25_000.0, -25_000.0, 150.0, 150.0, alt=4500.0)
    b = Flight(25_000.0, -25_000.0, -150.0, 150.0, alt=4500.0)
    flights = [a, b]
    sensors = sensor_grid(6000.0, 36_000.0)
    tracker = Tracker()
    owner: dict[str, int] = {}
    for t in range(0, 330, 3):
        batch: list = []
        if t % 45 == 0:
            batch += [
                sighting(f, float(t), rng, sigma=1500.0, source=f"obs{k}") for k, f in enumerate(flights)
            ]
        batch += [
            m
            for k, f in enumerate(flights)
            for m in bearings(f, sensors, float(t), rng, 3.0, 20_000.0, source_prefix="n")
        ]
        tracker.step(float(t), batch)
        if t >= 60:
            for track in tracker.tracks.values():
                if track.status == "confirmed":
                    owner.setdefault(track.id, _nearest(track.position, flights, float(t)))
    confirmed = [t for t in tracker.tracks.values() if t.status == "confirmed"]
    assert len(confirmed) == 2
    # After crossing (at t ~ 167 s) each track still follows the aircraft it followed before.
    for track in confirmed:
        assert owner[track.id] == _nearest(track.position, flights, track.t)
        vx, vy = flights[owner[track.id]].velocity(track.t)
        assert math.degrees(abs(math.atan2(track.velocity[0], track.velocity[1]) - math.atan2(vx, vy))) < 20


def test_grid_association_gives_the_same_result_as_all_pairs() -> None:
    rng = np.random.default_rng(8)
    tracker = Tracker()
    flights = [
        Flight(float(x), float(y), float(vx), float(vy), alt=3000.0)
        for x, y, vx, vy in zip(
            rng.uniform(-150_000, 150_000, 60),
            rng.uniform(-150_000, 150_000, 60),
            rng.uniform(-200, 200, 60),
            rng.uniform(-200, 200, 60),
            strict=True,
        )
    ]
    tracker.step(0.0, [sighting(f, 0.0, rng, source=f"o{k}") for k, f in enumerate(flights)])
    sensors = sensor_grid(10_000.0, 150_000.0)
    batch = [m for f in flights for m in bearings(f, sensors, 10.0, rng, 5.0, 20_000.0)]
    tracks = list(tracker.tracks.values())
    for track in tracks:
        tracker.predictor.predict(track, 10.0)
    assoc = Associator(Updater())
    assert len(batch) > 100
    assert assoc.assign_bearings(tracks, batch, use_grid=True) == assoc.assign_bearings(
        tracks, batch, use_grid=False
    )


def test_tracker_is_deterministic() -> None:
    def once() -> list[tuple[str, float, float]]:
        rng = np.random.default_rng(9)
        flights = [
            Flight(-20_000.0, 0.0, 180.0, 10.0, alt=4000.0),
            Flight(0.0, -20_000.0, 5.0, 60.0, alt=800.0),
        ]
        sensors = sensor_grid(5000.0, 30_000.0)
        tracker = Tracker()
        for t in range(0, 240, 4):
            batch: list = []
            if t % 40 == 0:
                batch += [sighting(f, float(t), rng, source=f"o{k}") for k, f in enumerate(flights)]
            batch += [m for f in flights for m in bearings(f, sensors, float(t), rng)]
            tracker.step(float(t), batch)
        return [(t.id, *t.position) for t in tracker.tracks.values()]

    assert once() == once()
