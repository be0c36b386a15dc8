"""The siren model (issue 17): train it on the tuning set, check it leaving one region out, and
sweep its operating point on the tuning set.

Usage:
  python benchmarks/siren_model.py train [--threshold P] [--out PATH] [--cache DIR]
  python benchmarks/siren_model.py sweep --thresholds 0,0.1,0.2 [--model PATH] [--cache DIR]
  python benchmarks/siren_model.py compare --set report|tuning [--model PATH] [--cache DIR]

``train`` replays every scenario of the tuning set once (``evaluation_sets.py``; the report set is
never read), recording each call the rules make for sirens with the model's features and whether a
strike fell at the site within the horizon (cached under ``--cache``). It prints, for each region
held out in turn, the held-out Brier score against the other regions' base rate, the reliability
of the held-out probabilities, and writes the model fitted on all regions, at ``--threshold``.

``sweep`` replays the tuning set with the model at each threshold and prints the warning figures
of the public synthetic scenarios and of the whole tuning set (the threshold 0 row is the rules'
own result: no call is below it), so that the operating point is chosen where they are flat.

``compare`` prints the rules against the model at its own operating point on a set, each group
and the whole set, to three places: on the report set, to decide whether it is on by default.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np

# This folder is on the path when run as a script.
from evaluation_sets import evaluation_set
from nadhir.alerting.siren_model import SIREN_FEATURES, SirenModel
from nadhir.threat.learned import brier
from nadhir_lab.scoring import combine
from nadhir_lab.siren_training import (
    DEFAULT_HORIZON_S,
    SirenExamples,
    collect,
    leave_one_region_out,
    reliability_table,
    train,
)
from warning_scores import ReplayOptions, run

MODEL_OUT = Path(__file__).resolve().parents[1] / "src" / "nadhir" / "data" / "models" / "siren_model.json"
TMP = Path(tempfile.gettempdir())


def examples(cache: Path, horizon_s: float) -> SirenExamples:
    """The tuning set's calls for sirens, replayed once and cached."""
    # Keyed by the features too: examples recorded for another feature list are no use.
    key = hashlib.sha1(",".join(SIREN_FEATURES).encode()).hexdigest()[:8]
    store = cache / f"siren-examples-{key}"
    store.mkdir(parents=True, exist_ok=True)
    parts = []
    for member in evaluation_set("tuning", cache):
        path = store / f"{member.folder.name}.npz"
        if not path.is_file():
            collect(member.folder, horizon_s).save(path)
        parts.append(SirenExamples.load(path))
    return SirenExamples.concat(parts).relabelled(horizon_s)


