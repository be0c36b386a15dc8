"""`nadhir train-threat`: train the strike model on simulated scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nadhir_lab.commands import LAB_PANEL
from nadhir_lab.training import DEFAULT_HORIZON_S, TrainingReport, simulated_examples, train

DEFAULT_OUT = Path("src/nadhir/data/models/strike_model.json")


def register(app: typer.Typer) -> None:
    """Add ``train-threat`` to the app."""
    app.command("train-threat", rich_help_panel=LAB_PANEL)(train_threat)


def _seeds(spec: str) -> list[int]:
    """'1-20' or '1,4,9' -> seeds."""
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        out.extend(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return out


def train_threat(
    out: Annotated[Path, typer.Option("--out", help="Where to write the model JSON")] = DEFAULT_OUT,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="Simulator region (repeatable)")
    ] = None,
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds, e.g. 1-20 or 1,5,9")] = "1-12",
    hours: Annotated[float, typer.Option("--hours", help="Length of each simulated scenario")] = 3.0,
    twist: Annotated[list[str] | None, typer.Option("--twist", help="Simulator twists (repeatable)")] = None,
    horizon_s: Annotated[
        float, typer.Option("--horizon-s", help="A strike this soon counts")
    ] = DEFAULT_HORIZON_S,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a reliability diagram (PNG) here")
    ] = None,
) -> None:
    """Simulate scenarios, replay them, and fit the strike model (held-out calibration printed)."""
    console = Console(stderr=True)
    regions = region or ["wadi-karam", "jabal-nur"]
    try:
        seed_list = _seeds(seeds)
    except ValueError as exc:
        console.print(f"[red]error:[/red] bad --seeds {seeds!r}")
        raise typer.Exit(2) from exc
    twists = tuple(twist or ())
    with Progress(
        TextColumn("simulating and replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("train", total=len(regions) * len(seed_list))
        examples = simulated_examples(
            regions, seed_list, hours, twists, horizon_s, progress=lambda _name: progress.advance(task)
        )
    model, report = train(
        examples,
        horizon_s=horizon_s,
        meta={"regions": regions, "seeds": seeds, "hours": hours, "twists": list(twists)},
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model.to_json() + "\n", encoding="utf-8")
    _print_report(console, report)
    console.print(f"model written to {out}")
    if plot is not None:
        write_reliability_plot(report, plot)
        console.print(f"reliability diagram written to {plot}")


def _print_report(console: Console, r: TrainingReport) -> None:
    console.print(
        f"rows: {r.train_rows} train, {r.test_rows} held out; strikes within horizon: {r.positives:.1%}"
    )
    console.print(
        f"Brier score held out: {r.brier_test:.4f} (base rate alone {r.brier_baseline:.4f}; "
        f"train {r.brier_train:.4f})"
    )
    console.print("reliability (held out): predicted -> observed (n)")
    for predicted, observed, n in r.reliability_test:
        console.print(f"  {predicted:.2f} -> {observed:.2f} ({n})")


def write_reliability_plot(report: TrainingReport, path: Path) -> None:
    """A reliability diagram: predicted probability against observed strike frequency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    xs = [p for p, _, _ in report.reliability_test]
    ys = [o for _, o, _ in report.reliability_test]
    ns = [n for _, _, n in report.reliability_test]
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
    ax.scatter(xs, ys, s=[max(10.0, 200.0 * n / max(ns)) for n in ns], label="held-out scenarios")
    ax.plot(xs, ys)
    ax.set_xlabel("predicted probability of a strike within the horizon")
    ax.set_ylabel("observed frequency")
    ax.set_title(
        f"Strike model reliability (Brier {report.brier_test:.3f}, base {report.brier_baseline:.3f})"
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
