"""The alert policy's trade-off between warning and false alarms, on the public scenarios.

Usage: python benchmarks/policy_tradeoff.py [--plot docs/policy-tradeoff.png] [SCENARIO_DIR ...]

Replays the scenarios once per policy setting and scores them together
(`nadhir_lab.scoring.combine`). Phones: the early threshold swept, lead
time and warned share against alert-minutes. Sirens: how sure an approach
must be to sound them as well as circling and impacts, the share of strikes
with sirens a minute ahead against the false-siren share. Phones again: how
long a phones-only episode that a helicopter or drone threatened is held after
the threat fades before the all-clear (`lingering_hold_s`; other episodes keep
`hold_s`), lead time and warned share against alert-minutes. Each sweep varies
one setting, the others at their defaults. Prints a table (one row per
setting, the default's once) and, with --plot, draws the three, issue 5's bar
and the default operating point marked.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from nadhir.alerting.policy import PolicyConfig
from nadhir_lab.scoring import combine

# One replay-and-score loop for both benchmarks (this folder is on the path when run as a script).
from warning_scores import ROOT, ReplayOptions, run

DEFAULT = [ROOT / n for n in ("idlib-basic", "idlib-twists")]
EARLY = (0.2, 0.3, 0.4, 0.5, 0.6)
# Sirens: the imminent threshold hardly moves them (their cues, circling and impacts, come with
# fixed high probabilities), so the siren axis is how sure an approach must be to sound them too
# (None: approaches never do, the default).
APPROACH_SIRENS: tuple[float | None, ...] = (None, 0.95, 0.9, 0.85, 0.8)
# Phones: how long (s) a phones-only episode a helicopter or drone threatened is held after the
# threat fades (hovering helicopters come back for another pass; jets' episodes keep `hold_s`).
LINGERING_HOLDS = (180.0, 300.0, 450.0, 540.0, 600.0, 660.0, 900.0)
# Issue 5's bar for phones: lead at least this share of the oracle's, alert-minutes at most this
# multiple of the oracle's.
LEAD_BAR = 0.45
MINUTES_BAR = 3.0


def evaluate(config: PolicyConfig, scenarios: list[Path]) -> dict[str, float]:
    """Combined score of the scenarios under one policy (the system's own tracks)."""
    with tempfile.TemporaryDirectory() as tmp:
        c = combine(
            [run(scenario_dir, False, Path(tmp), ReplayOptions(policy=config)) for scenario_dir in scenarios]
        )
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
    print(
        f"{'early':>6}{'siren':>6}{'hold':>6}{'warned':>8}{'lead/or':>8}{'siren60':>8}{'FA':>6}"
        f"{'immFA':>7}{'min/or':>7}"
    )
    # Phones: the early threshold trades lead time against time under alert (sirens as default).
    phones = []
    for early in EARLY:
        r = evaluate(replace(base, early_probability=early), args.scenarios)
        phones.append((early, r))
        _print_row(
            early, base.approach_siren_probability, base.lingering_hold_s, r, early == base.early_probability
        )
    default = next(r for e, r in phones if e == base.early_probability)
    # Sirens: sure approaches sounding them too trade first-pass sirens against false ones.
    sirens = _sweep(base, "approach_siren_probability", APPROACH_SIRENS, default, args.scenarios)
    # Phones: holding a helicopter's or drone's phones-only episode longer trades alert-minutes
    # for the lead of its next pass (no new all-clear and re-alert in between).
    holds = _sweep(base, "lingering_hold_s", LINGERING_HOLDS, default, args.scenarios)
    if args.plot is not None:
        _plot(args.plot, base, phones, sirens, holds)
    return 0


def _sweep(
    base: PolicyConfig, setting: str, values: Sequence[Any], default: dict[str, float], scenarios: list[Path]
) -> list[tuple[Any, dict[str, float]]]:
    """One setting swept, the others at ``base``; its default's result is ``default`` (not replayed)."""
    out = []
    for value in values:
        if value == getattr(base, setting):
            r = default
        else:
            config = replace(base, **{setting: value})
            r = evaluate(config, scenarios)
            _print_row(
                config.early_probability, config.approach_siren_probability, config.lingering_hold_s, r, False
            )
        out.append((value, r))
    return out


def _print_row(early: float, approach: float | None, hold: float, r: dict[str, float], default: bool) -> None:
    """One row of the table: the settings (only the swept one differs from the default), the scores."""
    siren = "-" if approach is None else f"{approach}"
    print(
        f"{early:>6}{siren:>6}{hold:>6.0f}{r['warned']:>8.2f}{r['lead_vs_oracle']:>8.2f}"
        f"{r['siren60']:>8.2f}{r['false_alarm']:>6.2f}{r['imminent_false_alarm']:>7.2f}"
        f"{r['minutes_vs_oracle']:>7.2f}" + ("  <- default" if default else "")
    )


def _plot(
    path: Path,
    base: PolicyConfig,
    phones: list[tuple[float, dict[str, float]]],
    sirens: list[tuple[float | None, dict[str, float]]],
    holds: list[tuple[float, dict[str, float]]],
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right, third) = plt.subplots(1, 3, figsize=(16, 4.5))
    xs = [r["minutes_vs_oracle"] for _, r in phones]
    left.plot(xs, [r["lead_vs_oracle"] for _, r in phones], marker="o", label="lead / oracle lead")
    left.plot(xs, [r["warned"] for _, r in phones], marker="s", label="warned share")
    for early, r in phones:
        left.annotate(f"early {early}", (r["minutes_vs_oracle"], r["lead_vs_oracle"]), fontsize=7)
    left.axvline(MINUTES_BAR, color="grey", linestyle="--", label="bar: 3 x oracle")
    left.set_xlabel("alert-minutes per site-hour / oracle's")
    left.set_ylabel("share")
    left.set_title("phones: early threshold")
    right.plot(
        [r["imminent_false_alarm"] for _, r in sirens],
        [r["siren60"] for _, r in sirens],
        marker="o",
        label="sirens >= 60 s before",
    )
    for approach, r in sirens:
        text = "circling + impact" if approach is None else f"+ approach >= {approach}"
        right.annotate(text, (r["imminent_false_alarm"], r["siren60"]), fontsize=7)
    right.set_xlabel("imminent (siren) false-alarm share")
    right.set_ylabel("share of strike-site pairs")
    right.set_title("sirens: which cues sound them")
    hx = [r["minutes_vs_oracle"] for _, r in holds]
    third.plot(hx, [r["lead_vs_oracle"] for _, r in holds], marker="o", label="lead / oracle lead")
    third.plot(hx, [r["warned"] for _, r in holds], marker="s", label="warned share")
    for i, (hold, r) in enumerate(holds):
        # Neighbouring holds sit close together: alternate the labels above and below the curve.
        third.annotate(
            f"{hold:.0f} s",
            (r["minutes_vs_oracle"], r["lead_vs_oracle"]),
            xytext=(3, 6 if i % 2 == 0 else -11),
            textcoords="offset points",
            fontsize=7,
        )
    third.axhline(LEAD_BAR, color="grey", linestyle="--", label=f"bar: lead >= {LEAD_BAR}")
    third.axvline(MINUTES_BAR, color="grey", linestyle="--", label=f"bar: {MINUTES_BAR:g} x oracle")
    third.set_xlabel("alert-minutes per site-hour / oracle's")
    third.set_ylabel("share")
    third.set_title("phones: hold after a helicopter or drone")
    default = next(r for e, r in phones if e == base.early_probability)
    for ax, x, y in (
        (left, default["minutes_vs_oracle"], default["lead_vs_oracle"]),
        (right, default["imminent_false_alarm"], default["siren60"]),
        (third, default["minutes_vs_oracle"], default["lead_vs_oracle"]),
    ):
        ax.scatter(
            [x], [y], s=220, facecolors="none", edgecolors="red", linewidths=2, label="operating point"
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Alert policy trade-off on the public scenarios (the system's own tracks)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


if __name__ == "__main__":
    sys.exit(main())
