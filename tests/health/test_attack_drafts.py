"""Attacks drafted from the pipeline: impacts near health facilities, one record per facility and day."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nadhir.domain import AcousticDetection, Alert, Impact, Site, TrackState
from nadhir.domain.formats.scenario import load_scenario
from nadhir.domain.timefmt import parse_time
from nadhir.engine.replay import replay_scenario
from nadhir.geo.distance import bearing_deg, haversine_m
from nadhir.health.attack_drafts import (
    DRAFT_DISTANCE_M,
    ImpactPoint,
    admin_area,
    draft_attacks,
    impact_points,
    is_health_facility,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
T0 = parse_time("2025-05-02T04:00:00Z")

TOWN = Site("idlib", "Idlib", "town", 35.9306, 36.6339, 3000.0, "إدلب")
HOSPITAL = Site("idlib-national-hospital", "Idlib National Hospital", "hospital", 35.9256, 36.6379, 500.0)
MATERNITY = Site("idlib-maternity-hospital", "Idlib Maternity Hospital", "hospital", 35.9346, 36.6309, 500.0)
SITES = [TOWN, HOSPITAL, MATERNITY]


def _north_of(site: Site, metres: float) -> tuple[float, float]:
    return site.lat + metres / 111_195.0, site.lon


def test_a_report_by_the_road_outside_the_hospital_drafts_an_attack_on_it() -> None:
    lat, lon = _north_of(HOSPITAL, 150)
    impacts = impact_points([Impact(T0, "obs-idlib-3", lat, lon)], SITES, [])
    [draft] = draft_attacks(SITES, impacts)
    assert draft.facility.id == HOSPITAL.id
    assert draft.facility.admin_area == "Idlib"
    assert draft.review == "draft" and draft.certainty == "possible"
    assert draft.attack_types == ("violence_with_heavy_weapons",) and draft.resources == ("facility",)
    assert [s.ref for s in draft.sources] == ["obs-idlib-3@2025-05-02T04:00:00Z"]


def test_the_distance_is_the_limit() -> None:
    inside = impact_points([Impact(T0, "a", *_north_of(HOSPITAL, -DRAFT_DISTANCE_M + 5))], SITES, [])
    outside = impact_points(
        [Impact(T0, "a", *_north_of(HOSPITAL, -DRAFT_DISTANCE_M - 5))], SITES, []
    )  # south
    assert [d.facility.id for d in draft_attacks(SITES, inside)] == [HOSPITAL.id]
    assert draft_attacks(SITES, outside) == []
    assert [d.facility.id for d in draft_attacks(SITES, outside, distance_m=1000)] == [HOSPITAL.id]


def test_a_report_naming_the_hospital_drafts_but_one_naming_the_town_does_not() -> None:
    named = impact_points([Impact(T0, "a", place="Idlib National Hospital")], SITES, [])
    assert named and named[0].site == HOSPITAL.id
    assert [d.facility.id for d in draft_attacks(SITES, named)] == [HOSPITAL.id]
    # The town's centre is 550-650 m from both hospitals, but the strike may be anywhere in a 3 km town.
    town = impact_points([Impact(T0, "a", place="Idlib")], SITES, [])
    assert town and town[0].precision_m == TOWN.radius_m
    assert draft_attacks(SITES, town) == []
    assert draft_attacks(SITES, town, distance_m=2000) == []


def test_several_reports_of_one_day_are_one_record_and_another_day_another() -> None:
    lat, lon = _north_of(HOSPITAL, 100)
    events = [
        Impact(T0, "obs-1", lat, lon),
        Impact(T0 + 60, "obs-2", lat, lon),
        Impact(T0 + 60, "obs-2", lat, lon),  # a copy of a report is still one source
        Impact(T0 + 3600, "civil-defence-idlib", lat, lon),
        Impact(T0 + 86_400, "obs-1", lat, lon),
    ]
    drafts = draft_attacks(SITES, impact_points(events, SITES, []))
    assert [(d.date, len(d.sources)) for d in drafts] == [("2025-05-02", 3), ("2025-05-03", 1)]
    assert drafts[0].t == T0
    assert drafts[0].certainty == "possible"  # three reports of one kind are still one kind


def test_an_impact_between_two_hospitals_drafts_one_for_each() -> None:
    lat, lon = (HOSPITAL.lat + MATERNITY.lat) / 2, (HOSPITAL.lon + MATERNITY.lon) / 2
    drafts = draft_attacks(SITES, impact_points([Impact(T0, "a", lat, lon)], SITES, []), distance_m=700)
    assert sorted(d.facility.id for d in drafts) == [MATERNITY.id, HOSPITAL.id]


def _bearing(t: float, sensor: str, lat: float, lon: float, target: Site) -> AcousticDetection:
    return AcousticDetection(
        t, sensor, lat, lon, "explosion", 0.9, bearing_deg(lat, lon, target.lat, target.lon), 2.0
    )


def test_an_acoustic_location_joins_a_report_but_drafts_nothing_alone() -> None:
    bearings = [
        _bearing(T0 + 5, "ac-1", 35.96, 36.6379, HOSPITAL),
        _bearing(T0 + 7, "ac-2", 35.9256, 36.68, HOSPITAL),
    ]
    located = impact_points(bearings, SITES, [])
    assert [p.how for p in located] == ["located"]
    assert haversine_m(located[0].lat, located[0].lon, HOSPITAL.lat, HOSPITAL.lon) < 100
    assert draft_attacks(SITES, located) == []
    report = impact_points([Impact(T0, "obs-1", *_north_of(HOSPITAL, 80))], SITES, [])
    [draft] = draft_attacks(SITES, report + located)
    assert [s.kind for s in draft.sources] == ["report", "sensor"]
    assert draft.sources[1].ref == "acoustic:ac-1+ac-2@2025-05-02T04:00:07Z"


def test_a_draft_links_the_alert_episode_and_the_tracks_behind_it() -> None:
    lat, lon = _north_of(HOSPITAL, 100)
    alerts = [
        Alert(T0 - 300, "alert", HOSPITAL.id, "imminent", "jet", T0 - 200, 0.8, "T7", episode=T0 - 300),
        Alert(T0 - 100, "update", HOSPITAL.id, "imminent", "jet", T0 - 50, 0.9, "T7", episode=T0 - 300),
        Alert(T0 - 100, "alert", TOWN.id, "imminent", "jet", T0 - 50, 0.9, "T7", episode=T0 - 100),
        Alert(
            T0 - 7200, "alert", HOSPITAL.id, "early", "jet", None, 0.5, "T1", episode=T0 - 7200
        ),  # long before
    ]
    tracks = [
        TrackState(T0 - 60, "T7", lat + 0.01, lon, 200.0, 180.0, "jet", 300.0),
        TrackState(T0 - 30, "T9", lat, lon + 0.02, 60.0, 90.0, "drone", 100.0),  # 1.8 km away: behind it too
        TrackState(T0 - 30, "T12", lat + 0.3, lon, 60.0, 90.0, "helicopter", 100.0),  # 33 km away
    ]
    [draft] = draft_attacks(
        SITES, impact_points([Impact(T0, "obs-1", lat, lon)], SITES, []), alerts, tracks, run_id=5
    )
    assert draft.links.episodes == ((HOSPITAL.id, T0 - 300),)
    assert draft.links.tracks == ("T7", "T9")
    assert draft.links.reports == ("obs-1@2025-05-02T04:00:00Z",)
    assert draft.links.run_id == 5
    assert draft.weapon == "air strike (drone, jet)"


def test_a_bad_distance_is_refused() -> None:
    with pytest.raises(ValueError, match="positive number of metres"):
        draft_attacks(SITES, [ImpactPoint(T0, HOSPITAL.lat, HOSPITAL.lon, "reported", "a")], distance_m=0)


def test_admin_area_is_the_town_that_holds_the_facility() -> None:
    assert admin_area(HOSPITAL, SITES) == "Idlib"
    far = Site("desert-clinic", "Desert Clinic", "clinic", 34.0, 38.0, 200.0)
    assert admin_area(far, [*SITES, far]) is None


# --- the public scenarios, against their truth -----------------------------------------------------


def _truth_facility_days(root: Path, sites: list[Site]) -> set[tuple[str, str]]:
    """(facility, day) where truth.json has a strike within the drafting distance of a health facility."""
    truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    return {
        (s.id, strike["t"][:10])
        for strike in truth["strikes"]
        for s in sites
        if is_health_facility(s)
        and haversine_m(strike["lat"], strike["lon"], s.lat, s.lon) <= DRAFT_DISTANCE_M
    }


# Strikes by a hospital that no observer reported within the distance (docs/health.md): at Atarib
# observers named only the town, and the acoustic nodes that placed the blasts 210-360 m from the
# hospital draft nothing alone; the nearest report with coordinates of the strike by Ain Sharqiya
# was 550 m off.
UNREPORTED = {
    "idlib-twists": {("atarib-hospital", "2025-05-03")},
    "sim-wadi-karam-5": {("ain-sharqiya-surgical-hospital", "2025-09-19")},
}


@pytest.mark.parametrize("name", ["idlib-basic", "idlib-twists", "sim-jabal-nur-4", "sim-wadi-karam-5"])
def test_the_public_scenarios_draft_the_strikes_by_hospitals_that_were_reported(name: str) -> None:
    root = SCENARIOS / name
    scenario = load_scenario(root)
    result = replay_scenario(scenario, keep=True)
    drafts = draft_attacks(
        scenario.sites,
        impact_points(result.events, scenario.sites, scenario.places),
        result.alerts,
        result.tracks,
    )
    drafted = {(d.facility.id, d.date) for d in drafts}
    truth = _truth_facility_days(root, scenario.sites)
    assert drafted <= truth, "a draft where no strike fell near a hospital"
    assert drafted == truth - UNREPORTED.get(name, set())
    assert len(drafts) == len(drafted)  # one record per facility and day
    for d in drafts:
        assert d.links.episodes, "each drafted attack was warned of"
        assert all(s.kind in ("report", "sensor") for s in d.sources)
