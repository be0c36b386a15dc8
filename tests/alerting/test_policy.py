"""One test per alert-policy rule."""

import itertools

from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Site, Threat
from nadhir.domain.formats.output import alert_to_dict

TOWN = Site(id="town", name="Town", kind="town", lat=35.9, lon=36.6, radius_m=2000)
HOSPITAL = Site(id="hosp", name="Hospital", kind="hospital", lat=35.9, lon=36.61, radius_m=500)


# Two independent witnesses (listed sources): enough for sirens.
CORROBORATED = frozenset({"obs-a", "obs-b"})


def threat(
    site: str,
    p: float,
    eta: float,
    kind: str = "jet",
    cue: str = "circling",
    witnesses: frozenset[str] = CORROBORATED,
) -> Threat:
    return Threat(
        site=site,
        track="T1",
        aircraft=kind,
        probability=p,
        eta=eta,
        distance_m=10_000,
        cue=cue,  # type: ignore[arg-type]
        witnesses=witnesses,
    )


def test_no_threat_no_alert() -> None:
    policy = AlertPolicy([TOWN])
    assert policy.decide(0.0, {}) == []


def test_weak_threat_gives_early_alert_far_one_no_siren() -> None:
    policy = AlertPolicy([TOWN])
    [a] = policy.decide(0.0, {"town": threat("town", 0.5, 800.0)})
    assert (a.action, a.level, a.site) == ("alert", "early", "town")


def test_strong_threat_close_in_time_sounds_sirens() -> None:
    policy = AlertPolicy([TOWN])
    [a] = policy.decide(0.0, {"town": threat("town", 0.9, 120.0)})
    assert a.level == "imminent"


def test_strong_threat_far_in_time_is_only_early_then_raised_immediately() -> None:
    policy = AlertPolicy([TOWN])
    [a] = policy.decide(0.0, {"town": threat("town", 0.9, 900.0)})
    assert a.level == "early"
    [b] = policy.decide(600.0, {"town": threat("town", 0.9, 900.0)})
    assert (b.action, b.level) == ("update", "imminent")


def test_hospital_is_warned_at_lower_probability_than_town() -> None:
    policy = AlertPolicy([TOWN, HOSPITAL])
    p = PolicyConfig().early_probability * 0.9
    alerts = policy.decide(0.0, {"town": threat("town", p, 600.0), "hosp": threat("hosp", p, 600.0)})
    assert [a.site for a in alerts] == ["hosp"]


def test_hospital_phones_are_warned_sooner_still_than_its_sirens() -> None:
    """Staff start moving patients on the first word: a hospital's early level comes at a lower
    probability than its own siren threshold would suggest (0.6 of a town's, against 0.8)."""
    c = PolicyConfig()
    p = c.early_probability * 0.7  # between the hospital's early and a town-scaled threshold
    policy = AlertPolicy([TOWN, HOSPITAL])
    alerts = policy.decide(0.0, {"town": threat("town", p, 600.0), "hosp": threat("hosp", p, 600.0)})
    assert [(a.site, a.level) for a in alerts] == [("hosp", "early")]
    assert c.early_probability * c.vulnerable_early_factor < p < c.early_probability * c.vulnerable_factor


def test_hospital_gets_sirens_earlier_because_it_needs_longer_to_shelter() -> None:
    policy = AlertPolicy([TOWN, HOSPITAL])
    eta = 400.0  # beyond a town's imminent window, within a hospital's
    alerts = policy.decide(0.0, {"town": threat("town", 0.9, eta), "hosp": threat("hosp", 0.9, eta)})
    levels = {a.site: a.level for a in alerts}
    assert levels == {"town": "early", "hosp": "imminent"}


def test_all_clear_waits_for_the_hold_time() -> None:
    cfg = PolicyConfig()
    policy = AlertPolicy([TOWN], cfg)
    policy.decide(0.0, {"town": threat("town", 0.9, 100.0)})
    assert policy.decide(10.0, {}) == []
    assert policy.decide(10.0 + cfg.hold_s - 1, {}) == []
    [c] = policy.decide(10.0 + cfg.hold_s, {})
    assert c.action == "all_clear"
    assert policy.active() == {}


def _cleared_at(policy: AlertPolicy, t0: float, step: float = 10.0) -> float:
    """When the (now threat-free) episode is cleared, stepping from ``t0``."""
    t = t0
    while True:
        if any(a.action == "all_clear" for a in policy.decide(t, {})):
            return t
        t += step


def test_a_lingering_aircraft_holds_a_phones_episode_longer() -> None:
    """A helicopter or drone that fades from view may be hovering low near the town and come back:
    its phones-only episode is held ``lingering_hold_s``; a jet's clears after ``hold_s``."""
    cfg = PolicyConfig()
    for kind, hold in (
        ("helicopter", cfg.lingering_hold_s),
        ("drone", cfg.lingering_hold_s),
        ("jet", cfg.hold_s),
    ):
        policy = AlertPolicy([TOWN], cfg)
        [a] = policy.decide(0.0, {"town": threat("town", 0.5, 600.0, kind=kind, cue="approach")})
        assert a.level == "early"
        assert _cleared_at(policy, 10.0) == 10.0 + hold, kind
    assert cfg.lingering_hold_s > cfg.hold_s


