"""Where the alert-minutes go (issue 17's bar: alert-minutes <= 2.2 x the oracle's).

Usage: python benchmarks/alert_minutes.py [--set tuning|report] [--jobs N] [--scenarios]
                                          [--policy key=value ...] [--sweep key=v1,v2,...]
                                          [--ring TYPES:SIGMA_DEG] [--together NAME,NAME,...] [--pairs]

Each scenario is replayed once with the system's own tracks, and the per-site threats the
pipeline hands the alert policy at every step are kept, with the tracks the tracker sees then
(``Pipeline.sees``, which ``seen_hold_s`` reads) (``--cache``, one pickle per scenario;
``--fresh`` replays again). The policy alone is then run again over them, with the default
settings or those given (``--policy hold_s=120``), so a sweep of the policy's settings costs
seconds, not a replay of the tracker. (A setting that changes which threat the pipeline prefers
for a site, through ``desired_level`` in ``Pipeline._prefer_sirens``, is not replayed exactly:
the hold and clear settings are not such settings.) ``--ring jet:90`` replays with the
tracker's ring prior (``tracking/ring.py``; kept apart in the cache), so the policy's sweeps run
over ring tracks. ``--together idlib-basic,idlib-twists`` adds the pooled row of those scenarios
(issue 5's pair, whose figures ``tests/engine/test_replay.py`` pins).

The open-episode time is broken down, per group of the set, by

* level: phones only (``early``) or sirens (``imminent``, from the episode's first siren on);
* what holds the episode open at that moment: a threat that calls for a level by itself
  (``called``), a faint one between the clear and the early thresholds (``faint``), or none
  (``hold``: the hold time before the all-clear), with the cue and kind of aircraft of the threat
  (the last one seen, while held);
* phase, against the truth: inside an oracle window at that site (a struck site, from the
  striking aircraft's take-off to the strike), in the 10 minutes after a strike at or near the
  site (the tail), or neither (``idle``: no strike coming or just past).

With ``--pairs`` it lists, instead, every strike-site pair whose lead the given settings cut by a
minute or more against the defaults: the pair's lead both ways, each episode at the site, and, at
each all-clear before the strike, the strongest threats the site had in the ``seen_hold_s`` (or
150 s) before it (track, kind, cue, highest probability, nearest km, whether in view) and the true
aircraft then within 30 km (closing or opening; ``*`` the striker). It is how the seen hold's lost
lead was traced (docs/benchmarks.md, twelfth session, "holds").

With ``--sweep`` it prints the scorer's figures per group for each value of one setting (and
the spread of alert-min / oracle over the scenarios); ``--scenarios`` adds each scenario's row.
The figures equal ``warning_scores.py --set ...``'s (checked at the defaults and at
``seen_hold_s=150``, and with ``--ring jet:60|90|120`` at the defaults). Results:
docs/benchmarks.md, tenth session, "where the alert-minutes go" and "Together".
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pickle
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# This folder is on the path when run as a script.
from evaluation_sets import evaluation_set
from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Site, Threat
from nadhir.domain.formats.output import alert_to_dict, json_line
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import Stepper
from nadhir.geo.distance import haversine_m
from nadhir.tracking.ring import RingPrior
from nadhir_lab.scoring import (
    FALSE_ALARM_GRACE_S,
    LEAD_CAP_S,
    ScoreReport,
    combine,
    justifying_strike_times,
    load_truth,
    score,
    site_contains,
    strike_site_pairs,
)
from policy_settings import policy_settings
from warning_scores import figure, per_oracle

# Per step: the time, the strongest threat per site, and the tracks the tracker sees then.
Steps = list[tuple[float, dict[str, Threat], frozenset[str]]]
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "nadhir-alert-minutes"


def record(folder: Path, cache: Path, fresh: bool = False, ring: str | None = None) -> Path:
    """Replay ``folder`` and keep the threats handed to the policy at every step (cached).

    ``ring`` is a ring prior's setting (``RingPrior.parse``) for the tracker, or None."""
    tag = f".ring-{ring.replace(':', '_').replace('+', '-')}" if ring else ""
    out = cache / f"{folder.name}.steps-v3{tag}.pkl"
    if out.is_file() and not fresh:
        return out
    scenario = load_scenario(folder)
    pipeline = build_pipeline(scenario, ring=RingPrior.parse(ring) if ring else None)
    steps: Steps = []
    decide = pipeline.policy.decide

    def keep(t: float, threats: dict[str, Threat]) -> list:  # type: ignore[type-arg]
        seen = frozenset(k for k in pipeline.tracker.tracks if pipeline.sees(k))
        steps.append((t, dict(threats), seen))
        return decide(t, threats)

    pipeline.policy.decide = keep  # type: ignore[method-assign]
    Stepper(pipeline, lambda a: None, None).run(e for _, e in scenario.events())
    sites = list(pipeline.policy.sites.values())
    cache.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pickle.dumps((sites, steps), protocol=pickle.HIGHEST_PROTOCOL))
    return out


