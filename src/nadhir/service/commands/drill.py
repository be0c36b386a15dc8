"""`nadhir drill`: a fire drill of the cluster against the configured NATS and PostgreSQL.

See :mod:`nadhir.service.drill` for what it does and what the numbers mean.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nadhir.service.commands.context import settings_or_exit


def register(app: typer.Typer) -> None:
    """Add ``drill`` to the app."""
    app.command("drill")(drill)


def drill(
    scenario_dir: Annotated[Path, typer.Argument(help="Scenario folder to feed through the cluster")],
    engines: Annotated[
        int, typer.Option("--engines", help="Engine processes (one active, the rest standby)", min=1, max=16)
    ] = 2,
    kill_at: Annotated[
        float,
        typer.Option(
            "--kill-at", help="Kill -9 the active engine at this fraction of the events (<0: never)"
        ),
    ] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object")] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="PostgreSQL server URL (a fresh database is made there)")
    ] = None,
    nats: Annotated[str | None, typer.Option("--nats", help="NATS URL (nats://HOST:PORT)")] = None,
    settings_file: Annotated[Path | None, typer.Option("--settings", help="Settings file (TOML)")] = None,
    keep: Annotated[
        Path | None, typer.Option("--keep", help="Keep the processes' logs in this folder")
    ] = None,
) -> None:
    """Run the scenario through a local cluster, kill the active engine, compare with replay.

    Exits 1 when an alert is lost or a siren command duplicated, 2 when the drill cannot run.
    """
    from nadhir.service.drill import DrillError, run_drill

    console = Console(stderr=True)
    settings = settings_or_exit(settings_file, console)
    if db is not None:
        settings = replace(settings, db=db)
    if nats is not None:
        settings = replace(settings, nats=nats)
    if not settings.db:
        settings = replace(settings, db="postgresql+psycopg://127.0.0.1:5432/test")
    try:
        result = run_drill(scenario_dir, settings, engines=engines, kill_at=kill_at if kill_at >= 0 else None,
                           keep_dir=keep)  # fmt: skip
    except DrillError as exc:
        console.print(f"[red]drill failed to run:[/red] {exc}")
        raise typer.Exit(2) from exc
    out = result.as_dict()
    if as_json:
        typer.echo(json.dumps(out))
    else:
        for key, value in out.items():
            typer.echo(f"{key:26} {value}")
    if not result.passed:
        console.print("[red]FAILED:[/red] an alert was lost or a siren command duplicated")
        raise typer.Exit(1)
