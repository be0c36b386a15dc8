"""`nadhir outcomes detect FILE.csv --indicator NAME --method METHOD [--json]`.

The ``outcomes`` group (:mod:`nadhir.service.commands.outcomes`) registers :func:`main` as
``detect``.

Reads a table of facility-period counts (columns in :mod:`nadhir.health.outcome_table`), runs one
detector (:mod:`nadhir.health.detectors`) over each facility's series of the indicator and prints
one result per facility-period: with ``--json`` one JSON object a line (``facility_id,
period_start, indicator, method, observed, expected, threshold, alarm``; null where the method has
no baseline yet), otherwise a table of the alarms. Bad rows stop it, each named with its line
number (the reader and the errors of ``nadhir outcomes import``), with exit status 2, before
anything is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nadhir.health.detectors import METHODS
from nadhir.health.outcome_table import INDICATORS
from nadhir.health.outcomes import PERIODS


def main(
    file: Annotated[Path, typer.Argument(help="CSV of facility-period counts", exists=True, dir_okay=False)],
    indicator: Annotated[str, typer.Option("--indicator", help=f"One of: {', '.join(INDICATORS)}")],
    method: Annotated[str, typer.Option("--method", help=f"One of: {', '.join(METHODS)}")] = "auto",
    period: Annotated[str, typer.Option("--period", help="week (default) or day")] = "week",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per facility-period")] = False,
) -> None:
    """Detect rises in one indicator of every facility in FILE."""
    import orjson
    from rich.console import Console

    from nadhir.health.detectors import DetectorError
    from nadhir.health.outcome_table import read_table
    from nadhir.health.outcomes_csv import OutcomeCsvError
    from nadhir.health.series_detection import detect_table

    err = Console(stderr=True)
    if indicator not in INDICATORS:
        err.print(f"[red]error:[/red] unknown indicator {indicator!r}; one of {', '.join(INDICATORS)}")
        raise typer.Exit(2)
    if method not in METHODS:
        err.print(f"[red]error:[/red] unknown method {method!r}; one of {', '.join(METHODS)}")
        raise typer.Exit(2)
    read_by = next((p for p in PERIODS if p == period), None)
    if read_by is None:
        err.print(f"[red]error:[/red] unknown period {period!r}; one of {', '.join(PERIODS)}")
        raise typer.Exit(2)
    try:
        facilities = read_table(file.read_text(encoding="utf-8"), period=read_by)
        results = list(detect_table(facilities, indicator=indicator, method=method, period=read_by))
    except (OutcomeCsvError, DetectorError) as exc:
        err.print(f"[red]error:[/red] {file}: {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except UnicodeDecodeError as exc:
        err.print(f"[red]error:[/red] {file}: not UTF-8 text ({exc.reason})")
        raise typer.Exit(2) from None
    if as_json:
        text = b"".join(orjson.dumps(r.as_json()) + b"\n" for r in results)
        out = getattr(sys.stdout, "buffer", None)  # a captured stdout may take text only
        if out is None:
            sys.stdout.write(text.decode())
        else:
            out.write(text)
            out.flush()
        return
    from rich.table import Table

    alarms = [r for r in results if r.alarm]
    table = Table(title=f"{indicator}: {len(alarms)} alarm(s) in {len(results)} facility-periods")
    table.add_column("facility", no_wrap=True)  # an id is copied from here: never cut
    for column in ("period", "method", "observed", "expected", "threshold"):
        table.add_column(column)
    for r in alarms:
        table.add_row(r.facility_id, r.period_start.isoformat(), r.method, f"{r.observed:g}",
                      _number(r.expected), _number(r.threshold))  # fmt: skip
    Console().print(table)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
