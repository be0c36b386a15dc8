"""Flapping: all-clears followed soon by a new alert at the same site, and update lines per episode.

Usage: python benchmarks/flapping.py [--within-s 300] [--seeds 101-136] [--hours 2] [--cache DIR]
                                     [--no-public] [--json] [--set NAME=VALUE ...] [SCENARIO_DIR ...]

Replays each scenario with the system's own tracks (as ``warning_scores.py``
does) and counts, from the alert lines:

* re-alerts: an ``alert`` at a site within ``--within-s`` (default 5 min) of
  an ``all_clear`` there, in all and naming the same track as the all-clear
  (the same aircraft, as far as the tracker knows);
* updates per episode, and the share of all lines that are updates.

Beside them the warning figures (warned, lead / oracle, sirens >= 60 s,
imminent false alarms, alert-minutes / oracle) from the project's scorer,
whose results a test cross-checks against the shared one
(``../shared/tools/score_scenario.py``). Default scenarios: the public ones
in ``../shared/scenarios`` when that folder is there (else the project's
copies), and, with ``--seeds``, simulated scenarios of the bundled regions
(``tracking_eval.py``'s: one per seed, regions in turn, every third with all
twists), summed together. ``--set`` replaces one of the policy's settings
(``PolicyConfig``), e.g. ``--set rearm_hold_s=0`` for a sweep.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from nadhir.alerting.policy import PolicyConfig
from nadhir.domain.timefmt import parse_time
from nadhir_lab.scoring import ScoreReport, combine

# This folder is on the path when run as a script.
from tracking_eval import _seeds, scenario_dirs
from warning_scores import ROOT, ReplayOptions, run

SHARED = Path(__file__).resolve().parents[2] / "shared" / "scenarios"
REALERT_S = 300.0


@dataclass
class Flaps:
    """Flapping counts of one or more alert logs."""

    lines: int = 0
    episodes: int = 0
    updates: int = 0
    realerts: int = 0
    realerts_same_track: int = 0

    def add(self, other: Flaps) -> None:
        """Sum ``other`` into this."""
        self.lines += other.lines
        self.episodes += other.episodes
        self.updates += other.updates
        self.realerts += other.realerts
        self.realerts_same_track += other.realerts_same_track


def flaps(alerts: list[dict[str, Any]], within_s: float = REALERT_S) -> Flaps:
    """Count re-alerts and updates in one scenario's alert lines (in the order sent)."""
    out = Flaps(lines=len(alerts))
    cleared: dict[str, tuple[float, str | None]] = {}  # site -> when and which track its last all-clear
    for a in alerts:
        t, site, action = parse_time(a["t"]), a["site"], a["action"]
        if action == "alert":
            out.episodes += 1
            last = cleared.pop(site, None)
            if last is not None and t - last[0] <= within_s:
                out.realerts += 1
                out.realerts_same_track += last[1] is not None and last[1] == a.get("track")
        elif action == "update":
            out.updates += 1
        elif action == "all_clear":
            cleared[site] = (t, a.get("track"))
    return out


def replay(
    folder: Path, tmp: Path, policy: PolicyConfig | None, within_s: float
) -> tuple[ScoreReport, Flaps]:
    """Replay one scenario with the system's own tracks: its score and its flapping counts."""
    report = run(folder, False, tmp, ReplayOptions(policy=policy))
    path = tmp / f"{folder.name}.alerts.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return report, flaps(lines, within_s)


def row(name: str, r: dict[str, Any], f: Flaps) -> str:
    """One table row: the warning figures and the flapping counts."""

    def g(key: str) -> str:
        v = r.get(key)
        return "n/a" if v is None else f"{v:.2f}"

    oracle = r["oracle_alert_minutes_per_site_hour"]
    minutes = r["alert_minutes_per_site_hour"] / oracle if oracle else float("nan")
    per_episode = f.updates / f.episodes if f.episodes else 0.0
    share = f.updates / f.lines if f.lines else 0.0
    return (
        f"| {name} | {r['strike_site_pairs']} | {g('warned_share')} | {g('lead_vs_oracle')} | "
        f"{g('siren_warned_60s_share')} | {g('imminent_false_alarm_share')} | {minutes:.2f} | "
        f"{f.episodes} | {f.realerts} | {f.realerts_same_track} | {per_episode:.1f} | "
        f"{f.updates}/{f.lines} ({share:.0%}) |"
    )


HEADER = (
    "| scenario | pairs | warned | lead/oracle | sirens >= 60 s | imminent false alarms | alert-min / oracle "
    "| episodes | re-alerts <= 5 min | same track | updates / episode | update lines |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", type=Path)
    ap.add_argument(
        "--within-s", type=float, default=REALERT_S, help="a re-alert this soon after an all-clear"
    )
    ap.add_argument("--seeds", help="also simulated scenarios, one per seed, e.g. 201-224")
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nadhir-tracking-eval")
    ap.add_argument("--no-public", action="store_true", help="leave out the public scenarios")
    ap.add_argument("--json", action="store_true", help="one JSON object per scenario, then the sums")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a policy setting")
    args = ap.parse_args(argv)
    policy = _policy(args.set)
    public = list(args.scenarios)
    if not public and not args.no_public:
        public = (
            sorted(p for p in SHARED.iterdir() if p.is_dir())
            if SHARED.is_dir()
            else [ROOT / n for n in ("idlib-basic", "idlib-twists")]
        )
    simulated = scenario_dirs(_seeds(args.seeds), args.hours, args.cache) if args.seeds else []
    if not args.json:
        print(HEADER)
    groups: dict[str, tuple[list[ScoreReport], Flaps]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for group, folders in (("public", public), ("simulated", simulated)):
            for folder in folders:
                report, f = replay(folder, Path(tmp), policy, args.within_s)
                reports, total = groups.setdefault(group, ([], Flaps()))
                reports.append(report)
                total.add(f)
                if args.json:
                    print(json.dumps({"scenario": folder.name, "flaps": vars(f), "score": _summary(report)}))
                elif group == "public":
                    print(row(folder.name, report.as_dict(), f), flush=True)
    for group, (reports, total) in groups.items():
        together = combine(reports)
        if args.json:
            print(json.dumps({"scenario": f"{group} together", "flaps": vars(total), "score": together}))
        else:
            print(row(f"{group} together ({len(reports)})", together, total))
    return 0


def _policy(settings: list[str]) -> PolicyConfig:
    """The default policy with ``NAME=VALUE`` settings replaced (numbers only)."""
    names = {f.name for f in fields(PolicyConfig)}
    changes: dict[str, float] = {}
    for item in settings:
        name, _, value = item.partition("=")
        if name not in names:
            raise SystemExit(f"no policy setting {name!r}")
        changes[name] = float(value)
    return replace(PolicyConfig(), **changes)  # type: ignore[arg-type]


def _summary(report: ScoreReport) -> dict[str, Any]:
    d = report.as_dict()
    return {k: v for k, v in d.items() if k not in ("sites", "problems")}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