@dataclasses.dataclass
class Result:
    """One scenario under one policy: its score and where its open-episode seconds went."""

    report: ScoreReport
    seconds: Counter[tuple[str, ...]]


def _phase(t: float, windows: Sequence[tuple[float, float]], strikes: Sequence[float]) -> str:
    if any(a <= t <= b for a, b in windows):
        return "oracle"
    if any(s < t <= s + FALSE_ALARM_GRACE_S for s in strikes):
        return "tail"
    return "idle"


def replay(folder: Path, pickled: Path, config: PolicyConfig) -> Result:
    """Run the policy alone over the kept threats, score its alerts and break its minutes down."""
    sites, steps = pickle.loads(pickled.read_bytes())
    policy = AlertPolicy(sites, config)
    in_view: list[frozenset[str]] = [frozenset()]  # this step's, as the pipeline would say
    policy.track_seen = lambda track_id: track_id in in_view[0]
    truth = load_truth(folder)
    takeoffs = {a.id: a.takeoff for a in truth.aircraft if a.times}
    windows: dict[str, list[tuple[float, float]]] = {}
    near: dict[str, list[float]] = {}
    for site in sites:
        site_obj: Site = site
        for s in truth.strikes:
            if site_contains(site_obj, s.lat, s.lon):
                start = takeoffs.get(s.aircraft, s.t) if s.aircraft is not None else s.t
                windows.setdefault(site.id, []).append((max(start, s.t - 1800.0), s.t))
        near[site.id] = justifying_strike_times(truth.strikes, site_obj)
    lines: list[str] = []
    seconds: Counter[tuple[str, ...]] = Counter()
    last: dict[str, Threat] = {}
    sirens: set[str] = set()
    c = config
    for k, (t, threats, seen) in enumerate(steps):
        in_view[0] = seen
        for alert in policy.decide(t, threats):
            lines.append(json_line(alert_to_dict(alert)))
            if alert.action == "all_clear":
                sirens.discard(alert.site)
                last.pop(alert.site, None)
            elif alert.level == "imminent":
                sirens.add(alert.site)
        if k + 1 >= len(steps):
            break
        dt = min(steps[k + 1][0], truth.end) - t
        if dt <= 0:
            continue
        for site_id in policy.active():
            threat = threats.get(site_id)
            site = policy.sites[site_id]
            if threat is not None and threat.probability >= c.clear_probability:
                last[site_id] = threat
                state = "called" if policy.desired_level(site, threat, t) is not None else "faint"
            else:
                state = "hold"
            held = last.get(site_id)
            what = f"{held.aircraft}/{held.cue}" if held is not None else "?"
            level = "imminent" if site_id in sirens else "early"
            phase = _phase(t, windows.get(site_id, ()), near[site_id])
            seconds[(level, state, what, phase)] += dt
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alerts.jsonl"
        path.write_text("".join(lines), encoding="utf-8")
        report = score(folder, path)
    return Result(report, seconds)


def _episodes(sites: list[Site], steps: Steps, config: PolicyConfig) -> dict[str, list[tuple[float, float]]]:
    """Each site's episodes (start, all-clear or last step) under ``config``, over the kept steps."""
    policy = AlertPolicy(sites, config)
    in_view: list[frozenset[str]] = [frozenset()]
    policy.track_seen = lambda track_id: track_id in in_view[0]
    opened: dict[str, float] = {}
    out: dict[str, list[tuple[float, float]]] = {}
    for t, threats, seen in steps:
        in_view[0] = seen
        for alert in policy.decide(t, threats):
            if alert.action == "alert":
                opened.setdefault(alert.site, t)
            elif alert.action == "all_clear" and alert.site in opened:
                out.setdefault(alert.site, []).append((opened.pop(alert.site), t))
    for site_id, start in opened.items():
        out.setdefault(site_id, []).append((start, steps[-1][0]))
    return out


