"""Warning quality: replay scenarios and score them, alone and together, with the system's own tracks
and, for comparison, with ideal tracks (the truth positions fed to the same threat model and policy).

Usage: python benchmarks/warning_scores.py [--ideal | --ideal-seen] [SCENARIO_DIR ...]
       python benchmarks/warning_scores.py --set tuning|report [--jobs N] [--cache DIR]
       ... [--siren-model bundled|PATH [--siren-threshold P]]
       ... [--lateness half-normal:SCALE_S:BINS[:TYPES] | --oracle-lateness] [--ring TYPES:SIGMA_DEG]
       ... [--drone-loiter on|SPEED_SHARE[:RADIUS_M]]

``--set`` scores one of issue 17's evaluation sets (``evaluation_sets.py``: the tuning set,
on which every setting is chosen, or the report set, never used to choose): each scenario, each
group together (public synthetic, public real-flight, simulated, recorded flights) and the whole
set together, then the spread across scenarios (lowest, median, highest of each figure), so that
a pooled row is never read alone.

Default scenarios: the two public ones and the two simulated test scenarios
(an unseen region for the tuning). The ideal-track run separates what the
threat model and policy can do from what tracking limits. ``--ideal`` knows
every aircraft from take-off, as the scorer's oracle does; ``--ideal-seen``
knows each one exactly, but only from its first measurement on (the first
sighting or bearing the truth attributes to it, ``truth_owner.py``): the
most any tracker could make of these inputs, so the bound on what the
evidence allows.

``--lateness`` gives the tracker a one-sided prior on a spotter's report's lateness
(``tracking/lateness.py``; opt-in, docs/benchmarks.md, "Tenth session");
``--oracle-lateness`` tells it each sighting's lateness by the truth, the bound of any such model.
``--ring`` folds the type's speed into tracks whose direction is known but speed vague
(``tracking/ring.py``, e.g. ``jet:90``; opt-in, docs/benchmarks.md, "Tenth session").
``--drone-loiter`` takes a drone track too slow for a drone to fly as loitering over the sites
around it (``threat/assessor.py``, ``DroneLoiter``, e.g. ``on`` or ``0.5:1600``; opt-in,
docs/benchmarks.md, "Twelfth session, drones on real flights").
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nadhir.alerting.policy import PolicyConfig
from nadhir.alerting.siren_model import SirenModel
from nadhir.domain.formats.output import alert_to_dict, json_line, track_to_dict
from nadhir.domain.formats.scenario import Scenario, load_scenario
from nadhir.domain.timefmt import parse_time
from nadhir.engine.factory import build_pipeline
from nadhir.engine.pipeline import Pipeline
from nadhir.engine.stepper import Stepper
from nadhir.threat.assessor import DroneLoiter
from nadhir.threat.learned import StrikeModel
from nadhir.tracking.bearing_rate import BearingRateGate
from nadhir.tracking.course_fix import AlongCourse
from nadhir.tracking.lateness import LatenessPrior
from nadhir.tracking.measurements import Measurement
from nadhir.tracking.ring import RingPrior
from nadhir.tracking.sweep import SweepStart
from nadhir.tracking.track import Track
from nadhir.tracking.tracker import Ended
from nadhir.tracking.updater import Predictor
from nadhir_lab.scoring import ScoreReport, combine, load_truth, score

# This folder is on the path when run as a script.
from policy_settings import policy_settings
from truth_owner import MeasurementOwner, tell_lateness

ROOT = Path(__file__).resolve().parents[1] / "tests" / "data" / "scenarios"
DEFAULT = [ROOT / n for n in ("idlib-basic", "idlib-twists", "sim-wadi-karam-5", "sim-jabal-nur-4")]
TYPE_INDEX = {"jet": 0, "helicopter": 1, "drone": 2}


class IdealTracker:
    """Stands in for the tracker: every airborne aircraft, exactly where the truth says it is."""

    def __init__(
        self, pipeline: Pipeline, truth: dict[str, object], owner: MeasurementOwner | None = None
    ) -> None:
        self.tracks: dict[str, Track] = {}
        # With an owner, an aircraft appears only once a measurement of it has arrived.
        self._owner = owner
        self._first_seen: dict[str, float] = {}
        self._aircraft = []
        for a in truth["aircraft"]:  # type: ignore[attr-defined]
            path = sorted(a["path"], key=lambda p: p["t"])
            ts = np.array([parse_time(p["t"]) for p in path])
            xy = np.array([pipeline.frame.to_xy(p["lat"], p["lon"]) for p in path])
            self._aircraft.append((a["id"], a["type"], ts, xy))

    def _at(self, ts: np.ndarray, xy: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        i = min(max(1, int(np.searchsorted(ts, t))), len(ts) - 1)
        f = (t - ts[i - 1]) / max(1e-9, ts[i] - ts[i - 1])
        return xy[i - 1] + f * (xy[i] - xy[i - 1]), (xy[i] - xy[i - 1]) / max(1e-9, ts[i] - ts[i - 1])

    def _set(self, t: float) -> None:
        self.tracks = {}
        for aid, kind, ts, xy in self._aircraft:
            if t < ts[0] or t > ts[-1]:
                continue
            start = float(ts[0])
            if self._owner is not None:
                if aid not in self._first_seen:
                    continue
                start = self._first_seen[aid]
            pos, vel = self._at(ts, xy, t)
            probs = np.full(3, 0.02)
            probs[TYPE_INDEX.get(kind, 0)] = 0.96
            track = Track(
                id=aid,
                t=t,
                x=np.array([pos[0], pos[1], vel[0], vel[1]]),
                p=np.diag([300.0**2, 300.0**2, 10.0**2, 10.0**2]),
                type_probs=probs,
                created=start,
                last_update=t,
                status="confirmed",
            )
            track.evidence["truth"] = 0.95
            for k in range(24, 0, -1):
                if t - 10 * k >= start:
                    q, _ = self._at(ts, xy, t - 10 * k)
                    track.history.append((t - 10 * k, float(q[0]), float(q[1])))
            self.tracks[aid] = track

    def step(self, t: float, batch: list[Measurement]) -> Ended:
        if self._owner is not None:
            for m in batch:
                aid = self._owner(m, t)
                if aid is not None:
                    self._first_seen.setdefault(aid, t)
        self._set(t)
        return Ended()

    def advance(self, t: float) -> Ended:
        self._set(t)
        return Ended()


@dataclass(frozen=True)
class ReplayOptions:
    """The opt-ins one replay runs with; each field's default is the product's own (off).

    One record, carried from the command line through :func:`score_set` and :func:`_one` to
    :func:`run`, so that an opt-in is declared once here and once in :func:`add_options`.
    ``predictor`` replaces the tracker's; ``lateness`` sets its updater's model of a report's
    lateness; ``oracle_lateness`` tells the tracker each sighting's lateness by the truth instead
    (``truth_owner.tell_lateness``); ``ring`` sets its updater's ring prior (``tracking/ring.py``);
    ``drone_loiter`` its assessor's loiter of slow drone tracks (``threat/assessor.py``);
    ``window_s`` the stepper's event window (``Stepper.window_s``); ``blast_cluster_m`` the pipeline's
    gathering of a step's located blasts by spot (``Pipeline.blast_cluster_m``)."""

    policy: PolicyConfig | None = None
    strike_model: StrikeModel | None = None
    predictor: Predictor | None = None
    siren_model: SirenModel | None = None
    lateness: LatenessPrior | None = None
    oracle_lateness: bool = False
    ring: RingPrior | None = None
    sweep: SweepStart | None = None
    bearing_rate: BearingRateGate | None = None
    drone_loiter: DroneLoiter | None = None
    course_fix: AlongCourse | None = None
    window_s: float = 0.0
    blast_cluster_m: float = 0.0

    def pipeline(self, scenario: Scenario) -> Pipeline:
        """The pipeline these options set up for ``scenario`` (all but ``oracle_lateness`` and
        ``window_s``: the one reads the truth, the other is the stepper's)."""
        pipeline = build_pipeline(
            scenario,
            self.policy,
            self.strike_model,
            siren_model=self.siren_model,
            lateness=self.lateness,
            ring=self.ring,
            sweep=self.sweep,
            bearing_rate=self.bearing_rate,
            drone_loiter=self.drone_loiter,
            course_fix=self.course_fix,
        )
        pipeline.blast_cluster_m = self.blast_cluster_m
        if self.predictor is not None:
            pipeline.tracker.predictor = self.predictor
        return pipeline


