"""What raises the sirens, and how often is it wrong? Siren episodes by the cue that raised them.

Usage: python benchmarks/siren_causes.py [OPT-INS as warning_scores.py] SCENARIO_DIR [SCENARIO_DIR ...]

Replays each scenario through the full pipeline, notes every time the
policy calls for ``imminent`` at a site (the threat's cue and aircraft, and
the strongest *track* threat to that site at that moment, before impacts
are counted), folds the alerts into episodes as the scorer does, and for
every episode that reached ``imminent`` asks what raised it (the last such
call at or before the episode's first siren) and whether it was a false
alarm by the scorer's rule (no strike within 1.5 km of the site from the
first siren to 10 minutes after the end). Pooled over the scenarios given,
it prints:

* siren episodes and false ones, by the cue and aircraft that raised them;
* for those raised by a strike report (``impact``), the same by how strongly
  a track threatened the site when the sirens came: whether an aircraft
  was still there.

The totals are the false-siren share of ``nadhir score`` summed over the
scenarios. The opt-ins of ``warning_scores.py`` (``--policy``, ``--course-fix``, ``--drone-loiter``,
...) replay with them instead of the defaults. An analysis tool: it reads ``truth.json``.
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Iterable
from pathlib import Path

from nadhir.domain import Site, Threat
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.stepper import Stepper
from nadhir_lab.scoring import (
    AlertLine,
    build_episodes,
    is_false_alarm,
    justifying_strike_times,
    load_truth,
)

# This folder is on the path when run as a script.
from warning_scores import ReplayOptions, add_options, options_from_args

# (time, cue, aircraft, strongest track threat to the site then, or None)
Call = tuple[float, str, str, Threat | None]


def _band(p: float) -> str:
    for limit, name in ((0.15, "< 0.15"), (0.3, "0.15-0.3"), (0.5, "0.3-0.5")):
        if p < limit:
            return name
    return ">= 0.5"


def siren_episodes(
    scenario_dir: Path, options: ReplayOptions | None = None
) -> list[tuple[Call | None, bool]]:
    """(what raised it, false alarm?) for each siren episode of one replay, with ``options``
    (None: the defaults)."""
    o = options or ReplayOptions()
    scenario = load_scenario(scenario_dir)
    truth = load_truth(scenario_dir)
    pipe = o.pipeline(scenario)
    track_threats: dict[str, Threat] = {}
    calls: dict[str, list[Call]] = collections.defaultdict(list)
    note, desired = pipe.impacts.note_threats, pipe.policy.desired_level

    def noting(t: float, threats: Iterable[Threat]) -> None:
        threats = list(threats)
        track_threats.clear()
        track_threats.update((th.site, th) for th in threats)
        note(t, threats)

    def deciding(site: Site, threat: Threat | None, t: float) -> str | None:
        level = desired(site, threat, t)
        if level == "imminent" and threat is not None:
            calls[site.id].append((t, threat.cue, threat.aircraft, track_threats.get(site.id)))
        return level

    pipe.impacts.note_threats = noting  # type: ignore[method-assign]
    pipe.policy.desired_level = deciding  # type: ignore[method-assign,assignment]
    lines: list[AlertLine] = []
    Stepper(
        pipe,
        lambda a: lines.append(AlertLine(a.t, len(lines), a.action, a.site, a.level)),
        window_s=o.window_s,
    ).run(e for _, e in scenario.events())
    sites = {s.id: s for s in scenario.sites}
    out: list[tuple[Call | None, bool]] = []
    for ep in build_episodes(lines, truth.end):
        if ep.imminent_start is None:
            continue
        raised = [c for c in calls[ep.site] if c[0] <= ep.imminent_start]
        false = is_false_alarm(
            ep.imminent_start, ep.end, justifying_strike_times(truth.strikes, sites[ep.site])
        )
        out.append((raised[-1] if raised else None, false))
    return out


def _table(title: str, rows: dict[str, list[bool]]) -> None:
    print(f"\n| {title} | siren episodes | false | share |")
    print("|---|---|---|---|")
    for key in sorted(rows, key=lambda k: -len(rows[k])):
        n, f = len(rows[key]), sum(rows[key])
        print(f"| {key} | {n} | {f} | {f / n:.2f} |")
    n = sum(len(v) for v in rows.values())
    f = sum(sum(v) for v in rows.values())
    print(f"| all | {n} | {f} | {f / max(1, n):.2f} |")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description="Siren episodes by the cue that raised them, and how often each is false.",
        epilog="See the module docstring (benchmarks/siren_causes.py) for what is counted.",
    )
    ap.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO_DIR")
    add_options(ap)
    args = ap.parse_args(argv)
    options = options_from_args(ap, args)
    by_cue: dict[str, list[bool]] = collections.defaultdict(list)
    impacts: dict[str, list[bool]] = collections.defaultdict(list)
    for scenario_dir in args.scenarios:
        for call, false in siren_episodes(scenario_dir, options):
            if call is None:
                by_cue["(no call recorded)"].append(false)
                continue
            _, cue, aircraft, track = call
            by_cue[f"{cue}, {aircraft}"].append(false)
            if cue == "impact":
                key = "no track threat" if track is None else f"track threat {_band(track.probability)}"
                impacts[key].append(false)
    _table("cue, aircraft that raised the sirens", by_cue)
    if impacts:
        _table("strike-report sirens: strongest track threat then", impacts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
