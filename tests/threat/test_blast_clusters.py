"""A step's located blasts gathered by spot (opt-in ``Pipeline.blast_cluster_m``, ``BlastClusters``).

A blast heard by a country's sensors is located again by nearly every bearing that crosses an
earlier one; gathered, it is one hit at one spot with every node that heard it behind it, and the
locator still remembers every bearing for the next ones to cross.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.domain import AcousticDetection, Reporter, Site
from nadhir.engine.pipeline import Pipeline
from nadhir.geo.frame import LocalFrame
from nadhir.threat.impacts import (
    ACOUSTIC_CROSSING_TRUST,
    ACOUSTIC_SOURCE,
    BlastClusters,
    ExplosionBearing,
    ExplosionLocator,
    ImpactSighting,
)

FRAME = LocalFrame(35.9, 36.6)


def _heard(
    seed: int, nodes: int, noise: float, blast: tuple[float, float], t0: float = 100.0
) -> list[ExplosionBearing]:
    """Nodes scattered within 12 km of a blast at ``blast`` (x, y), each hearing it once, within
    a few seconds (sound's travel, rounded to the second), bearings off by ``noise`` radians."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(nodes):
        r, a = rng.uniform(1500.0, 12_000.0), rng.uniform(-math.pi, math.pi)
        x, y = blast[0] + r * math.sin(a), blast[1] + r * math.cos(a)
        lat, lon = FRAME.to_latlon(x, y)
        true = math.atan2(blast[0] - x, blast[1] - y)
        out.append(
            ExplosionBearing(
                t0 + round(r / 340.0), f"ac-{seed}-{k}", lat, lon, true + rng.normal(0, noise), 0.05
            )
        )
    out.sort(key=lambda b: b.t)
    return out


def _gather(locator: ExplosionLocator, spots: BlastClusters, bearings: list[ExplosionBearing]) -> int | None:
    """Feed bearings as the pipeline does with spots; the index of the first one located."""
    first = None
    for k, bearing in enumerate(bearings):
        if spots.explains(bearing):
            locator.remember(bearing)
            continue
        located = locator.add(bearing)
        if located is not None:
            spots.add(located)
            first = k if first is None else first
    return first


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    nodes=st.integers(3, 150),
    noise=st.sampled_from([0.0, 0.003, 0.01]),
)
def test_a_blast_heard_by_many_nodes_is_one_spot_with_every_node_after_the_first_fix_behind_it(
    seed: int, nodes: int, noise: float
) -> None:
    blast = (4000.0, -2500.0)
    bearings = _heard(seed, nodes, noise, blast)
    spots = BlastClusters(FRAME, 3000.0)
    first = _gather(ExplosionLocator(FRAME), spots, bearings)
    taken = spots.take()
    if first is None:  # (no two of a few nodes crossed steeply enough)
        assert taken == []
        return
    assert len(taken) == 1
    (spot,) = taken
    x, y = FRAME.to_xy(spot.lat, spot.lon)
    assert math.hypot(x - blast[0], y - blast[1]) < 1000.0
    assert spot.source == ACOUSTIC_SOURCE and spot.trust == ACOUSTIC_CROSSING_TRUST
    assert spot.t == max(b.t for b in bearings[first:])
    assert {b.sensor for b in bearings[first:]} <= spot.witnesses <= {b.sensor for b in bearings}
    assert not spots and spots.take() == []  # taken: the holder is empty for the next step
    # Without gathering, the same bearings locate the blast again and again.
    plain = ExplosionLocator(FRAME)
    located = [s for b in bearings if (s := plain.add(b)) is not None]
    assert len(located) >= 1 and (nodes < 20 or len(located) > 5)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), nodes=st.integers(3, 80))
def test_the_locator_remembers_every_bearing_it_did_not_locate(seed: int, nodes: int) -> None:
    """A later bearing crosses the remembered ones as it crosses those located one by one."""
    bearings = _heard(seed, nodes, 0.01, (0.0, 0.0))
    gathered, plain = ExplosionLocator(FRAME), ExplosionLocator(FRAME)
    _gather(gathered, BlastClusters(FRAME, 3000.0), bearings)
    for bearing in bearings:
        plain.add(bearing)
    # Next, a second blast 6 km away heard by other nodes 20 s later, and a bearing at the first.
    later = _heard(seed + 1, 10, 0.01, (6000.0, 0.0), t0=120.0)
    lat, lon = FRAME.to_latlon(-5000.0, 1000.0)
    later.append(ExplosionBearing(125.0, "ac-late", lat, lon, math.atan2(5000.0, -1000.0), 0.05))
    for bearing in later:
        assert gathered.add(bearing) == plain.add(bearing)