def run(
    scenario_dir: Path, ideal: bool | str, tmp: Path, options: ReplayOptions | None = None
) -> ScoreReport:
    """Replay one scenario with ``options`` (None: the defaults) and score it: with its own tracks,
    or ideal ones (``ideal`` True, or "seen": from each aircraft's first measurement on)."""
    o = options or ReplayOptions()
    scenario = load_scenario(scenario_dir)
    pipeline = o.pipeline(scenario)
    if o.oracle_lateness:
        owner = MeasurementOwner(
            load_truth(scenario_dir), scenario_dir, pipeline.frame, max_delay_s=300, travel_time=False
        )
        tell_lateness(pipeline.tracker, owner)
    if ideal:
        truth = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8"))
        first_seen: MeasurementOwner | None = None
        if ideal == "seen":
            first_seen = MeasurementOwner(
                load_truth(scenario_dir), scenario_dir, pipeline.frame, max_delay_s=180, travel_time=True
            )
        pipeline.tracker = IdealTracker(pipeline, truth, first_seen)  # type: ignore[assignment]
    alerts: list[str] = []
    tracks: list[str] = []
    Stepper(
        pipeline,
        lambda a: alerts.append(json_line(alert_to_dict(a))),
        None if ideal else (lambda s: tracks.append(json_line(track_to_dict(s)))),
        window_s=o.window_s,
    ).run(e for _, e in scenario.events())
    alerts_path, tracks_path = (
        tmp / f"{scenario_dir.name}.alerts.jsonl",
        tmp / f"{scenario_dir.name}.tracks.jsonl",
    )
    alerts_path.write_text("".join(alerts), encoding="utf-8")
    tracks_path.write_text("".join(tracks), encoding="utf-8")
    return score(scenario_dir, alerts_path, None if ideal else tracks_path)


