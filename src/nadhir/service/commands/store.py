"""`nadhir store move`: copy a whole store to another database (SQLite to PostgreSQL).

::

    nadhir store move --from sqlite:///out/nadhir.sqlite3 --to postgresql+psycopg://db/nadhir
    nadhir store move --from ... --to ... --force      # replace what the target holds

Runs, sites, events, tracks, alerts, the outbox and its audit, subscriptions, test alarms and the
quarantine are copied in batches, with a progress bar, in one transaction on the target; the rows
of every table are counted on both sides and must agree (:mod:`nadhir.store.move`). Stop the
service first: rows written to the source during the move are not copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    """Add ``store`` (with ``move``) to the app."""
    group = typer.Typer(name="store", help="Operations on a whole store.", no_args_is_help=True)
    group.command("move")(move)
    app.add_typer(group)


def move(
    source: Annotated[str, typer.Option("--from", help="Database URL to copy from")],
    target: Annotated[str, typer.Option("--to", help="Database URL to copy into")],
    force: Annotated[bool, typer.Option("--force", help="Replace what the target holds")] = False,
    batch: Annotated[int, typer.Option("--batch", help="Rows per insert", min=1)] = 5_000,
) -> None:
    """Copy a store (every table) to another database, in batches, and check the counts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from nadhir.store.move import MoveError, move_store

    console = Console(stderr=True)
    if source == target:
        console.print("[red]error:[/red] --from and --to are the same database")
        raise typer.Exit(2)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=console)  # fmt: skip
    task = progress.add_task("rows", total=None)

    def on_start(counts: Mapping[str, int]) -> None:
        progress.update(task, total=sum(counts.values()))

    def on_rows(table: str, n: int) -> None:
        progress.update(task, advance=n, description=table)

    try:
        with progress:
            counts = move_store(
                source, target, replace=force, batch=batch, on_rows=on_rows, on_start=on_start
            )
    except MoveError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    except Exception as exc:  # a database that cannot be reached: said plainly; the target is unchanged
        console.print(
            f"[red]error:[/red] the move failed, the target is unchanged: {type(exc).__name__}: {exc}"
        )
        raise typer.Exit(1) from exc
    table = Table("table", "rows", title="copied and counted on both sides")
    for name, n in counts.items():
        table.add_row(name, str(n))
    console.print(table)
    console.print(f"moved {sum(counts.values())} rows")