def test_spots_apart_stay_apart_and_a_bearing_joins_only_the_spot_it_points_at() -> None:
    spots = BlastClusters(FRAME, 3000.0)
    a, b = FRAME.to_latlon(0.0, 0.0), FRAME.to_latlon(9000.0, 0.0)
    spots.add(ImpactSighting(10.0, *a, ACOUSTIC_SOURCE, ACOUSTIC_CROSSING_TRUST, frozenset({"n1", "n2"})))
    spots.add(ImpactSighting(11.0, *b, ACOUSTIC_SOURCE, ACOUSTIC_CROSSING_TRUST, frozenset({"n3", "n4"})))
    near_a = FRAME.to_latlon(2000.0, 1000.0)  # 2.2 km from a: the same spot
    spots.add(
        ImpactSighting(12.0, *near_a, ACOUSTIC_SOURCE, ACOUSTIC_CROSSING_TRUST, frozenset({"n5", "n1"}))
    )
    node = FRAME.to_latlon(0.0, -10_000.0)  # 10 km south of a
    assert spots.explains(ExplosionBearing(13.0, "n6", *node, 0.0, 0.05))  # due north: at a
    assert not spots.explains(ExplosionBearing(13.0, "n7", *node, math.pi, 0.05))  # due south: away
    assert not spots.explains(ExplosionBearing(13.0, "n8", *node, math.radians(20.0), 0.05))  # past both
    far = FRAME.to_latlon(9000.0, -16_000.0)  # 16 km south of b: beyond a node's range
    assert not spots.explains(ExplosionBearing(13.0, "n9", *far, 0.0, 0.05))
    first, second = spots.take()
    assert (first.lat, first.lon, first.t) == (*a, 13.0)
    assert first.witnesses == {"n1", "n2", "n5", "n6"}
    assert (second.lat, second.lon, second.t, second.witnesses) == (*b, 11.0, {"n3", "n4"})


@pytest.mark.parametrize("radius", [0.0, -1.0, math.nan, math.inf])
def test_a_radius_that_gathers_nothing_or_everything_is_refused(radius: float) -> None:
    with pytest.raises(ValueError, match="radius_m"):
        BlastClusters(FRAME, radius)


def _pipeline(cluster_m: float, nodes: list[str]) -> Pipeline:
    lat, lon = FRAME.to_latlon(
        4800.0, -2500.0
    )  # (800 m from the blast: off the centre, which reads as named)
    site = Site(id="town", name="Town", kind="town", lat=lat, lon=lon, radius_m=2000.0)
    listed = [Reporter(node, "sensor") for node in nodes]  # (a country's sensors are listed)
    pipeline = Pipeline([site], [], listed, frame_origin=(FRAME.lat0, FRAME.lon0))
    pipeline.blast_cluster_m = cluster_m
    return pipeline


def test_a_step_s_blast_over_a_town_is_one_hit_there_with_the_same_threat() -> None:
    bearings = _heard(7, 60, 0.005, (4000.0, -2500.0))
    events = [
        AcousticDetection(b.t, b.sensor, b.lat, b.lon, "explosion", 0.9, math.degrees(b.bearing_rad), 3.0)
        for b in bearings
    ]
    t = max(e.t for e in events)
    nodes = [b.sensor for b in bearings]
    gathered, plain = _pipeline(3000.0, nodes), _pipeline(0.0, nodes)
    gathered.process(events)
    plain.process(events)
    ours, theirs = gathered.impacts.evidence("town"), plain.impacts.evidence("town")
    assert ours is not None and theirs is not None
    assert ours.hits == 1 < theirs.hits
    assert ours.acoustic and ours.sources == theirs.sources == 1 and ours.newest_t == theirs.newest_t == t
    (threat,) = gathered.impacts.threats(t)
    (reference,) = plain.impacts.threats(t)
    assert (threat.site, threat.probability, threat.cue) == (
        reference.site,
        reference.probability,
        reference.cue,
    )
    assert len(threat.witnesses) >= len(reference.witnesses) > 10
