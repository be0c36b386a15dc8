"""The live core is the replay loop: fed the same events at the same times, it sends the same alerts."""

from __future__ import annotations

import math
from itertools import groupby

import pytest
from service_helpers import bundled_core, feed_live

from nadhir.alerting.approach import approach_toward
from nadhir.bus import InProcessBus
from nadhir.domain import Alert
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.replay import replay_scenario
from nadhir.engine.stepper import RUN_ON_S
from nadhir.service.feed import ALERTS, FEED
from nadhir.service.live import LiveCore
from nadhir.service.region import bundled_scenario


def test_live_core_sends_exactly_the_replay_alerts() -> None:
    scenario = load_scenario(bundled_scenario())
    expected = replay_scenario(scenario, keep=True)
    bus = InProcessBus()
    alerts_seen = bus.subscribe(ALERTS, maxsize=100_000)
    feed = bus.subscribe(FEED, maxsize=1_000_000)
    core = LiveCore(build_pipeline(scenario), bus, scenario.reporters)
    feed_live(core, [event for _, event in scenario.events()])
    assert core.now is not None
    core.tick(core.now + RUN_ON_S)

    live: list[Alert] = alerts_seen.drain()
    assert len(expected.alerts) > 50
    assert live == expected.alerts
    assert core.summary.episodes == expected.summary.episodes
    assert core.summary.tracks == expected.summary.tracks
    messages = feed.drain()
    kinds = {m.type for m in messages}
    assert {"alert", "track", "site", "track_lost"} <= kinds
    assert sum(m.type == "alert" for m in messages) == len(live)
    # After the run-on every episode has ended and no site is under alert.
    assert all(view["level"] is None for view in core.site_views.values())


def test_track_views_carry_trail_and_widening_prediction() -> None:
    bus = InProcessBus()
    feed = bus.subscribe(FEED, maxsize=1_000_000)
    core, events = bundled_core(bus)
    feed_live(core, events[:400])
    tracks = [m.data for m in feed.drain() if m.type == "track"]
    assert tracks
    with_trail = [v for v in tracks if len(v["trail"]) >= 3]
    assert with_trail
    view = with_trail[-1]
    assert view["trail"][-1] == [view["lat"], view["lon"]]
    prediction = view["prediction"]
    assert 1 <= len(prediction) <= 15
    # Every cone starts where the map draws its track (coasting ones included: they are drawn flying
    # on from their last measurement) and flies on at the published speed and heading.
    frame = core.pipeline.frame
    for v in tracks:
        x0, y0 = frame.to_xy(v["lat"], v["lon"])
        x1, y1 = frame.to_xy(v["prediction"][0][1], v["prediction"][0][2])
        assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(60.0 * v["speed_mps"], abs=5.0)
        if v["speed_mps"] > 10.0:
            heading = math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0
            assert abs((heading - v["heading_deg"] + 180.0) % 360.0 - 180.0) < 1.0
    assert [p[0] for p in prediction] == [60.0 * k for k in range(1, len(prediction) + 1)]
    sigmas = [p[3] for p in prediction]
    assert sigmas == sorted(sigmas)
    assert all(s <= 15_000 for s in sigmas[1:])
    # Well-held tracks are predicted minutes ahead (jets, with the IMM's manoeuvre noise, about three
    # minutes before the cone passes PREDICT_MAX_SIGMA_M).
    assert any(len(v["prediction"]) >= 3 for v in tracks)


def test_track_views_say_whether_the_track_is_confirmed() -> None:
    # Tentative tracks likelier real than not are published too; the map draws them faint, so each
    # view must say which it is, and agree with the tracker.
    scenario = load_scenario(bundled_scenario())
    bus = InProcessBus()
    feed = bus.subscribe(FEED, maxsize=1_000_000)
    core = LiveCore(build_pipeline(scenario), bus, scenario.reporters)
    seen: dict[bool, int] = {True: 0, False: 0}
    events = [event for _, event in scenario.events()][:600]
    for t, group in groupby(events, key=lambda e: e.t):
        core.tick(t - 1e-3)
        core.submit(list(group), t)
        for message in feed.drain():
            if message.type != "track":
                continue
            view = message.data
            track = core.pipeline.tracker.tracks.get(view["track"])
            if track is not None:  # else deleted in the same step, after its state went out
                assert view["confirmed"] is (track.status == "confirmed")
            seen[view["confirmed"]] += 1
    assert seen[True] > 0 and seen[False] > 0


def test_a_site_card_says_where_the_threat_comes_from_as_the_map_draws_it() -> None:
    """The direction on a site's card is worked out from where the map draws the threatening track
    (its published state), not from the filter's estimate, which lags it between measurements."""
    scenario = load_scenario(bundled_scenario())
    core = LiveCore(build_pipeline(scenario), InProcessBus(), scenario.reporters)
    frame = core.pipeline.frame
    sites = {s.id: s for s in scenario.sites}
    checked = 0
    for t, group in groupby([event for _, event in scenario.events()][:900], key=lambda e: e.t):
        core.tick(t - 1e-3)
        core.submit(list(group), t)
        for view in core.site_views.values():
            drawn = core.track_views.get(view["track"]) if view["from"] else None
            if drawn is None:
                continue
            site = sites[view["id"]]
            sx, sy = frame.to_xy(site.lat, site.lon)
            tx, ty = frame.to_xy(drawn["lat"], drawn["lon"])
            if math.hypot(tx - sx, ty - sy) > 2_000.0:  # clear of compass-sector edges by rounding
                state = core.pipeline.shown[view["track"]]
                assert (drawn["lat"], drawn["lon"]) == (round(state.lat, 5), round(state.lon, 5))
                assert view["from"] == approach_toward(state, site).from_point
                checked += 1
    assert checked > 50
