"""`nadhir simulate`: write a synthetic scenario for a region and a seed (training, unseen-region tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nadhir_lab.commands import LAB_PANEL
from nadhir_lab.simulator import (
    MAX_SENSORS,
    RECORDED_SETS,
    TWISTS,
    RegionError,
    list_regions,
    load_region,
    simulate,
    summary,
    write_scenario,
)


def register(app: typer.Typer) -> None:
    """Add ``nadhir simulate`` to the app."""

    @app.command("simulate", rich_help_panel=LAB_PANEL)
    def simulate_command(
        out_dir: Annotated[
            Path, typer.Argument(help="Folder to write the scenario into (created if needed)")
        ],
        region: Annotated[
            str,
            typer.Option("--region", help="A bundled region name or the path of a region .json file"),
        ] = "wadi-karam",
        seed: Annotated[
            int, typer.Option("--seed", min=0, help="Random seed; the same seed gives the same files")
        ] = 1,
        hours: Annotated[float, typer.Option("--hours", min=0.25, max=48.0, help="Scenario length")] = 3.0,
        sensors: Annotated[
            int | None,
            typer.Option(
                "--sensors",
                min=0,
                max=MAX_SENSORS,
                help="Number of acoustic sensors (default: the region's), same layout",
            ),
        ] = None,
        twist: Annotated[
            list[str] | None,
            typer.Option("--twist", help=f"Add a twist (repeatable): {', '.join(TWISTS)}, or 'all'"),
        ] = None,
        recorded: Annotated[
            str | None,
            typer.Option(
                "--recorded",
                help="Fly every sortie along a real recorded flight of this set: tuning or report",
            ),
        ] = None,
        gzip_events: Annotated[bool, typer.Option("--gzip", help="Write events.jsonl.gz")] = False,
        list_only: Annotated[
            bool, typer.Option("--list-regions", help="List bundled regions and exit")
        ] = False,
    ) -> None:
        """Simulate air activity over a region and write it in the scenario format, with its truth."""
        if list_only:
            for name in list_regions():
                typer.echo(name)
            return
        twists = list(twist or [])
        if "all" in twists:
            twists = list(TWISTS)
        unknown = sorted(set(twists) - set(TWISTS))
        if unknown:
            raise typer.BadParameter(
                f"unknown twist(s) {unknown}; choose from {', '.join(TWISTS)}", param_hint="--twist"
            )
        try:
            described = load_region(region)
        except RegionError as exc:
            raise typer.BadParameter(str(exc), param_hint="--region") from exc
        if recorded is not None and recorded not in RECORDED_SETS:
            raise typer.BadParameter(
                f"unknown set {recorded!r}; choose from {', '.join(RECORDED_SETS)}", param_hint="--recorded"
            )
        sim = simulate(
            described, seed=seed, hours=hours, twists=twists, sensor_count=sensors, recorded=recorded
        )
        events = write_scenario(sim, out_dir, gzip_events=gzip_events)
        facts = summary(sim)
        counts = ", ".join(f"{n} {kind}" for kind, n in facts["events"].items())
        typer.echo(
            f"{out_dir}: region {facts['region']} seed {seed}, {facts['start']} for {facts['hours']} h, "
            f"{facts['sorties']} sorties, {facts['aircraft']} aircraft, {facts['strikes']} strikes; "
            f"{events.name}: {counts}"
            + (f"; twists: {', '.join(facts['twists'])}" if facts["twists"] else "")
        )
