"""A strike report's siren tail: new sirens after a strike only while a further pass may come."""

import dataclasses

from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Site, Threat
from nadhir.threat.impacts import ImpactEvidence

TOWN = Site(id="town", name="Kafr Nabl", kind="town", lat=35.613, lon=36.561, radius_m=2000)
WITNESSES = frozenset({"obs-a", "obs-b"})
STRUCK_AT = 1000.0  # the strike report came at this time
# The setting measured on the tuning set (docs/benchmarks.md, eleventh session, "strike-report tail").
TAIL = PolicyConfig(
    impact_siren_aircraft=0.15,
    impact_siren_cues=("approach", "overhead", "circling"),
    impact_siren_window_s=30.0,
)


def strike(t: float) -> Threat:
    return Threat("town", None, "unknown", 0.8, t, 0.0, "impact", WITNESSES)


def aircraft(t: float, p: float, cue: str, eta_s: float = 40.0) -> Threat:
    return Threat("town", "T7", "jet", p, t + eta_s, 3000.0, cue, WITNESSES)  # type: ignore[arg-type]


def policy(config: PolicyConfig) -> AlertPolicy:
    out = AlertPolicy([TOWN], config)
    evidence = ImpactEvidence(400.0, 2, 2, 0.0, False, True, STRUCK_AT)
    out.memory.impacts_at = lambda site_id: evidence if site_id == "town" else None
    return out


def level_after_report(config: PolicyConfig, t: float, aircraft_threat: Threat | None) -> str | None:
    p = policy(config)
    p.aircraft_threats = {} if aircraft_threat is None else {"town": aircraft_threat}
    [alert] = p.decide(t, {"town": strike(t)})
    return alert.level


def test_by_default_a_strike_report_sounds_sirens_with_no_aircraft_about() -> None:
    assert level_after_report(PolicyConfig(), STRUCK_AT + 5.0, None) == "imminent"


def test_with_no_pass_coming_the_report_warns_phones_only() -> None:
    assert level_after_report(TAIL, STRUCK_AT + 5.0, None) == "early"
    # An aircraft merely nearby, or faint, is no pass coming at the site.
    assert level_after_report(TAIL, STRUCK_AT + 5.0, aircraft(STRUCK_AT, 0.6, "nearby")) == "early"
    assert level_after_report(TAIL, STRUCK_AT + 5.0, aircraft(STRUCK_AT, 0.1, "approach")) == "early"


def test_a_second_pass_on_its_way_still_gets_its_sirens() -> None:
    coming = aircraft(STRUCK_AT, 0.4, "approach")
    assert level_after_report(TAIL, STRUCK_AT + 5.0, coming) == "imminent"


def test_the_report_decides_only_when_it_comes() -> None:
    # An aircraft that turns up at the site minutes after the report sounds sirens by its own cues:
    # the strike already reported no longer does.
    late = aircraft(STRUCK_AT + 200.0, 0.4, "approach")
    assert level_after_report(TAIL, STRUCK_AT + 200.0, late) == "early"
    wider = dataclasses.replace(TAIL, impact_siren_window_s=300.0)
    assert level_after_report(wider, STRUCK_AT + 200.0, late) == "imminent"


def test_sirens_already_sounding_stay_on_through_the_report() -> None:
    p = policy(TAIL)
    p.aircraft_threats = {"town": aircraft(STRUCK_AT - 60.0, 0.9, "circling")}
    [first] = p.decide(STRUCK_AT - 60.0, {"town": aircraft(STRUCK_AT - 60.0, 0.9, "circling", 0.0)})
    assert first.level == "imminent"
    p.aircraft_threats = {}
    out = p.decide(STRUCK_AT + 120.0, {"town": strike(STRUCK_AT + 120.0)})
    assert all(a.level == "imminent" and a.action != "all_clear" for a in out)
