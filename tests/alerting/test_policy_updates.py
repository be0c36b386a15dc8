"""The alert policy's ``update`` lines: sent only when something people act on changes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from town import TOWN, town_threat

from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Alert, Threat


def threat(
    p: float, eta: float | None, kind: str = "jet", cue: str = "circling", track: str | None = "T1"
) -> dict[str, Threat]:
    return town_threat(p, eta, kind, cue, track)


def run(policy: AlertPolicy, steps: list[tuple[float, dict[str, Threat]]]) -> list[Alert]:
    out: list[Alert] = []
    for t, threats in steps:
        out += policy.decide(t, threats)
    return out


def test_a_strike_whose_arrival_stays_now_sends_no_updates() -> None:
    """A reported strike arrives "now" at every step; the clock moving on changes nothing people act
    on. (Before: an update every 90 s, the ETA having "moved" with the clock.)"""
    cfg = PolicyConfig()
    steps = [(10.0 * k, threat(0.7, 10.0 * k, kind="unknown", cue="impact", track=None)) for k in range(55)]
    sent = run(AlertPolicy([TOWN], cfg), steps)
    assert [(a.action, a.level) for a in sent] == [("alert", "imminent")]
    assert cfg.heartbeat_s > 540.0


def test_an_arrival_already_past_that_comes_back_within_the_step_is_no_news() -> None:
    policy = AlertPolicy([TOWN])
    policy.decide(0.0, threat(0.6, 0.0, cue="approach"))
    # Now "overhead" (arrival passed); then the aircraft turns and is due in 60 s: under the step.
    assert policy.decide(200.0, threat(0.6, 150.0, cue="approach")) == []
    assert policy.decide(240.0, threat(0.6, 300.0, cue="approach")) == []
    [u] = policy.decide(280.0, threat(0.6, 400.0, cue="approach"))  # due in 120 s: news
    assert (u.action, u.eta) == ("update", 400.0)


def test_faint_threats_holding_an_episode_open_send_no_updates() -> None:
    """Between the clear and the early threshold a threat keeps the episode open, but the arrival
    times and kinds of such faint threats (from one track, then another) are not news."""
    cfg = PolicyConfig()
    faint = (cfg.clear_probability + cfg.early_probability) / 2
    policy = AlertPolicy([TOWN], cfg)
    policy.decide(0.0, threat(0.6, 100.0, cue="approach"))
    steps = [
        (
            30.0 * k,
            threat(faint, 30.0 * k + 600.0 * (k % 2), kind=("helicopter", "jet")[k % 2], track=f"T{k}"),
        )
        for k in range(1, 19)
    ]
    assert run(policy, steps) == []


def test_a_new_kind_of_aircraft_is_news_but_an_unknown_one_is_not() -> None:
    policy = AlertPolicy([TOWN])
    policy.decide(0.0, threat(0.6, 300.0, cue="approach"))
    assert policy.decide(40.0, threat(0.6, 300.0, kind="unknown", cue="approach")) == []
    [u] = policy.decide(80.0, threat(0.6, 300.0, kind="helicopter", cue="approach"))
    assert (u.action, u.threat) == ("update", "helicopter")
    assert policy.decide(120.0, threat(0.6, 300.0, kind="helicopter", cue="approach")) == []


def test_a_restored_episode_names_the_kind_people_were_told() -> None:
    policy = AlertPolicy([TOWN])
    policy.restore(0.0, "town", "early", -60.0, 300.0, "jet", "T1", 0.6, False)
    assert policy.decide(10.0, threat(0.6, 300.0, cue="approach")) == []


KINDS = st.sampled_from(["jet", "helicopter", "drone", "unknown"])
STEP = st.tuples(
    st.floats(0.0, 1.0),  # probability
    st.one_of(st.none(), st.floats(-600.0, 1800.0)),  # arrival, from now
    KINDS,
    st.sampled_from(["approach", "circling", "impact", "receding", "nearby"]),
    st.booleans(),  # a threat at all
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, min_size=1, max_size=120))
def test_every_update_tells_something_new_or_keeps_the_episode_alive(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    """Whatever the threats, an update changes the level or the kind of aircraft (to a known one),
    moves the time left by at least the step, or is a heartbeat; and the episode's lines are never
    further apart than the heartbeat."""
    cfg = PolicyConfig()
    policy = AlertPolicy([TOWN], cfg)
    last: Alert | None = None
    for k, (p, eta, kind, cue, present) in enumerate(steps):
        t = 10.0 * k
        threats = threat(p, None if eta is None else t + eta, kind=kind, cue=cue) if present else {}
        for a in policy.decide(t, threats):
            if a.action == "update":
                assert last is not None and last.action != "all_clear"
                gap = a.t - last.t
                left = (
                    None
                    if a.eta is None or last.eta is None
                    else abs(max(a.eta - t, 0) - max(last.eta - t, 0))
                )
                assert (
                    a.level != last.level
                    or (
                        a.threat != last.threat and a.threat != "unknown" and gap >= cfg.min_update_interval_s
                    )
                    or (left is not None and left >= cfg.eta_update_s and gap >= cfg.min_update_interval_s)
                    or gap >= cfg.heartbeat_s
                ), (last, a)
            last = a
        if last is not None and last.action != "all_clear" and policy.active():
            assert t - last.t <= cfg.heartbeat_s
