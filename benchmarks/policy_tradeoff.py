"""The alert policy's trade-off between warning and false alarms, on the public scenarios.

Usage: python benchmarks/policy_tradeoff.py [--plot docs/policy-tradeoff.png] [SCENARIO_DIR ...]

Replays the scenarios once per policy setting (early and imminent probability
thresholds) and scores them together (`nadhir.scenarios.scoring.combine`).
Prints a table and, with --plot, draws lead time / oracle lead and the
siren share against the imminent false-alarm share, the default operating
point marked.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from nadhir.alerting.policy import PolicyConfig
from nadhir.scenarios.scoring import combine

# One replay-and-score loop for both benchmarks (this folder is on the path when run as a script).
from warning_scores import ROOT, run

DEFAULT = [ROOT / n for n in ("idlib-basic", "idlib-twists")]
EARLY = (0.2, 0.3, 0.4, 0.5, 0.6)
IMMINENT = (0.4, 0.55, 0.7, 0.85)


def evaluate(config: PolicyConfig, scenarios: list[Path]) -> dict[str, float]:
    """Combined score of the scenarios under one policy (the system's own tracks)."""
    with tempfile.TemporaryDirectory() as tmp:
        c = combine([run(scenario_dir, False, Path(tmp), policy=config) for scenario_dir in scenarios])
    return {
        "warned": c["warned_share"] or 0.0,
        "lead_vs_oracle": c["lead_vs_oracle"] or 0.0,
        "siren60": c["siren_warned_60s_share"] or 0.0,
        "false_alarm": c["false_alarm_share"] or 0.0,
        "imminent_false_alarm": c["imminent_false_alarm_share"] or 0.0,
        "minutes_vs_oracle": c["alert_minutes_per_site_hour"] / c["oracle_alert_minutes_per_site_hour"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--plot", type=Path)
    args = ap.parse_args()
    base = PolicyConfig()
    rows = []
    print(
        f"{'early':>6}{'immin':>6}{'warned':>8}{'lead/or':>8}{'siren60':>8}{'FA':>6}{'immFA':>7}{'min/or':>7}"
    )
    for early in EARLY:
        for imminent in IMMINENT:
            config = replace(base, early_probability=early, imminent_probability=imminent)
            r = evaluate(config, args.scenarios)
            default = early == base.early_probability and imminent == base.imminent_probability
            rows.append((early, imminent, r, default))
            print(
                f"{early:>6}{imminent:>6}{r['warned']:>8.2f}{r['lead_vs_oracle']:>8.2f}{r['siren60']:>8.2f}"
                f"{r['false_alarm']:>6.2f}{r['imminent_false_alarm']:>7.2f}{r['minutes_vs_oracle']:>7.2f}"
                + ("  <- default" if default else "")
            )
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
        for ax, key, label in (
            (axes[0], "lead_vs_oracle", "lead time / oracle lead (any level)"),
            (axes[1], "siren60", "share of strikes with sirens >= 60 s before"),
        ):
            for early in EARLY:
                pts = sorted((r["imminent_false_alarm"], r[key]) for e, _, r, _ in rows if e == early)
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"early >= {early}")
            for _, _, r, default in rows:
                if default:
                    ax.scatter(
                        [r["imminent_false_alarm"]],
                        [r[key]],
                        s=220,
                        facecolors="none",
                        edgecolors="red",
                        linewidths=2,
                        label="operating point",
                        zorder=5,
                    )
            ax.set_xlabel("imminent (siren) false-alarm share")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.suptitle(
            "Alert policy trade-off on the public scenarios (imminent thresholds 0.4-0.85 along each line)"
        )
        fig.tight_layout()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=100)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