def _lead(episodes: Sequence[tuple[float, float]], t: float) -> float | None:
    leads = [min(LEAD_CAP_S, t - a) for a, b in episodes if a <= t <= b]
    return max(leads) if leads else None


def pair_changes(folder: Path, pickled: Path, config: PolicyConfig) -> list[str]:
    """The pairs whose lead ``config`` cuts by a minute or more against the defaults, and what was
    about the site at each all-clear before the strike (see the module's docstring)."""
    sites, steps = pickle.loads(pickled.read_bytes())
    before, after = _episodes(sites, steps, PolicyConfig()), _episodes(sites, steps, config)
    truth = load_truth(folder)
    t0, takeoffs = truth.start, {a.id: a.takeoff for a in truth.aircraft if a.times}
    window = config.seen_hold_s or 150.0
    lines: list[str] = []
    for strike, site in strike_site_pairs(truth.strikes, sites):
        was, now = _lead(before.get(site.id, ()), strike.t), _lead(after.get(site.id, ()), strike.t)
        if (was or 0.0) - (now or 0.0) < 60.0:
            continue
        takeoff = takeoffs.get(strike.aircraft or "", strike.t)
        lines.append(
            f"{folder.name} {site.id}: strike at {strike.t - t0:.0f} s by {strike.aircraft} (took off at "
            f"{takeoff - t0:.0f} s); lead {was} -> {now}"
        )
        for label, eps in (("defaults", before), ("given", after)):
            shown = [
                f"{a - t0:.0f}-{b - t0:.0f}"
                for a, b in eps.get(site.id, ())
                if b > strike.t - 3600 and a <= strike.t
            ]
            lines.append(f"  episodes ({label}): {', '.join(shown)}")
        ends = {b for _, b in before.get(site.id, ())}
        for _, end in after.get(site.id, ()):
            if end in ends or not strike.t - 3600 < end < strike.t:
                continue
            threats: dict[tuple[str, str, str, bool], tuple[float, float]] = {}
            for t, by_site, seen in steps:
                th = by_site.get(site.id)
                if th is not None and end - window <= t <= end:
                    key = (str(th.track), th.aircraft, th.cue, th.track in seen)
                    p, km = threats.get(key, (0.0, math.inf))
                    threats[key] = (max(p, th.probability), min(km, th.distance_m / 1000))
            shown = sorted(threats.items(), key=lambda kv: -kv[1][0])[:5]
            about = ", ".join(
                f"{k[0]} {k[1]} {k[2]} {p:.2f} at {km:.0f} km{'' if k[3] else ' (out of view)'}"
                for k, (p, km) in shown
            )
            lines.append(
                f"  all-clear at {end - t0:.0f} s; threats in the {window:.0f} s before: {about or 'none'}"
            )
            near = []
            for a in truth.aircraft:
                here, later = a.position_at(end), a.position_at(end + 60.0)
                if here is None:
                    continue
                d = haversine_m(site.lat, site.lon, *here)
                if d <= 30_000:
                    d2 = d if later is None else haversine_m(site.lat, site.lon, *later)
                    way = "closing" if d2 < d - 50 else "opening" if d2 > d + 50 else "holding"
                    near.append(f"{a.id}{'*' if a.id == strike.aircraft else ''} {d / 1000:.1f} km {way}")
            lines.append(f"  true aircraft within 30 km then: {', '.join(near) or 'none'}")
    return lines


def _pairs_job(args: tuple[Path, Path, bool, PolicyConfig, str | None]) -> list[str]:
    folder, cache, fresh, config, ring = args
    return pair_changes(folder, record(folder, cache, fresh, ring), config)


def _job(args: tuple[Path, Path, bool, PolicyConfig, str | None]) -> Result:
    folder, cache, fresh, config, ring = args
    return replay(folder, record(folder, cache, fresh, ring), config)


def figures(r: dict[str, float]) -> str:
    """The scorer's headline figures of one pooled row."""
    cells = [figure(r, key) for key in ("warned_share", "lead_vs_oracle", "siren_warned_60s_share")]
    cells += [figure(r, "imminent_false_alarm_share")]
    cells += [per_oracle(r, "alert_minutes_per_site_hour"), per_oracle(r, "imminent_minutes_per_site_hour")]
    return " | ".join(cells)