def test_a_lingering_aircraft_seen_leaving_clears_promptly() -> None:
    cfg = PolicyConfig()
    policy = AlertPolicy([TOWN], cfg)
    policy.decide(0.0, {"town": threat("town", 0.5, 600.0, kind="helicopter", cue="approach")})
    leaving = {"town": threat("town", 0.0, 600.0, kind="helicopter", cue="receding")}
    assert policy.decide(10.0, leaving) == []
    [c] = policy.decide(10.0 + cfg.passed_hold_s, leaving)
    assert c.action == "all_clear"


def test_a_siren_episode_keeps_the_usual_hold_even_for_a_helicopter() -> None:
    """Every minute after an episode's first siren counts as siren time: no longer hold there."""
    cfg = PolicyConfig()
    policy = AlertPolicy([TOWN], cfg)
    policy.decide(0.0, {"town": threat("town", 0.5, 600.0, kind="helicopter", cue="approach")})
    [raised] = policy.decide(5.0, {"town": threat("town", 0.9, 60.0, kind="helicopter")})
    assert raised.level == "imminent"
    assert _cleared_at(policy, 10.0) == 10.0 + cfg.hold_s


def test_threat_flickering_does_not_flap() -> None:
    policy = AlertPolicy([TOWN])
    sent = []
    for k in range(40):
        t = 10.0 * k
        threats = {"town": threat("town", 0.6, t + 500)} if k % 2 == 0 else {}
        sent += policy.decide(t, threats)
    assert [a.action for a in sent].count("alert") == 1
    assert "all_clear" not in [a.action for a in sent]


def test_lowering_the_level_waits_but_raising_does_not() -> None:
    cfg = PolicyConfig()
    policy = AlertPolicy([TOWN], cfg)
    policy.decide(0.0, {"town": threat("town", 0.9, 60.0)})
    assert policy.active() == {"town": "imminent"}
    assert policy.decide(30.0, {"town": threat("town", 0.4, 100.0)}) == []
    [u] = policy.decide(30.0 + cfg.hold_s, {"town": threat("town", 0.4, 100.0)})
    assert (u.action, u.level) == ("update", "early")


def test_eta_change_sends_update() -> None:
    policy = AlertPolicy([TOWN])
    policy.decide(0.0, {"town": threat("town", 0.5, 800.0)})
    [u] = policy.decide(60.0, {"town": threat("town", 0.5, 500.0)})
    assert u.action == "update" and u.eta == 500.0


def test_long_episode_is_kept_alive_by_heartbeat_updates() -> None:
    cfg = PolicyConfig()
    policy = AlertPolicy([TOWN], cfg)
    policy.decide(0.0, {"town": threat("town", 0.5, 5000.0)})
    sent = []
    for k in range(1, 130):
        sent += policy.decide(10.0 * k, {"town": threat("town", 0.5, 5000.0)})
    assert sent and all(a.action == "update" for a in sent)
    gaps = [b.t - a.t for a, b in itertools.pairwise(sent)]
    assert max(gaps) <= cfg.heartbeat_s


def test_an_approach_alone_warns_phones_not_sirens() -> None:
    policy = AlertPolicy([TOWN])
    [a] = policy.decide(0.0, {"town": threat("town", 0.95, 30.0, cue="approach")})
    assert a.level == "early"


def test_a_reported_strike_sounds_sirens_whatever_the_aircraft() -> None:
    policy = AlertPolicy([TOWN])
    [a] = policy.decide(0.0, {"town": threat("town", 0.8, 0.0, kind="unknown", cue="impact")})
    assert a.level == "imminent"


def test_a_circling_drone_warns_phones_only() -> None:
    policy = AlertPolicy([TOWN])
    [a] = policy.decide(0.0, {"town": threat("town", 0.9, 0.0, kind="drone", cue="circling")})
    assert a.level == "early"


def test_siren_cues_are_configurable() -> None:
    policy = AlertPolicy([TOWN], PolicyConfig(siren_cues=("approach", "circling")))
    [a] = policy.decide(0.0, {"town": threat("town", 0.95, 30.0, cue="approach")})
    assert a.level == "imminent"


def test_sure_approaches_sound_sirens_only_when_configured() -> None:
    sure = {"town": threat("town", 0.9, 60.0, cue="approach")}
    assert AlertPolicy([TOWN]).decide(0.0, sure)[0].level == "early"
    policy = AlertPolicy([TOWN], PolicyConfig(approach_siren_probability=0.85))
    assert policy.decide(0.0, sure)[0].level == "imminent"
    less_sure = {"town": threat("town", 0.8, 60.0, cue="approach")}
    assert (
        AlertPolicy([TOWN], PolicyConfig(approach_siren_probability=0.85)).decide(0.0, less_sure)[0].level
        == "early"
    )


