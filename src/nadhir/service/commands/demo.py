"""`nadhir demo`: replay the bundled scenario to sirens and show how well it warned.

The score comes from the lab's scorer (``nadhir_lab``), found through the
``nadhir.scoring`` entry point: the product never imports the lab by name. When
no scorer is installed the demo says so and still replays and stores the run.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nadhir.domain.formats.output import alert_to_dict, json_line, track_to_dict
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.replay import persist_replay, replay_scenario
from nadhir.service.region import bundled_scenario
from nadhir.store import Store, default_url

# The entry point a scorer is declared under: ``(scenario_dir, alerts, tracks) -> summary text``.
SCORING_GROUP, SCORING_NAME = "nadhir.scoring", "summary"
Scorer = Callable[[Path, Path, Path | None], str]


def installed_scorer() -> Scorer | None:
    """The scorer an installed package declares (the lab's), or None."""
    found = entry_points(group=SCORING_GROUP, name=SCORING_NAME)
    for entry in found:
        scorer: Scorer = entry.load()
        return scorer
    return None


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command("demo")(demo)


def demo(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where the demo writes its files")] = Path(
        "nadhir-demo"
    ),
) -> None:
    """Replay the bundled scenario, store the run, score it, and say where everything went."""
    console = Console()
    out_dir.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(bundled_scenario())
    alerts_path, tracks_path = out_dir / "alerts.jsonl", out_dir / "tracks.jsonl"
    with alerts_path.open("w", encoding="utf-8") as fa, tracks_path.open("w", encoding="utf-8") as ft:
        result = replay_scenario(
            scenario,
            on_alert=lambda a: fa.write(json_line(alert_to_dict(a))),
            on_track=lambda s: ft.write(json_line(track_to_dict(s))),
            keep=True,
        )
    db_url = default_url(out_dir / "nadhir.sqlite3")
    with Store.open(db_url) as store:
        run_id = persist_replay(store, result, name="demo")
    s = result.summary
    console.rule("Nadhir demo: bundled scenario replayed")
    console.print(f"events: {s.events}   tracks: {len(s.tracks)}   alert episodes: {s.episodes}")
    scorer = installed_scorer()
    if scorer is None:
        console.print("no scorer installed (nadhir_lab): the run is not scored")
    else:
        console.print(scorer(scenario.root, alerts_path, tracks_path))
    console.print(f"alerts:  {alerts_path}")
    console.print(f"tracks:  {tracks_path}")
    console.print(f"stored:  run {run_id} in {db_url}")
