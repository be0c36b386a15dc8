"""Facility status feeds the warning, shown on the demo region's replay.

An evacuated maternity hospital is warned by phone only (no siren); a surgical hospital with an
operation under way gets its sirens earlier (on the aircraft's approach); every other site's
alerts are the same; and a replay with no status at all is the replay as ever.
"""

from __future__ import annotations

from collections.abc import Mapping

from nadhir.domain import Alert
from nadhir.domain.formats.scenario import Scenario, load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.replay import replay_scenario
from nadhir.engine.stepper import Stepper
from nadhir.health.readiness import readiness
from nadhir.health.status import FacilityStatus
from nadhir.service.region import bundled_scenario

EVACUATED = FacilityStatus(functionality="not", evacuated=True)
OPERATING = FacilityStatus(functionality="partially", theatres_in_use=1, incubators_working=2,
                           incubators_occupied=2)  # fmt: skip


def _replay(scenario: Scenario, statuses: Mapping[str, FacilityStatus]) -> list[Alert]:
    pipeline = build_pipeline(scenario)
    for site, status in statuses.items():
        pipeline.policy.set_readiness(site, readiness(status))
    alerts: list[Alert] = []
    Stepper(pipeline, alerts.append, None).run(e for _, e in scenario.events())
    return alerts


def _imminent(alerts: list[Alert], site: str) -> list[float]:
    return [a.t for a in alerts if a.site == site and a.level == "imminent" and a.action != "all_clear"]


def test_status_changes_only_the_sites_it_is_about() -> None:
    scenario = load_scenario(bundled_scenario())
    plain = _replay(scenario, {})
    assert plain == replay_scenario(scenario, keep=True).alerts  # no status: the replay as ever
    # Both hospitals have sirens in the plain replay.
    assert _imminent(plain, "idlib-maternity-hospital") and _imminent(plain, "kafr-nabl-surgical-hospital")

    fed = _replay(scenario, {"idlib-maternity-hospital": EVACUATED, "kafr-nabl-surgical-hospital": OPERATING})
    # Evacuated: warned still (phones), never a siren.
    assert _imminent(fed, "idlib-maternity-hospital") == []
    assert any(a.site == "idlib-maternity-hospital" and a.action == "alert" for a in fed)
    # An operation under way: its sirens sound on the aircraft's approach, before it circles.
    first_plain = min(_imminent(plain, "kafr-nabl-surgical-hospital"))
    first_fed = min(_imminent(fed, "kafr-nabl-surgical-hospital"))
    assert first_fed < first_plain
    # Every other site: the same alerts.
    others = {"idlib-maternity-hospital", "kafr-nabl-surgical-hospital"}
    assert [a for a in fed if a.site not in others] == [a for a in plain if a.site not in others]


def test_readiness_by_status_and_age() -> None:
    hour = 3600.0
    assert readiness(None).ordinary and readiness(FacilityStatus(fuel_days=2.0)).ordinary
    assert not readiness(EVACUATED).sirens and not readiness(FacilityStatus(functionality="not")).sirens
    assert not readiness(EVACUATED, age_s=6 * 24 * hour).sirens
    assert readiness(EVACUATED, age_s=8 * 24 * hour).ordinary  # a week-old closure has gone stale
    busy = readiness(OPERATING, age_s=hour)
    assert busy.sirens and busy.extra_lead_s == 120.0 + 2 * 30.0 + 300.0
    assert "2 incubators occupied" in busy.reason
    assert readiness(OPERATING, age_s=13 * hour).ordinary  # occupancy half a day old says nothing
    many = FacilityStatus(incubators_working=40, incubators_occupied=40, theatres_in_use=3)
    assert readiness(many).extra_lead_s == 600.0  # capped