def cmd_train(args: argparse.Namespace) -> int:
    ex = examples(args.cache, args.horizon)
    print(f"calls for sirens: {len(ex.y)}, with a strike within {args.horizon:g} s: {ex.y.mean():.3f}\n")
    held, p = leave_one_region_out(ex, args.horizon, args.l2)
    print("| held-out region | calls | strike share | Brier | Brier, base rate | skill |")
    print("|---|---|---|---|---|---|")
    for h in held:
        print(
            f"| {h.region} | {h.rows} | {h.positives:.3f} | {h.brier:.4f} | {h.brier_base:.4f} "
            f"| {h.skill:.3f} |"
        )
    pooled = brier(p, ex.y)
    # The base rate a held-out region is given is the other regions' mean; pooled, each row's own.
    regions = np.asarray(ex.region)
    base = np.array([ex.y[regions != r].mean() for r in ex.region])
    pooled_base = brier(base, ex.y)
    print(
        f"| **all, held out** | {len(ex.y)} | {ex.y.mean():.3f} | {pooled:.4f} | {pooled_base:.4f} "
        f"| {1 - pooled / pooled_base:.3f} |"
    )
    print("\nReliability of the held-out probabilities (mean predicted, observed, calls):\n")
    for mean_p, freq, n in reliability_table(p, ex.y):
        print(f"- {mean_p:.2f}: {freq:.2f} ({n})")
    for q in (0.1, 0.2, 0.3, 0.4, 0.5):
        below = p < q
        struck = ex.y[below].mean() if below.any() else 0.0
        print(
            f"- below {q:.1f}: {below.mean():.2f} of calls, of which {struck:.2f} struck; "
            f"{ex.y[below].sum() / max(1, ex.y.sum()):.2f} of the struck calls"
        )
    model = train(
        ex,
        args.threshold,
        args.horizon,
        args.l2,
        meta={
            "trained_on": "tuning set (benchmarks/evaluation_sets.py), rules' calls for sirens",
            "held_out_brier": {h.region: round(h.brier, 5) for h in held},
            "held_out_skill": {h.region: round(h.skill, 4) for h in held},
        },
    )
    args.out.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"\nmodel written to {args.out} (threshold {args.threshold:g})")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    model = SirenModel.load(args.model)
    members = evaluation_set("tuning", args.cache)
    print(
        "| threshold | rows | warned | lead/oracle | sirens >= 60 s | imminent false alarms "
        "| imminent episodes |"
    )
    print("|---|---|---|---|---|---|---|")
    for threshold in [float(v) for v in args.thresholds.split(",")]:
        gated = model.with_threshold(threshold)
        with tempfile.TemporaryDirectory() as tmp:
            reports = [run(m.folder, False, Path(tmp), ReplayOptions(siren_model=gated)) for m in members]
        public = [r for m, r in zip(members, reports, strict=True) if m.group == "public synthetic"]
        for label, part in (("public synthetic", public), ("tuning set", reports)):
            r = combine(part)
            print(
                f"| {threshold:g} | {label} | {r['warned_share']:.3f} | {r['lead_vs_oracle']:.3f} | "
                f"{r['siren_warned_60s_share']:.3f} | {r['imminent_false_alarm_share']:.3f} | "
                f"{r['imminent_episodes']} |",
                flush=True,
            )
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Rules against the model at its own operating point, on a set, per group, to three places."""
    model = SirenModel.load(args.model)
    members = evaluation_set(args.set, args.cache)
    print(
        f"| {args.set} set | decided by | warned | lead/oracle | sirens >= 60 s | imminent false alarms "
        "| imminent episodes |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, gate in (("rules", None), (f"model at {model.threshold:g}", model)):
        with tempfile.TemporaryDirectory() as tmp:
            reports = [run(m.folder, False, Path(tmp), ReplayOptions(siren_model=gate)) for m in members]
        groups = [
            (g, [r for m, r in zip(members, reports, strict=True) if m.group == g])
            for g in dict.fromkeys(m.group for m in members)
        ]
        for group, part in [*groups, ("whole set", reports)]:
            r = combine(part)
            print(
                f"| {group} | {label} | {r['warned_share']:.3f} | {r['lead_vs_oracle']:.3f} | "
                f"{r['siren_warned_60s_share']:.3f} | {r['imminent_false_alarm_share']:.3f} | "
                f"{r['imminent_episodes']} |",
                flush=True,
            )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=TMP / "nadhir-eval-sets", help="evaluation sets' cache")
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train on the tuning set, check leaving one region out")
    tr.add_argument("--threshold", type=float, default=0.0, help="the operating point written with it")
    tr.add_argument("--horizon", type=float, default=DEFAULT_HORIZON_S, help="label horizon, seconds")
    tr.add_argument("--l2", type=float, default=3000.0, help="L2 penalty (chosen leaving one region out)")
    tr.add_argument("--out", type=Path, default=MODEL_OUT)
    sw = sub.add_parser("sweep", help="tuning-set warning figures at each threshold")
    sw.add_argument("--model", type=Path, default=MODEL_OUT)
    sw.add_argument("--thresholds", default="0,0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4")
    cp = sub.add_parser("compare", help="rules against the model at its operating point, on a set")
    cp.add_argument("--model", type=Path, default=MODEL_OUT)
    cp.add_argument("--set", choices=("tuning", "report"), default="report")
    args = ap.parse_args()
    commands = {"train": cmd_train, "sweep": cmd_sweep, "compare": cmd_compare}
    return commands[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
