"""How often the console map shows a track's speed as a fact when it is wrong, and flags it when right.

Usage: python benchmarks/map_speed_doubt.py [SCENARIO_DIR ...]   (default: the bundled demo)

Feeds each scenario through the live core (the same messages the console gets), and for every
published track view finds the true aircraft nearest to it (within 5 km, at that time) and its true
speed over the 20 s around it. A speed is *wrong* when it is off by more than 30 % of the true speed
and more than 15 m/s. It prints, for each rule that would mark a speed "uncertain" on the map:
the share of views it flags, the share of flagged speeds that were wrong, and the share of speeds
it lets through (shown as fact) that were wrong. The rules' constants are read from the map's own
code (src/nadhir/console/map.js), so this measures what the map does. An analysis tool: it reads
``truth.json``, which the system never does.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import Any

from nadhir.bus import InProcessBus
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.service.feed import FEED
from nadhir.service.live import LiveCore
from nadhir.service.region import bundled_scenario
from nadhir_lab.scoring import METRES_PER_DEGREE, AircraftPath, load_truth

MAP_JS = Path(__file__).resolve().parents[1] / "src" / "nadhir" / "console" / "map.js"
MATCH_M = 5000.0


def map_rule() -> tuple[dict[str, tuple[float, float]], float, float]:
    """The speed bands per type and the sigma floor and share, as map.js has them."""
    text = MAP_JS.read_text(encoding="utf-8")
    bands_src = re.search(r"SPEED_BANDS_MPS = \{([^}]*)\}", text)
    floor = re.search(r"SPEED_SIGMA_FLOOR_MPS = ([\d.]+)", text)
    share = re.search(r"SPEED_SIGMA_SHARE = ([\d.]+)", text)
    assert bands_src and floor and share, "map.js no longer defines the speed rule's constants"
    bands = {
        k: (float(lo), float(hi))
        for k, lo, hi in re.findall(r"(\w+): \[([\d.]+), ([\d.]+)\]", bands_src.group(1))
    }
    return bands, float(floor.group(1)), float(share.group(1))


def true_speed(ac: AircraftPath, t: float) -> float:
    """True ground speed (m/s) over the 20 s around ``t``."""
    t0, t1 = max(ac.times[0], t - 10), min(ac.times[-1], t + 10)
    a, b = ac.position_at(t0), ac.position_at(t1)
    if a is None or b is None or t1 <= t0:
        return 0.0
    north = (b[0] - a[0]) * METRES_PER_DEGREE
    east = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(math.radians(a[0]))
    return math.hypot(north, east) / (t1 - t0)


def matched_views(scenario_dir: Path) -> list[tuple[dict[str, Any], float]]:
    """Every published track view with the true speed of the aircraft nearest to it."""
    scenario = load_scenario(scenario_dir)
    truth = load_truth(scenario_dir)
    bus = InProcessBus()
    feed = bus.subscribe(FEED, maxsize=1_000_000)
    core = LiveCore(build_pipeline(scenario), bus, scenario.reporters)
    out = []
    for t, group in groupby([event for _, event in scenario.events()], key=lambda e: e.t):
        core.tick(t - 1e-3)
        core.submit(list(group), t)
        for message in feed.drain():
            if message.type != "track":
                continue
            view = message.data
            best: tuple[float, AircraftPath] | None = None
            for ac in truth.aircraft:
                at = ac.position_at(view["t"])
                if at is None:
                    continue
                d = math.hypot(
                    (at[0] - view["lat"]) * METRES_PER_DEGREE,
                    (at[1] - view["lon"]) * METRES_PER_DEGREE * math.cos(math.radians(at[0])),
                )
                if d <= MATCH_M and (best is None or d < best[0]):
                    best = (d, ac)
            if best is not None:
                out.append((view, true_speed(best[1], view["t"])))
    return out


def wrong(view: dict[str, Any], truth: float) -> bool:
    error = abs(view["speed_mps"] - truth)
    return error > 0.3 * truth and error > 15.0


def main(argv: list[str]) -> None:
    dirs = [Path(a) for a in argv] or [bundled_scenario()]
    bands, floor, share = map_rule()

    def band(v: dict[str, Any]) -> bool:
        lo, hi = bands.get(v["aircraft"], bands["unknown"])
        return not lo <= v["speed_mps"] <= hi

    def sigma(v: dict[str, Any]) -> bool:
        s = v.get("speed_sigma_mps")
        return s is not None and s > max(floor, share * v["speed_mps"])

    rules: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
        ("none (every speed as fact)", lambda v: False),
        ("type band only", band),
        (f"sigma > max({floor:g}, {share:g} v) only", sigma),
        ("the map: band or sigma", lambda v: band(v) or sigma(v)),
    ]
    for d in dirs:
        views = matched_views(d)
        print(f"{d.name}: {len(views)} track views matched to a true aircraft within {MATCH_M / 1000:g} km")
        print(f"  {'rule':<36}{'flagged':>9}{'wrong|flagged':>15}{'wrong|shown':>13}")
        for name, rule in rules:
            flagged = [w for v, tr in views if rule(v) for w in [wrong(v, tr)]]
            shown = [w for v, tr in views if not rule(v) for w in [wrong(v, tr)]]
            f_share = len(flagged) / len(views) if views else float("nan")
            wf = sum(flagged) / len(flagged) if flagged else float("nan")
            ws = sum(shown) / len(shown) if shown else float("nan")
            print(f"  {name:<36}{f_share:>9.2f}{wf:>15.2f}{ws:>13.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
