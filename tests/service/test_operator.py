"""Operator actions go through the alert policy: confirm, cancel (all-clear), manual alert."""

from __future__ import annotations

import pytest
from service_helpers import bundled_core, feed_live

from nadhir.domain import Alert, Event, Site, Threat
from nadhir.service.feed import ALERTS
from nadhir.service.live import LiveCore
from nadhir.service.operator import OperatorActionError, OperatorPolicy


def _first_tracked_alert(core: LiveCore, events: list[Event]) -> tuple[int, str, str]:
    """Feed events until some site has an alert raised by a track; (events used, site, track)."""
    for i, event in enumerate(events):
        feed_live(core, [event])
        for site_id in core.policy.active():
            episode = core.policy.episode(site_id)
            if episode is not None and episode.track is not None:
                return i + 1, site_id, episode.track
    raise AssertionError("the scenario raised no alert from a track")


def test_cancel_sends_all_clear_and_ignores_that_track_at_that_site() -> None:
    core, events = bundled_core()
    used, site, track = _first_tracked_alert(core, events)
    sent = core.bus.subscribe(ALERTS, maxsize=100_000)
    assert core.now is not None
    out = core.operator_action("cancel", site, "operator:test", core.now + 1)
    assert [(a.action, a.site) for a in out] == [("all_clear", site)]
    assert site not in core.policy.active()
    assert core.site_views[site]["level"] is None
    assert core.operator_log[-1]["action"] == "cancel"
    # The next five minutes of the scenario: the cancelled track raises nothing at this site.
    end = core.now + 300
    feed_live(core, [e for e in events[used:] if e.t <= end])
    again: list[Alert] = [a for a in sent.drain() if a.site == site and a.action == "alert"]
    assert all(a.track != track for a in again)


def test_confirm_makes_the_alert_certain() -> None:
    core, events = bundled_core()
    _, site, _ = _first_tracked_alert(core, events)
    assert core.now is not None
    out = core.operator_action("confirm", site, "operator:test", core.now + 1)
    assert out and out[0].action == "update" and out[0].confidence == 1.0
    assert core.site_views[site]["confirmed"] is True


def test_manual_alert_opens_an_episode_that_ends_in_all_clear() -> None:
    core, events = bundled_core()
    feed_live(core, events[:5])
    assert core.now is not None
    t0 = core.now + 1
    site = "idlib-maternity-hospital"
    out = core.operator_action("alert", site, "operator:test", t0, level="imminent", aircraft="jet")
    assert [(a.action, a.level, a.site, a.confidence) for a in out] == [("alert", "imminent", site, 1.0)]
    assert core.site_views[site]["manual"] is True
    # Cancelling the manual alert sends the all-clear at once.
    out = core.operator_action("cancel", site, "operator:test", t0 + 10)
    assert [a.action for a in out] == ["all_clear"]
    assert core.site_views[site]["level"] is None and core.site_views[site]["manual"] is False


def test_manual_alert_expires_through_the_policy_hold() -> None:
    core, _ = bundled_core()
    core.policy.manual_hold_s = 60.0
    site = "saraqeb"
    sent = core.bus.subscribe(ALERTS, maxsize=10_000)
    core.operator_action("alert", site, "operator:test", 1_000_000.0, level="early", aircraft="drone")
    core.tick(1_000_000.0 + 59)
    assert site in core.policy.active()
    # A drone lingers: its phones-only episode is held longer than a jet's (PolicyConfig).
    core.tick(1_000_000.0 + 60 + core.policy.config.hold_s + 5)
    assert site in core.policy.active()
    core.tick(1_000_000.0 + 60 + core.policy.config.lingering_hold_s + 5)
    actions = [a.action for a in sent.drain() if a.site == site]
    assert actions[0] == "alert" and actions[-1] == "all_clear"
    assert site not in core.policy.active()


def test_actions_that_do_not_apply_are_refused() -> None:
    core, _ = bundled_core()
    with pytest.raises(OperatorActionError) as missing:
        core.operator_action("cancel", "saraqeb", "operator:test", 100.0)
    assert missing.value.status == 409
    with pytest.raises(OperatorActionError) as unknown:
        core.operator_action("confirm", "atlantis", "operator:test", 100.0)
    assert unknown.value.status == 404
    with pytest.raises(OperatorActionError) as past:
        core.operator_action("alert", "saraqeb", "operator:test", 100.0, eta=100.0 - 3600)
    assert past.value.status == 422


def test_test_alarm_sends_no_alert_but_reaches_thefeed_live() -> None:
    from nadhir.service.feed import FEED

    core, _ = bundled_core()
    feed = core.bus.subscribe(FEED, maxsize=100)
    assert core.operator_action("test_alarm", "sarmada-hospital", "operator:test", 100.0) == []
    alarms = [m for m in feed.drain() if m.type == "test_alarm"]
    assert alarms and alarms[0].site == "sarmada-hospital"


def test_no_test_alarm_where_a_real_alert_is_open() -> None:
    """A test alarm would put "TEST ALARM - no danger" and the test tone over a real warning: refused
    (409, naming the sites) at a site under alert, and for "all" while any site is; other sites test."""
    core, _ = bundled_core()
    core.operator_action("alert", "saraqeb", "operator:test", 100.0, level="imminent", eta=400.0)
    with pytest.raises(OperatorActionError) as one:
        core.operator_action("test_alarm", "saraqeb", "operator:test", 110.0)
    assert one.value.status == 409 and "saraqeb (imminent)" in str(one.value)
    with pytest.raises(OperatorActionError) as every:
        core.operator_action("test_alarm", "*", "operator:test", 110.0)
    assert every.value.status == 409 and "saraqeb" in str(every.value)
    assert core.operator_action("test_alarm", "sarmada-hospital", "operator:test", 110.0) == []
    core.operator_action("cancel", "saraqeb", "operator:test", 120.0)
    assert core.operator_action("test_alarm", "saraqeb", "operator:test", 130.0) == []


def test_an_operators_confirmation_is_the_second_witness_sirens_need() -> None:
    """A threat one witness supports warns phones; once an operator confirms it, it may sound sirens."""
    town = Site(id="town", name="Town", kind="town", lat=35.9, lon=36.6, radius_m=2000.0)
    policy = OperatorPolicy([town])
    lone = Threat("town", "T1", "helicopter", 0.9, 0.0, 0.0, "circling", frozenset({"unlisted"}))
    [a] = policy.decide(0.0, {"town": lone})
    assert (a.action, a.level) == ("alert", "early")
    policy.confirm(10.0, "town", "duty-officer")
    [b] = policy.decide(20.0, {"town": lone})
    assert (b.action, b.level) == ("update", "imminent")
