"""The two evaluation sets of issue 17: one to choose settings on, one only to report.

Every rule and threshold of the warning is chosen on the **tuning** set; the **report** set is
scored and written down, never used to choose. What goes in each is fixed here, by seed ranges
and by the recorded-flight library's own split (``nadhir_lab/data/flights/manifest.json``,
decided when the recordings were extracted, before any scoring):

* tuning: the seven public scenarios (the project's copies in ``tests/data/scenarios``), the
  project's simulated regions (seeds 101-112, 2 hours, regions in turn, every third with all
  twists, as ``tracking_eval.py``), and simulated days whose aircraft fly the ``tuning``
  recordings (seeds 501-508, 3 hours);
* report: simulated regions, seeds 301-312, and days flying the ``report`` recordings, seeds
  601-608 (recordings of survey aircraft, gliders, a carrier's transport, a TV-relay aircraft
  and an ambulance helicopter that the tuning recordings do not include).

A recorded day uses the region's map, people and listeners with at least four sorties an hour
(the bundled regions plan 2.5, which gives a 3-hour day one or two strikes; the public
real-flight scenarios have six to eight).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nadhir_lab.simulator import TWISTS, list_regions, load_region, simulate, write_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "data" / "scenarios"
PUBLIC_SYNTHETIC = ("idlib-basic", "idlib-twists", "hama-places", "idlib-spoofer", "hama-burst")
PUBLIC_REAL = ("adsb-idlib", "adsb-helis")


@dataclass(frozen=True)
class Member:
    """One scenario of a set and the group it is reported in."""

    group: str
    folder: Path


def _simulated(group: str, seeds: range, hours: float, recorded: str | None, cache: Path) -> list[Member]:
    regions = list_regions()
    out = []
    for k, seed in enumerate(seeds):
        name = regions[k % len(regions)]
        twists = list(TWISTS) if k % 3 == 2 else []
        tag = f"-{recorded}" if recorded else ""
        folder = cache / f"{name}-{seed}-{hours:g}h{tag}{'-twists' if twists else ''}"
        truth = folder / "truth.json"
        if not truth.is_file() or json.loads(truth.read_text())["meta"]["twists"] != sorted(twists):
            region = load_region(name)
            if recorded:
                region = region.model_copy(update={"sorties_per_hour": max(4.0, region.sorties_per_hour)})
            write_scenario(simulate(region, seed=seed, hours=hours, twists=twists, recorded=recorded), folder)
        out.append(Member(group, folder))
    return out


def evaluation_set(name: str, cache: Path) -> list[Member]:
    """The members of ``"tuning"`` or ``"report"``, simulated into ``cache`` when missing."""
    if name == "tuning":
        return (
            [Member("public synthetic", SCENARIOS / n) for n in PUBLIC_SYNTHETIC]
            + [Member("public real-flight", SCENARIOS / n) for n in PUBLIC_REAL]
            + _simulated("simulated", range(101, 113), 2.0, None, cache)
            + _simulated("recorded flights", range(501, 509), 3.0, "tuning", cache)
        )
    if name == "report":
        return _simulated("simulated", range(301, 313), 2.0, None, cache) + _simulated(
            "recorded flights", range(601, 609), 3.0, "report", cache
        )
    raise ValueError(f"unknown set {name!r}: tuning or report")
