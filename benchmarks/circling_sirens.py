"""What separates the true circling sirens from the false ones (issue 17)?

Usage: python benchmarks/circling_sirens.py [--set tuning] [--jobs N] [--cache DIR] [--policy key=value ...]

Over the threats ``alert_minutes.py`` keeps per step (its cache: one replay per scenario), runs
the policy, folds its alerts into episodes as the scorer does, and for every siren episode raised
by a ``circling`` cue (the strongest threat at the site at the step of its first siren) prints,
with whether the scorer counts it false (no strike within 1.5 km of the site from the first siren
to 10 minutes after the end), what the policy could see then:

* the aircraft kind, the track's distance to the site and the threat's probability;
* ``sites``: how many sites the same track is circling at that step (their strongest threat is
  that track's ``circling`` cue), and ``sirens``: how many of them then have sirens going for
  the same track's circling;
* ``circled``: for how long (s) the track has had a ``circling`` cue at any site, unbroken;
* ``struck``: seconds since the last strike report (an ``impact`` threat) anywhere, and whether
  one was at this site before (``here``).

Then the false share by bands of each, after the false share of every siren episode by the cue
and aircraft that raised it (as ``siren_causes.py``, but under the given policy settings).
An analysis tool: it reads ``truth.json``; it is how the circling sirens were studied
(docs/benchmarks.md, twelfth session, "circling").
"""

from __future__ import annotations

import argparse
import collections
import math
import pickle
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# This folder is on the path when run as a script.
from alert_minutes import DEFAULT_CACHE, record
from evaluation_sets import evaluation_set
from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Site, Threat
from nadhir_lab.scoring import AlertLine, build_episodes, is_false_alarm, justifying_strike_times, load_truth
from policy_settings import policy_settings

Row = dict[str, object]


def circling_sirens(folder: Path, pickled: Path, config: PolicyConfig) -> list[Row]:
    """One row per siren episode raised by a circling cue, in one scenario."""
    sites_list, steps = pickle.loads(pickled.read_bytes())
    sites: dict[str, Site] = {s.id: s for s in sites_list}
    policy = AlertPolicy(sites_list, config)
    in_view: list[frozenset[str]] = [frozenset()]
    policy.track_seen = lambda track_id: track_id in in_view[0]
    truth = load_truth(folder)
    lines: list[AlertLine] = []
    # At each first siren of a site: (t, threat, sites circled by its track, sirens for it, circled s,
    # since last impact anywhere, impact here before)
    calls: dict[tuple[str, float], tuple[Threat, int, int, float, float, bool]] = {}
    circling_since: dict[str, float] = {}
    last_impact = -math.inf  # none yet: the band '>= 3600'
    impact_sites: set[str] = set()
    siren_by: dict[str, str] = {}  # site -> track whose circling holds its sirens
    raised: dict[tuple[str, float], str] = {}  # (site, first siren) -> cue, aircraft of its threat
    for t, threats, seen in steps:
        in_view[0] = seen
        circled: collections.Counter[str] = collections.Counter()
        for th in threats.values():
            if th.cue == "circling" and th.track is not None:
                circled[th.track] += 1
            if th.cue == "impact":
                last_impact = t
                impact_sites.add(th.site)
        for tr in list(circling_since):
            if tr not in circled:
                del circling_since[tr]
        for tr in circled:
            circling_since.setdefault(tr, t)
        for alert in policy.decide(t, threats):
            lines.append(AlertLine(alert.t, len(lines), alert.action, alert.site, alert.level))
            if alert.action == "all_clear":
                siren_by.pop(alert.site, None)
            elif alert.level == "imminent" and alert.site not in siren_by:
                th = threats.get(alert.site)
                if th is not None and th.cue == "circling" and th.track is not None:
                    siren_by[alert.site] = th.track
                    n_sirens = sum(1 for v in siren_by.values() if v == th.track)
                    calls[(alert.site, t)] = (
                        th,
                        circled[th.track],
                        n_sirens,
                        t - circling_since.get(th.track, t),
                        t - last_impact,
                        alert.site in impact_sites,
                    )
                else:
                    siren_by[alert.site] = "?"
                raised[(alert.site, t)] = f"{th.cue}, {th.aircraft}" if th is not None else "(none)"
    rows: list[Row] = []
    for ep in build_episodes(lines, truth.end):
        if ep.imminent_start is None:
            continue
        if (ep.site, ep.imminent_start) not in calls:
            false = is_false_alarm(
                ep.imminent_start, ep.end, justifying_strike_times(truth.strikes, sites[ep.site])
            )
            rows.append({"raised": raised.get((ep.site, ep.imminent_start), "(none)"), "false": false})
            continue
        th, n_sites, n_sirens, circled_s, since_impact, here = calls[(ep.site, ep.imminent_start)]
        false = is_false_alarm(
            ep.imminent_start, ep.end, justifying_strike_times(truth.strikes, sites[ep.site])
        )
        rows.append(
            {
                "raised": f"circling, {th.aircraft}",
                "scenario": folder.name,
                "site": ep.site,
                "t": ep.imminent_start,
                "aircraft": th.aircraft,
                "km": th.distance_m / 1000.0,
                "p": th.probability,
                "sites": n_sites,
                "sirens": n_sirens,
                "circled": circled_s,
                "since_impact": since_impact,
                "here": here,
                "false": false,
                "minutes": (ep.end - ep.imminent_start) / 60.0,
            }
        )
    return rows


