"""A live track view says how well its speed is known, so the map can show a poor one as uncertain."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from itertools import groupby
from pathlib import Path

import numpy as np
import pytest

from nadhir.bus import InProcessBus
from nadhir.domain import TrackState
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.service.feed import FEED
from nadhir.service.live import LiveCore, speed_sigma_mps
from nadhir.service.region import bundled_scenario
from nadhir.tracking.track import Track

MAP_JS = Path(__file__).resolve().parents[2] / "src" / "nadhir" / "console" / "map.js"


def test_speed_sigma_is_the_velocity_spread_along_the_heading() -> None:
    # Velocity known to 5 m/s east-west and 40 m/s north-south: flying east, the speed is known to
    # 5 m/s; flying north, to 40; hovering, to the spread in any one direction.
    p = np.diag([100.0, 100.0, 25.0, 1600.0])
    track = Track(
        id="T1",
        t=0.0,
        x=np.array([0.0, 0.0, 200.0, 0.0]),
        p=p,
        type_probs=np.ones(3) / 3,
        created=0.0,
        last_update=0.0,
    )
    east = TrackState(
        t=0.0, track="T1", lat=35.9, lon=36.6, speed_mps=200.0, heading_deg=90.0, aircraft="jet", sigma_m=14.0
    )
    assert speed_sigma_mps(track, east) == pytest.approx(5.0)
    assert speed_sigma_mps(track, replace(east, heading_deg=0.0)) == pytest.approx(40.0)
    assert speed_sigma_mps(track, replace(east, heading_deg=45.0)) == pytest.approx(
        math.sqrt((25 + 1600) / 2)
    )
    assert speed_sigma_mps(track, replace(east, speed_mps=0.2)) == pytest.approx(math.sqrt((25 + 1600) / 2))


def test_live_track_views_carry_the_speed_sigma() -> None:
    scenario = load_scenario(bundled_scenario())
    bus = InProcessBus()
    feed = bus.subscribe(FEED, maxsize=1_000_000)
    core = LiveCore(build_pipeline(scenario), bus, scenario.reporters)
    sigmas: list[tuple[float, float]] = []
    for t, group in groupby([event for _, event in scenario.events()][:900], key=lambda e: e.t):
        core.tick(t - 1e-3)
        core.submit(list(group), t)
        for message in feed.drain():
            if message.type == "track":
                sigma = message.data["speed_sigma_mps"]
                assert sigma is not None and math.isfinite(sigma) and sigma >= 0.0
                sigmas.append((message.data["speed_mps"], sigma))
    checked = len(sigmas)
    assert checked > 50
    # The map's rule (its constants, read from map.js) tells poorly and well known speeds apart.
    text = MAP_JS.read_text(encoding="utf-8")
    floor_match = re.search(r"SPEED_SIGMA_FLOOR_MPS = ([\d.]+)", text)
    share_match = re.search(r"SPEED_SIGMA_SHARE = ([\d.]+)", text)
    assert floor_match and share_match
    floor, share = float(floor_match.group(1)), float(share_match.group(1))
    doubted = [s > max(floor, share * v) for v, s in sigmas]
    assert any(doubted) and not all(doubted)
