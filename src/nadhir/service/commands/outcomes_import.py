"""`nadhir outcomes import FILE.csv [--db URL] [--source NAME]`: keep a CSV of outcome reports.

The whole file or none of it: a bad row is named by its line number and nothing is kept. A
facility-period already in the store is replaced (the earlier report stays in its history); a row
identical to what is kept changes nothing, so importing a file twice is harmless.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def main(
    file: Annotated[Path, typer.Argument(help="CSV with the columns of `nadhir outcomes detect`", exists=True,
                                         dir_okay=False, readable=True)],
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: ./nadhir.sqlite3)")] = None,
    source: Annotated[str, typer.Option("--source", help="Where the rows came from")] = "csv",
) -> None:  # fmt: skip
    """Import outcome reports from a CSV file (all rows or none)."""
    from nadhir.health.outcomes_csv import OutcomeCsvError, read_outcomes_csv
    from nadhir.service.outcomes import OutcomeDesk
    from nadhir.store import Store, default_url

    console = Console(stderr=True)
    try:
        records = read_outcomes_csv(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        console.print(f"[red]error:[/red] {file} is not UTF-8 text: {exc}")
        raise typer.Exit(1) from exc
    except OutcomeCsvError as exc:
        console.print(f"[red]error:[/red] {file}: {exc}\nnothing imported")
        raise typer.Exit(1) from exc
    with Store.open(db or default_url("nadhir.sqlite3")) as store:
        kept = OutcomeDesk(store.engine, ()).submit(records, time.time(), source, f"import:{file.name}")
    facilities = len({r.facility_id for r in records})
    Console().print(f"imported {len(records)} reports of {facilities} facilities from {file}: "
                    f"{kept.added} new, {kept.replaced} replacing an earlier report, "
                    f"{kept.unchanged} unchanged")  # fmt: skip
