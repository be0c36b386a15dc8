"""A site's readiness (from its facility status): phones only when no one is there, sirens earlier
when its people take long to move, and nothing changed for sites without one."""

from __future__ import annotations

import pytest

from nadhir.alerting.policy import AlertPolicy
from nadhir.domain import Site, Threat
from nadhir.domain.readiness import SiteReadiness

HOSPITAL = Site(id="hosp", name="Hospital", kind="hospital", lat=35.9, lon=36.61, radius_m=500)
TOWN = Site(id="town", name="Town", kind="town", lat=35.9, lon=36.6, radius_m=2000)


def threat(site: str, p: float, eta: float, cue: str = "circling") -> Threat:
    return Threat(site=site, track="T1", aircraft="jet", probability=p, eta=eta, distance_m=8_000,
                  cue=cue, witnesses=frozenset({"obs-a", "obs-b"}))  # type: ignore[arg-type]  # fmt: skip


def test_a_closed_facility_hears_by_phone_what_would_sound_its_siren() -> None:
    policy = AlertPolicy([HOSPITAL, TOWN])
    policy.set_readiness("hosp", SiteReadiness(sirens=False, reason="evacuated"))
    alerts = policy.decide(0.0, {"hosp": threat("hosp", 0.9, 60.0), "town": threat("town", 0.9, 60.0)})
    assert {(a.site, a.level) for a in alerts} == {("hosp", "early"), ("town", "imminent")}


def test_an_extra_lead_widens_the_siren_window_by_that_much() -> None:
    # A hospital's people need 300 s, plus a jet's 180 s margin: an arrival in 600 s is early only.
    eta = 600.0
    plain = AlertPolicy([HOSPITAL])
    assert [a.level for a in plain.decide(0.0, {"hosp": threat("hosp", 0.9, eta)})] == ["early"]
    slow = AlertPolicy([HOSPITAL])
    slow.set_readiness("hosp", SiteReadiness(extra_lead_s=150.0, reason="incubators"))
    assert slow.shelter_s(HOSPITAL) == 450.0
    assert [a.level for a in slow.decide(0.0, {"hosp": threat("hosp", 0.9, eta)})] == ["imminent"]


@pytest.mark.parametrize("readiness", [None, SiteReadiness()])
def test_ordinary_readiness_is_no_readiness(readiness: SiteReadiness | None) -> None:
    policy = AlertPolicy([HOSPITAL])
    policy.set_readiness("hosp", SiteReadiness(sirens=False))
    policy.set_readiness("hosp", readiness)
    assert policy.readiness() == {}
    assert [a.level for a in policy.decide(0.0, {"hosp": threat("hosp", 0.9, 60.0)})] == ["imminent"]


def test_readiness_of_an_unknown_site_is_ignored() -> None:
    policy = AlertPolicy([TOWN])
    policy.set_readiness("nowhere", SiteReadiness(sirens=False))
    assert policy.readiness() == {}


def test_an_absurd_extra_lead_is_refused() -> None:
    with pytest.raises(ValueError, match="extra lead"):
        SiteReadiness(extra_lead_s=float("nan"))
    with pytest.raises(ValueError, match="extra lead"):
        SiteReadiness(extra_lead_s=-5.0)


def test_a_slow_site_hears_its_siren_on_a_sure_approach() -> None:
    """Ordinary sites sound sirens when an aircraft circles them; a slow one cannot wait for that."""
    approach = {"hosp": threat("hosp", 0.9, 200.0, cue="approach")}
    assert [a.level for a in AlertPolicy([HOSPITAL]).decide(0.0, approach)] == ["early"]
    slow = AlertPolicy([HOSPITAL])
    slow.set_readiness("hosp", SiteReadiness(extra_lead_s=120.0))
    assert [a.level for a in slow.decide(0.0, approach)] == ["imminent"]
    # One witness alone still never sounds sirens, however slow the site.
    lone = AlertPolicy([HOSPITAL])
    lone.set_readiness("hosp", SiteReadiness(extra_lead_s=120.0))
    one = Threat(site="hosp", track="T1", aircraft="jet", probability=0.9, eta=200.0, distance_m=8_000,
                 cue="approach", witnesses=frozenset({"obs-a"}))  # fmt: skip
    assert [a.level for a in lone.decide(0.0, {"hosp": one})] == ["early"]
