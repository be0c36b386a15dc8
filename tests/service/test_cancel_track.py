"""Cancelling a track everywhere, held for an undo window; the live core's facts for the console."""

from __future__ import annotations

import pytest
from service_helpers import bundled_core, feed_live

from nadhir.alerting.policy import plausible_eta
from nadhir.domain import Event
from nadhir.service.feed import ALERTS, FEED
from nadhir.service.live import LiveCore
from nadhir.service.operator import UNDO_WINDOW_S, OperatorActionError

BY = "operator:test"


def _track_alerting_two_sites(core: LiveCore, events: list[Event]) -> tuple[int, str, list[str]]:
    """Feed events until one track has alerts open at two sites or more: (events used, track, sites)."""
    for i, event in enumerate(events):
        feed_live(core, [event])
        for track in {ep.track for s in core.policy.active() if (ep := core.policy.episode(s)) and ep.track}:
            sites = core.policy.sites_alerted_by(track, core.pipeline.threats)
            if len(sites) >= 2:
                return i + 1, track, sites
    raise AssertionError("no track alerted two sites")


def test_cancel_everywhere_waits_out_the_undo_window_then_clears_every_site_of_that_track() -> None:
    core, events = bundled_core()
    used, track, sites = _track_alerting_two_sites(core, events)
    alerts = core.bus.subscribe(ALERTS, maxsize=100_000)
    feed = core.bus.subscribe(FEED, maxsize=100_000)
    assert core.now is not None
    now, wall = core.now + 1, 1000.0
    held = core.hold_cancel_track(track, BY, now, wall)
    assert held.sites == tuple(sites) and held.window_s == UNDO_WINDOW_S
    assert [m.type for m in feed.drain() if m.type in ("held", "held_end")] == ["held"]
    # During the window nothing is sent and the alerts stand.
    assert core.apply_due(now + 5, wall + UNDO_WINDOW_S - 0.1) == []
    assert alerts.drain() == [] and set(sites) <= set(core.policy.active())
    with pytest.raises(OperatorActionError, match="already waiting"):
        core.hold_cancel_track(track, BY, now + 5, wall + 5)
    # Then the all-clears go out at every site that track alerted, in one go.
    [(done, sent)] = core.apply_due(now + 10, wall + UNDO_WINDOW_S)
    assert done.id == held.id and isinstance(sent, list)
    assert sorted((a.action, a.site) for a in sent) == sorted(("all_clear", s) for s in sites)
    assert not set(sites) & set(core.policy.active())
    assert core.held == {} and core.operator_log[-1]["action"] == "cancel_track"
    ends = [m.data for m in feed.drain() if m.type == "held_end"]
    assert ends == [{"id": held.id, "outcome": "applied", "alerts": len(sites)}]
    # The track is ignored everywhere for a while: the next ten minutes open no alert of it anywhere.
    end = core.now + 600 if core.now is not None else 0.0
    feed_live(core, [e for e in events[used:] if e.t <= end])
    assert not [a for a in alerts.drain() if a.action == "alert" and a.track == track]


def test_undo_before_the_window_ends_sends_nothing() -> None:
    core, events = bundled_core()
    _, track, sites = _track_alerting_two_sites(core, events)
    alerts = core.bus.subscribe(ALERTS, maxsize=100_000)
    assert core.now is not None
    held = core.hold_cancel_track(track, BY, core.now, 50.0)
    undone = core.undo_held(held.id, "operator:other", core.now + 2)
    assert undone == held and core.held == {}
    assert core.apply_due(core.now + 20, 50.0 + 60) == []
    assert [a for a in alerts.drain() if a.action == "all_clear"] == []
    assert set(sites) <= set(core.policy.active())
    assert [e["action"] for e in core.operator_log][-2:] == ["cancel_track", "undo"]
    with pytest.raises(OperatorActionError) as gone:
        core.undo_held(held.id, BY, core.now)
    assert gone.value.status == 404


def test_a_track_with_no_alert_or_no_track_at_all_is_refused() -> None:
    core, events = bundled_core()
    feed_live(core, events[:3])
    assert core.now is not None
    with pytest.raises(OperatorActionError) as unknown:
        core.hold_cancel_track("T999", BY, core.now, 0.0)
    assert unknown.value.status == 404 and "no track" in str(unknown.value)
    assert core.held == {}


def test_a_site_shows_the_threats_current_arrival_not_the_one_its_last_alert_carried() -> None:
    core, events = bundled_core()
    # Look for a moment when an open alert's own arrival time has fallen behind its threat's.
    for event in events:
        feed_live(core, [event])
        assert core.now is not None
        for site_id in core.policy.active():
            episode, threat = core.policy.episode(site_id), core.pipeline.threats.get(site_id)
            current = plausible_eta(threat.eta, core.now) if threat is not None else None
            if episode is None or episode.eta is None or current is None or abs(current - episode.eta) < 60:
                continue
            assert core.site_views[site_id]["eta_s"] == round(current)
            return
    raise AssertionError("no open alert whose arrival time moved")


def test_inputs_are_published_with_how_they_were_read_and_their_sources_health() -> None:
    core, events = bundled_core()
    feed = core.bus.subscribe(FEED, maxsize=100_000)
    feed_live(core, events[:60])
    messages = feed.drain()
    inputs = [m.data for m in messages if m.type == "input"]
    assert len(inputs) == 60 and list(core.recent_inputs) == inputs
    reports = [i for i in inputs if i["kind"] == "report"]
    assert reports, "the scenario's first events have reports"
    read = next(i for i in reports if i["text"] and i["read"] and "aircraft" in i["read"])
    assert read["source_kind"] == "observer" and 0 <= read["trust"] <= 1
    assert read["read"]["lat"] is not None and read["read"]["credited_to"]
    acoustic = next(i for i in inputs if i["kind"] == "acoustic")
    assert acoustic["read"]["sound"] and acoustic["source_kind"] == "sensor"
    sources = {m.data["id"]: m.data for m in messages if m.type == "source"}
    assert {i["source"] for i in inputs} == set(sources)
    assert all(s["health"] == "ok" for s in sources.values())
    # A track says when the first word of it came, from which of its sources.
    tracks = [v for v in core.track_views.values() if v.get("first_input_s") is not None]
    assert tracks
    for view in tracks:
        assert view["first_input_s"] <= view["started_s"] <= view["shown_s"]
    assert core.snapshot()["inputs"] == inputs


def test_a_source_that_falls_silent_is_published_when_it_does() -> None:
    core, events = bundled_core()
    feed_live(core, events[:5])
    feed = core.bus.subscribe(FEED, maxsize=100_000)
    assert core.now is not None
    core.tick(core.now + 16 * 60)  # nothing heard for longer than SILENT_AFTER_S
    silent = [m.data for m in feed.drain() if m.type == "source"]
    assert silent and all(s["health"] == "silent" for s in silent)