def _job(args: tuple[Path, Path, PolicyConfig]) -> list[Row]:
    folder, cache, config = args
    return circling_sirens(folder, record(folder, cache), config)


def _bands(title: str, rows: Sequence[Row], key: str, edges: Sequence[float]) -> None:
    print(f"\n| {title} | episodes | false | share |\n|---|---|---|---|")
    groups: dict[str, list[bool]] = collections.defaultdict(list)
    for r in rows:
        v = r[key]
        if isinstance(v, (bool, str)):
            name = str(v)
        else:
            name = next((f"< {e:g}" for e in edges if float(v) < e), f">= {edges[-1]:g}")  # type: ignore[arg-type]
        groups[name].append(bool(r["false"]))
    for name in sorted(groups):
        f = groups[name]
        print(f"| {name} | {len(f)} | {sum(f)} | {sum(f) / len(f):.2f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", dest="eval_set", default="tuning", choices=("tuning", "report"))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--sets-cache", type=Path, default=Path(tempfile.gettempdir()) / "nadhir-eval-sets")
    ap.add_argument("--policy", nargs="*", default=[])
    ap.add_argument("--rows", action="store_true", help="print every episode")
    args = ap.parse_args()
    config = policy_settings(args.policy)
    members = evaluation_set(args.eval_set, args.sets_cache)
    jobs = [(m.folder, args.cache / args.eval_set, config) for m in members]
    with ProcessPoolExecutor(args.jobs) as pool:
        per = list(pool.map(_job, jobs))
    every = [r for part in per for r in part]
    _bands("every siren episode: cue, aircraft that raised it", every, "raised", ())
    rows = [r for r in every if "scenario" in r]
    if args.rows:
        keys = list(rows[0]) if rows else []
        print("| " + " | ".join(keys) + " |")
        for r in rows:
            print(
                "| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in r.values()) + " |"
            )
    _bands("aircraft", rows, "aircraft", ())
    _bands("km to site", rows, "km", (0.5, 1, 2, 3, 5))
    _bands("probability", rows, "p", (0.7, 0.8, 0.81))
    _bands("sites circled by the track", rows, "sites", (2, 3, 4, 6))
    _bands("sirens for the track", rows, "sirens", (2, 3, 4))
    _bands("circled for (s)", rows, "circled", (30, 60, 120, 240, 600))
    _bands("since a strike report anywhere (s)", rows, "since_impact", (300, 600, 1200, 3600))
    _bands("a strike report here before", rows, "here", ())
    return 0


if __name__ == "__main__":
    sys.exit(main())
