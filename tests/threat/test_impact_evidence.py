"""What the impact watch tells the siren model of a site's recent strike reports: how near the
site's centre they placed the strike, how many reports and sources, how they were placed, and
whether aircraft were threatening the site just before."""

from __future__ import annotations

import math

import pytest

from nadhir.domain import Site, Threat
from nadhir.geo.distance import haversine_m
from nadhir.threat.impacts import ACOUSTIC_SOURCE, IMPACT_WINDOW_S, ImpactSighting, ImpactWatch

TOWN = Site(id="town", name="Town", kind="town", lat=35.9, lon=36.6, radius_m=2000)
FAR = Site(id="far", name="Far", kind="town", lat=36.5, lon=37.5, radius_m=1000)


def test_no_report_means_no_evidence() -> None:
    watch = ImpactWatch([TOWN, FAR])
    watch.threats(0.0)
    assert watch.evidence("town") is None
    assert watch.evidence("nowhere") is None


def test_located_reports_give_the_nearest_distance_sources_and_placement() -> None:
    watch = ImpactWatch([TOWN, FAR])
    # 1 km north of the town's centre, then 0.5 km north from another source, then the acoustic nodes.
    watch.add(ImpactSighting(10.0, 35.909, 36.6, "obs-a", 0.6))
    watch.add(ImpactSighting(20.0, 35.9045, 36.6, "obs-b", 0.6))
    watch.add(ImpactSighting(30.0, 35.92, 36.6, ACOUSTIC_SOURCE, 0.6, frozenset({"n1", "n2"})))
    watch.threats(40.0)
    evidence = watch.evidence("town")
    assert evidence is not None
    assert evidence.nearest_m == pytest.approx(haversine_m(35.9, 36.6, 35.9045, 36.6))
    assert (evidence.hits, evidence.sources) == (3, 3)
    assert evidence.named_share == 0.0
    assert evidence.acoustic and not evidence.expected
    assert evidence.newest_t == 30.0
    assert watch.evidence("far") is None


def test_a_report_naming_the_site_is_placed_by_name_and_expected_after_a_threat() -> None:
    watch = ImpactWatch([TOWN, FAR])
    watch.note_threats(0.0, [Threat("town", "T1", "jet", 0.8, 60.0, 3000.0, "approach")])
    watch.add(ImpactSighting(100.0, TOWN.lat, TOWN.lon, "obs-a", 0.3))
    watch.threats(100.0)
    evidence = watch.evidence("town")
    assert evidence is not None
    assert evidence.nearest_m == pytest.approx(0.0, abs=1e-6)
    assert evidence.named_share == 1.0
    assert evidence.expected and not evidence.acoustic


def test_evidence_fades_with_the_reports() -> None:
    watch = ImpactWatch([TOWN])
    watch.add(ImpactSighting(0.0, 35.909, 36.6, "obs-a", 0.6))
    watch.threats(IMPACT_WINDOW_S + 1.0)
    assert watch.evidence("town") is None
    assert math.isfinite(IMPACT_WINDOW_S)