def figure(r: dict[str, float], key: str) -> str:
    """One of the scorer's figures, to two places (``n/a`` when it has none)."""
    v = r.get(key)
    return "n/a" if v is None else f"{v:.2f}"


def per_oracle(r: dict[str, float], key: str) -> str:
    """Minutes per site-hour as a multiple of the oracle's alert-minutes."""
    oracle = r["oracle_alert_minutes_per_site_hour"]
    # A day with no strike has no oracle minutes to compare with (its alerts are all false).
    return f"{r[key] / oracle:.2f}" if oracle else "n/a"


def row(name: str, r: dict[str, float]) -> str:
    """One table row: the headline figures, both kinds of minutes against the oracle's, OSPA."""
    ospa = "n/a" if r.get("ospa_m") is None else f"{r['ospa_m'] / 1000:.1f}"
    cells = [figure(r, key) for key in ("warned_share", "lead_vs_oracle", "siren_warned_60s_share")]
    cells += [figure(r, "false_alarm_share"), figure(r, "imminent_false_alarm_share")]
    cells += [per_oracle(r, "alert_minutes_per_site_hour"), per_oracle(r, "imminent_minutes_per_site_hour")]
    return f"| {name} | {' | '.join(cells)} | {ospa} |"


FIGURES = (
    ("warned", "warned_share"),
    ("lead/oracle", "lead_vs_oracle"),
    ("sirens >= 60 s", "siren_warned_60s_share"),
    ("imminent false alarms", "imminent_false_alarm_share"),
)


