"""`nadhir score`: score alerts (and tracks) against a scenario's truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nadhir_lab.commands import LAB_PANEL
from nadhir_lab.scoring import ScoreInputError, ScoreReport, combine, format_summary, score, to_json

PATHS_METAVAR = "SCENARIO_DIR ALERTS_JSONL [SCENARIO_DIR ALERTS_JSONL]..."


def _fail(message: str) -> typer.Exit:
    typer.echo(f"nadhir score: {message}", err=True)
    return typer.Exit(code=2)


def _scenario_pairs(paths: list[Path], tracks: list[Path]) -> list[tuple[Path, Path, Path | None]]:
    """``(scenario_dir, alerts, tracks)`` per scenario, from the command's arguments."""
    if len(paths) < 2 or len(paths) % 2:
        raise _fail(f"expected {PATHS_METAVAR}, got {len(paths)} path(s)")
    dirs, alerts = paths[0::2], paths[1::2]
    if tracks and len(tracks) != len(dirs):
        raise _fail(f"give --tracks once per scenario ({len(dirs)}), or not at all; got {len(tracks)}")
    per_scenario: list[Path | None] = list(tracks) if tracks else [None] * len(dirs)
    return list(zip(dirs, alerts, per_scenario, strict=True))


def _score_all(runs: list[tuple[Path, Path, Path | None]]) -> list[ScoreReport]:
    try:
        return [score(scenario_dir, alerts, tracks) for scenario_dir, alerts, tracks in runs]
    except ScoreInputError as exc:
        raise _fail(str(exc)) from exc


def register(app: typer.Typer) -> None:
    """Add ``nadhir score`` to the app."""

    @app.command("score", rich_help_panel=LAB_PANEL)
    def score_command(
        paths: Annotated[
            list[Path],
            typer.Argument(
                metavar=PATHS_METAVAR,
                help="A scenario folder (sites.geojson, truth.json) and the alerts.jsonl written for it; "
                "several pairs are also scored together.",
                show_default=False,
            ),
        ],
        tracks: Annotated[
            list[Path] | None,
            typer.Option(
                "--tracks",
                metavar="TRACKS_JSONL",
                help="tracks.jsonl written by the system (enables OSPA); once per scenario.",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        people: Annotated[
            bool,
            typer.Option("--people", help='Add "people warned" beside "sites warned" (sites\' population).'),
        ] = False,
    ) -> None:
        """Score alerts (and tracks) against a scenario's truth: warned share, lead times,
        false alarms, alert-minutes, OSPA (docs/scenario-format.md, "Scoring")."""
        runs = _scenario_pairs(paths, tracks or [])
        reports = _score_all(runs)
        if people:
            _print_people(runs, reports, as_json)
            return
        if len(reports) == 1:
            typer.echo(to_json(reports[0]) if as_json else format_summary(reports[0]))
            return
        if as_json:
            scenarios = [
                {"scenario": str(run[0]), **r.as_dict()} for run, r in zip(runs, reports, strict=True)
            ]
            typer.echo(json.dumps({"scenarios": scenarios, "combined": combine(reports)}, ensure_ascii=False))
            return
        for (scenario_dir, _, _), report in zip(runs, reports, strict=True):
            typer.echo(f"== {scenario_dir}\n{format_summary(report)}\n")
        typer.echo(f"== all {len(reports)} scenarios together\n{format_summary(combine(reports))}")


def _print_people(
    runs: list[tuple[Path, Path, Path | None]], reports: list[ScoreReport], as_json: bool
) -> None:
    """Each scenario's score with its people-weighted figures (the score's own keys unchanged)."""
    from nadhir.domain import Problems
    from nadhir.domain.formats.scenario import load_sites
    from nadhir_lab.people_warned import format_people, people_warned

    rows = []
    for (scenario_dir, _, _), report in zip(runs, reports, strict=True):
        weighted = people_warned(report, load_sites(scenario_dir / "sites.geojson", Problems()))
        if as_json:
            rows.append({"scenario": str(scenario_dir), **report.as_dict(), "people": weighted.as_dict()})
        else:
            typer.echo(f"== {scenario_dir}\n{format_summary(report)}\n{format_people(weighted)}\n")
    if as_json:
        typer.echo(json.dumps(rows[0] if len(rows) == 1 else {"scenarios": rows}, ensure_ascii=False))