def test_an_unconfirmed_strike_report_warns_phones_but_never_sounds_sirens() -> None:
    """One little-known source reports a strike in town: phones are told, sirens stay quiet."""
    report = Threat(
        site="town", track=None, aircraft="unknown", probability=0.25, eta=0.0, distance_m=0.0, cue="impact"
    )
    [a] = AlertPolicy([TOWN]).decide(0.0, {"town": report})
    assert (a.action, a.level) == ("alert", "early")
    # The same probability from a track's approach is below the early threshold.
    assert AlertPolicy([TOWN]).decide(0.0, {"town": threat("town", 0.25, 60.0, cue="approach")}) == []


def test_a_config_replaced_after_construction_governs_which_threats_are_decided() -> None:
    """decide() skips threats below every threshold; that floor follows the config in use."""
    policy = AlertPolicy([TOWN])
    assert policy.decide(0.0, {"town": threat("town", 0.1, 600.0)}) == []
    policy.config = PolicyConfig(early_probability=0.05, impact_early_probability=0.05)
    [a] = policy.decide(1.0, {"town": threat("town", 0.1, 600.0)})
    assert (a.action, a.level) == ("alert", "early")


def test_one_witness_never_sounds_sirens_however_strong_the_threat() -> None:
    """A threat resting on one witness (one source, or all unlisted ones together) warns phones only;
    a second independent witness lets the same threat sound the sirens."""
    for cue in ("circling", "impact"):
        for witnesses in (frozenset(), frozenset({"obs-a"}), frozenset({"unlisted"})):
            lone = {"town": threat("town", 1.0, 0.0, cue=cue, witnesses=witnesses)}
            [a] = AlertPolicy([TOWN]).decide(0.0, lone)
            assert (a.action, a.level) == ("alert", "early"), (cue, witnesses)
        two = {"town": threat("town", 1.0, 0.0, cue=cue, witnesses=frozenset({"obs-a", "unlisted"}))}
        assert AlertPolicy([TOWN]).decide(0.0, two)[0].level == "imminent"


def test_an_early_episode_is_raised_to_sirens_when_a_second_witness_comes_in() -> None:
    policy = AlertPolicy([TOWN])
    [a] = policy.decide(0.0, {"town": threat("town", 0.9, 60.0, witnesses=frozenset({"obs-a"}))})
    assert a.level == "early"
    assert policy.decide(5.0, {"town": threat("town", 0.9, 60.0, witnesses=frozenset({"obs-a"}))}) == []
    [b] = policy.decide(10.0, {"town": threat("town", 0.9, 60.0)})
    assert (b.action, b.level) == ("update", "imminent")


def test_an_arrival_time_that_is_no_time_is_dropped_not_carried_into_alerts() -> None:
    """NaN, infinities and times far from now (milliseconds for seconds) make alerts that cannot be
    stored or printed; the policy takes such a threat as one with no arrival time."""
    t0 = 1_746_158_400.0
    for bad in (float("nan"), float("inf"), float("-inf"), t0 * 1000, t0 + 2 * 86_400, 300.0):
        policy = AlertPolicy([TOWN])
        [a] = policy.decide(t0, {"town": threat("town", 0.9, bad)})
        assert (a.action, a.level, a.eta) == ("alert", "early", None), bad  # no arrival: no sirens
        alert_to_dict(a)  # printable
        [b] = policy.decide(t0 + 10, {"town": threat("town", 0.9, t0 + 100)})
        assert (b.action, b.level, b.eta) == ("update", "imminent", t0 + 100)
        assert policy.decide(t0 + 20, {"town": threat("town", 0.9, bad)}) == []


def test_a_restored_episode_clears_after_the_hold_unless_a_threat_renews_it() -> None:
    hold = PolicyConfig().hold_s
    policy = AlertPolicy([TOWN, HOSPITAL])
    policy.restore(1000.0, "town", "imminent", 900.0, 1100.0, "jet", "T9", 0.8, True)
    policy.restore(1000.0, "hosp", "imminent", 900.0, 1100.0, "jet", "T9", 0.8, True)
    assert policy.active() == {"town": "imminent", "hosp": "imminent"}
    assert policy.decide(1000.0, {"hosp": threat("hosp", 0.9, 1100.0)}) == []  # nothing re-sent
    assert policy.decide(1000.0 + hold - 5, {"hosp": threat("hosp", 0.9, 1100.0)}) == []
    [clear] = policy.decide(1000.0 + hold, {"hosp": threat("hosp", 0.9, 1100.0)})
    assert (clear.action, clear.site, clear.level, clear.track) == ("all_clear", "town", "imminent", "T9")
    assert policy.active() == {"hosp": "imminent"}  # renewed by its threat
