"""`nadhir outcomes report --week YYYY-Www --out FILE.html|pdf [--db URL]`: the weekly bulletin.

A printable page: the week's alarms (facility, indicator, observed, expected, threshold, method,
completeness, events nearby), then per facility its rates with 95 % Wilson intervals, its
reporting completeness and timeliness, and the plot of its series. ``.pdf`` is printed by a
headless Chromium when one is installed (no PDF library is a dependency); ``.html`` always works.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def main(
    week: Annotated[str, typer.Option("--week", help="ISO week, YYYY-Www (2026-W14)")],
    out: Annotated[Path, typer.Option("--out", help="Where to write: FILE.html or FILE.pdf")],
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: ./nadhir.sqlite3)")] = None,
    method: Annotated[str, typer.Option("--method", help="Detector (see `nadhir outcomes detect`)")] = "auto",
    indicator: Annotated[str, typer.Option("--indicator", help="Series plotted")] = "stillbirths",
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Scenario folder naming the facilities "
                                                  "(default: the bundled one)")] = None,
) -> None:  # fmt: skip
    """Write the weekly outcomes bulletin (HTML, or PDF through Chromium)."""
    from nadhir.domain.formats.scenario import load_scenario
    from nadhir.health.outcomes import OutcomeError, week_start
    from nadhir.health.rates import INDICATORS
    from nadhir.service.outcomes import OutcomeDesk
    from nadhir.service.outcomes_bulletin import build_bulletin, write_pdf
    from nadhir.service.region import bundled_scenario
    from nadhir.store import Store, default_url

    console = Console(stderr=True)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        console.print(f"[red]error:[/red] --out must end in .html or .pdf, not {out.name!r}")
        raise typer.Exit(2)
    if indicator not in INDICATORS:
        console.print(f"[red]error:[/red] unknown indicator {indicator!r} (known: {', '.join(INDICATORS)})")
        raise typer.Exit(2)
    try:
        start = week_start(week)
    except OutcomeError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    sites = load_scenario(scenario or bundled_scenario()).sites
    with Store.open(db or default_url("nadhir.sqlite3")) as store:
        desk = OutcomeDesk(store.engine, sites)
        try:
            page = build_bulletin(desk, start, time.time(), method=method, indicator=indicator)
        except (LookupError, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    if suffix == ".pdf":
        try:
            write_pdf(page, out)
        except (RuntimeError, OSError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    else:
        out.write_text(page, encoding="utf-8")
    Console().print(f"bulletin of {week} written to {out}")