def _one(folder: Path, options: ReplayOptions) -> ScoreReport:
    with tempfile.TemporaryDirectory() as tmp:
        return run(folder, False, Path(tmp), options)


def score_set(
    name: str,
    cache: Path,
    jobs: int,
    options: ReplayOptions | None = None,
    groups: list[str] | None = None,
) -> int:
    """Score an evaluation set with ``options`` (None: the defaults) and print its table (see the
    module's docstring); with ``groups``, only the members of those groups (e.g. the real-flight
    ones, to sweep a real-flight setting before the whole set is scored)."""
    from concurrent.futures import ProcessPoolExecutor

    from evaluation_sets import evaluation_set

    members = evaluation_set(name, cache)
    if groups:
        unknown = set(groups) - {m.group for m in members}
        if unknown:
            raise SystemExit(f"no group {sorted(unknown)} in the {name} set")
        members = [m for m in members if m.group in groups]
    print(f"### {name} set: {len(members)} scenarios\n")
    print(
        "| scenario | warned | lead/oracle | sirens >= 60 s | false alarms | imminent false alarms "
        "| alert-min / oracle | imminent-min / oracle | OSPA km |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        reports = list(pool.map(_one, [m.folder for m in members], [options] * len(members)))
    for m, r in zip(members, reports, strict=True):
        print(row(f"{m.group}: {m.folder.name}", r.as_dict()))
    for group in dict.fromkeys(m.group for m in members):
        part = [r for m, r in zip(members, reports, strict=True) if m.group == group]
        print(row(f"**{group} together** ({len(part)})", combine(part)))
    print(row(f"**{name} set together**", combine(reports)))
    print("\nSpread across scenarios (lowest / median / highest):\n")
    dicts = [r.as_dict() for r in reports]
    minutes = [
        d["alert_minutes_per_site_hour"] / d["oracle_alert_minutes_per_site_hour"]
        for d in dicts
        if d["oracle_alert_minutes_per_site_hour"]
    ]
    rows = [(label, [d.get(key) for d in dicts]) for label, key in FIGURES]
    for label, values in [*rows, ("alert-min / oracle", minutes)]:
        have = sorted(float(v) for v in values if v is not None and v == v)
        if have:
            mid = float(np.median(have))
            print(f"- {label}: {have[0]:.2f} / {mid:.2f} / {have[-1]:.2f} ({len(have)} scenarios)")
    return 0


def add_window_option(ap: argparse.ArgumentParser) -> None:
    """``--window S``: the stepper's opt-in event window, for the scripts that replay through :func:`run`."""
    ap.add_argument(
        "--window",
        type=float,
        default=0.0,
        metavar="S",
        help="batch events less than S seconds after a batch's first (Stepper.window_s; 0, off, the default)",
    )


def add_options(ap: argparse.ArgumentParser) -> None:
    """The command-line form of every :class:`ReplayOptions` field but ``predictor`` and
    ``strike_model`` (read back by :func:`options_from_args`)."""
    ap.add_argument(
        "--siren-model", help="weigh the rules' calls for sirens with a siren model: 'bundled' or a JSON path"
    )
    ap.add_argument("--siren-threshold", type=float, help="the siren model at this operating point")
    ap.add_argument(
        "--lateness",
        help="a report's lateness as a one-sided prior: half-normal:SCALE_S:BINS or exponential:MEAN_S:BINS,"
        " with :TYPES (e.g. :jet) for the sightings reported as those aircraft only",
    )
    ap.add_argument(
        "--oracle-lateness",
        action="store_true",
        help="tell the tracker each sighting's lateness by the truth (an analysis bound, reads truth.json)",
    )
    ap.add_argument(
        "--ring", help="fold the type's speed into tracks of these types: TYPES:SIGMA_DEG, e.g. jet:90"
    )
    ap.add_argument(
        "--policy", nargs="*", default=[], help="alert policy settings, key=value (e.g. seen_hold_s=150)"
    )
    ap.add_argument(
        "--sweep",
        help="start jet tracks from a lone node's bearing sweep: 'on' or WINDOW_S:MIN_BEARINGS:MIN_SPAN_DEG",
    )
    ap.add_argument(
        "--bearing-rate",
        help="gate bearings also by their node's bearing rate: 'on' or MAX_DT_S:NOISE_SIGMAS[:TRACK_SIGMAS]",
    )
    ap.add_argument(
        "--drone-loiter",
        help="drone tracks too slow to fly loiter over nearby sites: 'on' or SPEED_SHARE[:RADIUS_M]",
    )
    ap.add_argument(
        "--course-fix",
        help="move a track along its course to where a node's bearings place its aircraft ahead of it: "
        "'on' or see tracking/course_fix.py's AlongCourse.parse",
    )
    add_window_option(ap)
    ap.add_argument(
        "--blast-cluster",
        type=float,
        default=0.0,
        metavar="M",
        help="add a step's located blasts within M metres of each other as one "
        "(Pipeline.blast_cluster_m; 0, off)",
    )


def options_from_args(ap: argparse.ArgumentParser, args: argparse.Namespace) -> ReplayOptions:
    """The :class:`ReplayOptions` that :func:`add_options`' arguments ask for."""
    siren_model = None
    if args.siren_model:
        siren_model = (
            SirenModel.bundled() if args.siren_model == "bundled" else SirenModel.load(Path(args.siren_model))
        )
        if siren_model is None:
            ap.error("no siren model is bundled")
        if args.siren_threshold is not None:
            siren_model = siren_model.with_threshold(args.siren_threshold)
    return ReplayOptions(
        policy=policy_settings(args.policy) if args.policy else None,
        siren_model=siren_model,
        lateness=LatenessPrior.parse(args.lateness) if args.lateness else None,
        oracle_lateness=args.oracle_lateness,
        ring=RingPrior.parse(args.ring) if args.ring else None,
        sweep=SweepStart.parse(args.sweep) if args.sweep else None,
        bearing_rate=BearingRateGate.parse(args.bearing_rate) if args.bearing_rate else None,
        drone_loiter=DroneLoiter.parse(args.drone_loiter) if args.drone_loiter else None,
        course_fix=AlongCourse.parse(args.course_fix) if args.course_fix else None,
        window_s=args.window,
        blast_cluster_m=args.blast_cluster,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--set", dest="eval_set", choices=("tuning", "report"), help="an evaluation set")
    ap.add_argument("--jobs", type=int, default=1, help="scenarios replayed at once (with --set)")
    ap.add_argument(
        "--group",
        action="append",
        default=[],
        help="with --set, only this group's scenarios (repeatable; e.g. 'public real-flight')",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "nadhir-eval-sets",
        help="where the set's simulated scenarios are kept",
    )
    add_options(ap)
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument("--ideal", action="store_true", help="feed the truth as tracks, from take-off")
    kind.add_argument(
        "--ideal-seen", action="store_true", help="feed the truth as tracks, from each first measurement"
    )
    args = ap.parse_args()
    options = options_from_args(ap, args)
    if args.eval_set:
        return score_set(args.eval_set, args.cache, args.jobs, options, args.group)
    ideal: bool | str = "seen" if args.ideal_seen else args.ideal
    print(
        "| scenario | warned | lead/oracle | sirens >= 60 s | false alarms | imminent false alarms "
        "| alert-min / oracle | imminent-min / oracle | OSPA km |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario_dir in args.scenarios:
            report = run(scenario_dir, ideal, Path(tmp), options)
            reports.append(report)
            print(row(scenario_dir.name, report.as_dict()))
        public = [r for r, d in zip(reports, args.scenarios, strict=True) if not d.name.startswith("sim-")]
        if len(public) > 1:
            print(row("public together", combine(public)))
        if len(reports) > 1:
            print(row("all together", combine(reports)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
