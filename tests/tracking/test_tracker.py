import math

import numpy as np
from simulate import Flight, bearings, sensor_grid, sighting

from nadhir.tracking.tracker import Tracker


def _fly(
    flights: list[Flight], seconds: int, rng: np.random.Generator, sound: str = "jet", report_every: int = 60
) -> Tracker:
    tracker = Tracker()
    sensors = sensor_grid(8000.0, 40_000.0)
    for t in range(0, seconds, 2):
        batch = []
        for k, f in enumerate(flights):
            if t % report_every == 0:
                batch.append(sighting(f, float(t), rng, source=f"obs{k}", aircraft=sound))
            if t % 4 == 0:
                batch.extend(bearings(f, sensors, float(t), rng, sound=sound))
        tracker.step(float(t), batch)
    return tracker


def test_single_jet_is_tracked_accurately() -> None:
    rng = np.random.default_rng(1)
    jet = Flight(-30_000.0, -20_000.0, 150.0, 120.0)
    tracker = _fly([jet], 300, rng)
    confirmed = [t for t in tracker.tracks.values() if t.status == "confirmed"]
    assert len(confirmed) == 1
    track = confirmed[0]
    x, y = jet.at(track.t)
    assert math.hypot(track.position[0] - x, track.position[1] - y) < 1500
    assert abs(track.speed - math.hypot(150, 120)) < 40
    heading_err = math.degrees(math.atan2(track.velocity[0], track.velocity[1]) - math.atan2(150, 120))
    assert abs(heading_err) < 10
    assert track.aircraft == "jet"


def test_crossing_helicopters_keep_separate_tracks() -> None:
    rng = np.random.default_rng(2)
    a = Flight(-15_000.0, 0.0, 60.0, 0.0)
    b = Flight(0.0, -15_000.0, 0.0, 60.0)
    tracker = _fly([a, b], 500, rng, sound="helicopter", report_every=40)
    confirmed = [t for t in tracker.tracks.values() if t.status == "confirmed"]
    assert len(confirmed) == 2
    ends = [f.at(confirmed[0].t) for f in (a, b)]
    for track in confirmed:
        nearest = min(math.hypot(track.position[0] - x, track.position[1] - y) for x, y in ends)
        assert nearest < 2000
    headings = sorted(round(math.degrees(math.atan2(*t.velocity)) % 360) for t in confirmed)
    assert abs(headings[0] - 0) < 20 or abs(headings[0] - 360) < 20
    assert abs(headings[1] - 90) < 20


def test_unsupported_sighting_never_confirms_and_is_deleted() -> None:
    rng = np.random.default_rng(3)
    ghost = Flight(0.0, 0.0, 50.0, 0.0)
    tracker = Tracker()
    fix = sighting(ghost, 0.0, rng, source="stranger")
    tracker.step(0.0, [fix])
    assert len(tracker.tracks) == 1
    assert next(iter(tracker.tracks.values())).status == "tentative"
    removed = tracker.advance(1000.0).deleted
    assert removed and not tracker.tracks


def test_life_cycle_tentative_confirmed_coasting_deleted() -> None:
    rng = np.random.default_rng(4)
    heli = Flight(0.0, 0.0, 50.0, 0.0)
    tracker = Tracker()
    tracker.step(0.0, [sighting(heli, 0.0, rng, source="a", aircraft="helicopter")])
    track = next(iter(tracker.tracks.values()))
    assert track.stage == "tentative"
    tracker.step(20.0, [sighting(heli, 20.0, rng, source="b", aircraft="helicopter")])
    assert track.stage == "tentative"  # two witnesses, but only two reports
    tracker.step(40.0, [sighting(heli, 40.0, rng, source="a", aircraft="helicopter")])
    assert track.stage == "confirmed"
    tracker.advance(200.0)
    assert track.id in tracker.tracks and track.stage == "coasting"
    removed = tracker.advance(40.0 + track.coast_limit_s() + 1.0).deleted
    assert [t.id for t in removed] == [track.id]


def test_evidence_alone_does_not_confirm_a_track_the_tracker_does() -> None:
    rng = np.random.default_rng(5)
    heli = Flight(0.0, 0.0, 50.0, 0.0)
    tracker = Tracker()
    tracker.step(0.0, [sighting(heli, 0.0, rng, source="a", aircraft="helicopter")])
    track = next(iter(tracker.tracks.values()))
    track.hits = 5
    track.add_evidence("b", 0.6)
    track.add_evidence("c", 0.6)
    assert track.ready_to_confirm and track.status == "tentative"  # no hidden change of status
    tracker.step(20.0, [sighting(heli, 20.0, rng, source="d", aircraft="helicopter")])
    assert track.status == "confirmed"  # the tracker's credit for a measurement confirms it
