"""Regions: which events each engine hears, and an aircraft that crosses from one region to the next."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from nadhir.domain import AcousticDetection, Alert, Event, Report
from nadhir.domain.formats.scenario import Scenario, load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.replay import replay_scenario
from nadhir.engine.stepper import Stepper
from nadhir.service.partitions import ALL, Partition, partitions, regions_of
from nadhir.service.settings import RegionSpec, SettingsError

Route = Callable[[Event, list[Partition]], list[str]]
SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-basic"
# Idlib city and the towns north of it; the rest (Ariha, Saraqeb, Maarat, Jisr...) is "south".
NORTH = ("sarmada", "harem", "salqin", "dana", "atarib", "kafr-takharim", "maarrat-misrin", "taftanaz",
         "binnish", "idlib", "idlib-maternity-hospital", "idlib-national-hospital", "sarmada-hospital",
         "atarib-hospital")  # fmt: skip


def _regions(scenario: Scenario, halo_km: float) -> list[Partition]:
    south = tuple(s.id for s in scenario.sites if s.id not in NORTH)
    return partitions(
        (RegionSpec("north", NORTH, halo_km), RegionSpec("south", south, halo_km)), scenario.sites
    )


def _region_alerts(
    scenario: Scenario, part: Partition, parts: list[Partition], route: Route = regions_of
) -> list[Alert]:
    """What the region's engine warns, fed the events routed to it (as RegionEngine builds it)."""
    alerts: list[Alert] = []
    own = set(part.sites)
    pipeline = build_pipeline(scenario, sites=part.context_sites(scenario))
    stepper = Stepper(pipeline, lambda a: alerts.append(a) if a.site in own else None)
    stepper.run(e for _, e in scenario.events() if part.id in route(e, parts))
    return alerts


def test_no_regions_is_one_region_with_every_site_and_every_event() -> None:
    scenario = load_scenario(SCENARIO)
    (part,) = partitions((), scenario.sites)
    assert part.id == ALL and set(part.sites) == {s.id for s in scenario.sites}
    assert all(regions_of(e, [part]) == [ALL] for _, e in scenario.events())


def test_events_go_to_the_regions_whose_box_holds_them() -> None:
    scenario = load_scenario(SCENARIO)
    parts = _regions(scenario, 10.0)
    north = next(p for p in parts if p.id == "north")
    inside = AcousticDetection(0.0, "s", 36.20, 36.72, "jet", 1.0, 90.0, 5.0)  # by Sarmada
    assert regions_of(inside, parts) == ["north"]
    between = AcousticDetection(0.0, "s", 35.87, 36.70, "jet", 1.0, 90.0, 5.0)  # between Idlib and Ariha
    assert regions_of(between, parts) == ["north", "south"]
    far = AcousticDetection(0.0, "s", 33.5, 36.3, "jet", 1.0, 90.0, 5.0)  # Damascus: no box holds it
    assert regions_of(far, parts) == ["north", "south"]
    assert regions_of(Report(0.0, "obs", text="jets over Idlib"), parts) == ["north", "south"]
    assert north.covers(36.20, 36.72) and not north.covers(35.44, 36.65)  # Khan Shaykhun is south's


def test_a_region_of_unknown_sites_is_refused() -> None:
    scenario = load_scenario(SCENARIO)
    with pytest.raises(ValueError, match="no such site"):
        partitions((RegionSpec("x", ("atlantis",)),), scenario.sites)
    with pytest.raises(SettingsError):
        RegionSpec("a b", ("idlib",))


def _unwarned_crossings(route: Route) -> list[str]:
    """Sites that replay warns along a track warned for on both sides, and whose region's engine
    does not warn."""
    scenario = load_scenario(SCENARIO)
    parts = _regions(scenario, 30.0)
    replay = replay_scenario(scenario, keep=True).alerts
    north, south = set(NORTH), {s.id for s in scenario.sites} - set(NORTH)
    opened = [a for a in replay if a.action == "alert" and a.track is not None]
    crossing = {a.track for a in opened if a.site in north} & {a.track for a in opened if a.site in south}
    assert crossing, "the scenario has an aircraft warned for on both sides"
    by_region = {p.id: _region_alerts(scenario, p, parts, route) for p in parts}
    assert {a.site for a in by_region["north"]} <= north and {a.site for a in by_region["south"]} <= south
    missed = []
    for track in crossing:
        sites = {a.site for a in opened if a.track == track}
        for region, own in (("north", north), ("south", south)):
            warned = {a.site for a in by_region[region] if a.action == "alert"}
            missed.extend(f"{track}: {region} {site}" for site in sorted(sites & own - warned))
    return missed


def test_an_aircraft_crossing_from_one_region_to_the_next_is_warned_for_in_both() -> None:
    """Overlapping halos: each region's engine hears the events near its sites and warns its own.

    Replay (one process, every site) warns along some tracks on both sides of the line between
    north and south; the two region engines must each warn their side of those tracks.
    """
    assert _unwarned_crossings(regions_of) == []


def test_without_overlap_a_crossing_aircraft_goes_unwarned_on_one_side() -> None:
    """What the halos are for: events split between the regions (each to one), the south's engine
    misses the aircraft that came from the north (the test above would fail)."""
    assert _unwarned_crossings(lambda event, parts: regions_of(event, parts)[:1]) != []


def test_with_halos_that_hold_everything_the_regions_warn_exactly_as_one_process() -> None:
    """The regions' engines share out the sites, not the judgement: with every event heard by
    both, together they make replay's alerts, to the bit."""
    scenario = load_scenario(SCENARIO)
    parts = _regions(scenario, 60.0)
    assert all(len(regions_of(e, parts)) == 2 for _, e in scenario.events())
    replay = replay_scenario(scenario, keep=True).alerts
    together = [a for p in parts for a in _region_alerts(scenario, p, parts)]
    assert Counter(together) == Counter(replay)