def breakdown(name: str, results: Sequence[Result]) -> None:
    """Print one group's open-episode minutes by level, state, cue and phase, as x the oracle's."""
    oracle_s = sum(sum(r.report.totals.oracle_leads_s) for r in results)
    total: Counter[tuple[str, ...]] = Counter()
    for r in results:
        total.update(r.seconds)
    whole = sum(total.values())
    print(f"\n#### {name}: {whole / 60:.0f} episode-minutes, {whole / max(oracle_s, 1):.2f} x the oracle's\n")
    for label, index in (
        ("level", (0,)),
        ("state", (1,)),
        ("phase", (3,)),
        ("level, state, phase", (0, 1, 3)),
    ):
        parts: Counter[str] = Counter()
        for key, s in total.items():
            parts[" ".join(key[i] for i in index)] += s
        print(
            f"- by {label}: " + ", ".join(f"{k} {v / max(oracle_s, 1):.2f}" for k, v in parts.most_common())
        )
    parts = Counter()
    for key, s in total.items():
        parts[f"{key[1]} {key[2]}"] += s
    print(
        "- by state and threat (top 10): "
        + ", ".join(f"{k} {v / max(oracle_s, 1):.2f}" for k, v in parts.most_common(10))
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", dest="eval_set", choices=("tuning", "report"), default="tuning")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the kept threats are")
    ap.add_argument("--sets-cache", type=Path, default=Path(tempfile.gettempdir()) / "nadhir-eval-sets")
    ap.add_argument("--fresh", action="store_true", help="replay again even if threats are kept")
    ap.add_argument("--policy", nargs="*", default=[], help="policy settings, key=value")
    ap.add_argument("--sweep", help="one setting and its values: key=v1,v2,...")
    ap.add_argument("--scenarios", action="store_true", help="also print each scenario's row")
    ap.add_argument("--together", help="also print the pooled row of these scenarios: NAME,NAME,...")
    ap.add_argument("--ring", help="replay with the ring prior for these types: TYPES:SIGMA_DEG, e.g. jet:90")
    ap.add_argument(
        "--pairs", action="store_true", help="list the pairs whose lead the settings cut against the defaults"
    )
    args = ap.parse_args()
    members = evaluation_set(args.eval_set, args.sets_cache)
    base = policy_settings(args.policy)
    cache = args.cache / args.eval_set
    if args.sweep:
        key, _, values = args.sweep.partition("=")
        points = [(f"{key}={v}", policy_settings([f"{key}={v}"], base)) for v in values.split(",")]
    else:
        points = [("as given" if args.policy else "defaults", base)]
    if args.pairs:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            jobs = [(m.folder, cache, args.fresh, base, args.ring) for m in members]
            for lines in pool.map(_pairs_job, jobs):
                if lines:
                    print("\n".join(lines))
        return 0
    groups = list(dict.fromkeys(m.group for m in members))
    header = (
        "| setting | group | warned | lead/oracle | sirens >= 60 s | imminent FA "
        "| alert-min / oracle | imminent-min / oracle |"
    )
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for label, config in points:
            jobs = [(m.folder, cache, args.fresh, config, args.ring) for m in members]
            results = list(pool.map(_job, jobs))
            print(f"\n{header}\n|---|---|---|---|---|---|---|---|")
            if args.scenarios:
                for m, r in zip(members, results, strict=True):
                    print(f"| {label} | {m.folder.name} | {figures(r.report.as_dict())} |")
            for group in groups:
                part = [r for m, r in zip(members, results, strict=True) if m.group == group]
                print(f"| {label} | {group} ({len(part)}) | {figures(combine([r.report for r in part]))} |")
            if args.together:
                names = args.together.split(",")
                part = [r for m, r in zip(members, results, strict=True) if m.folder.name in names]
                print(f"| {label} | {' + '.join(names)} | {figures(combine([r.report for r in part]))} |")
            print(f"| {label} | **{args.eval_set} set** | {figures(combine([r.report for r in results]))} |")
            ratios = sorted(
                r.report.totals.alert_s / sum(r.report.totals.oracle_leads_s)
                for r in results
                if sum(r.report.totals.oracle_leads_s)
            )
            low, mid, high = ratios[0], ratios[len(ratios) // 2], ratios[-1]
            print(f"\nspread of alert-min / oracle: {low:.2f} / {mid:.2f} / {high:.2f}")
            if not args.sweep:
                for group in groups:
                    breakdown(group, [r for m, r in zip(members, results, strict=True) if m.group == group])
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
