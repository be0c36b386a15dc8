"""``nadhir health facilities status``: every health facility's latest status, in the terminal.

::

    nadhir health facilities status --db sqlite:///nadhir.sqlite3
    nadhir health facilities status --json        # the same as JSON lines' list, for scripts
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nadhir.health.status import FacilityStatus
from nadhir.service.commands.context import DbOpt, ScenarioOpt, SettingsOpt, context


def register(group: typer.Typer) -> None:
    """Add ``facilities`` (with ``status``) to the ``health`` group."""
    sub = typer.Typer(
        name="facilities", help="Health facilities' status (HeRAMS' codes).", no_args_is_help=True
    )
    sub.command("status")(status)
    group.add_typer(sub)


def brief(s: FacilityStatus) -> str:
    """A status in one short line: staff on duty, incubators, beds, power and fuel, shortages."""
    parts = []
    if s.staff:
        parts.append(f"staff {sum(s.staff.values())}")
    if s.incubators_working is not None:
        inc = f"incubators {s.incubators_working}" + (
            f"/{s.incubators_total}" if s.incubators_total is not None else ""
        )
        if s.incubators_occupied:
            inc += f" ({s.incubators_occupied} occupied)"
        parts.append(inc)
    if s.beds_working is not None:
        parts.append(f"beds {s.beds_working}" + (f"/{s.beds_total}" if s.beds_total is not None else ""))
    if s.theatres_in_use:
        parts.append(f"{s.theatres_in_use} theatre(s) in use")
    if s.power is not None:
        parts.append(("no power" if s.power == "none" else s.power)
                     + (f", fuel {s.fuel_days:g} d" if s.fuel_days is not None else ""))  # fmt: skip
    parts.extend(
        f"{what} {getattr(s, what)}"
        for what in ("water", "oxygen")
        if getattr(s, what) in ("insufficient", "none")
    )
    return "; ".join(parts)


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86_400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} d"


def status(
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Every health facility of the region with its latest status and how old it is."""
    from nadhir.domain.timefmt import format_time
    from nadhir.health.facilities import health_facilities
    from nadhir.health.readiness import readiness
    from nadhir.health.status import status_from_json
    from nadhir.store import Store
    from nadhir.store.facilities import FacilityStatusBook

    console = Console(stderr=True)
    ctx = context(settings_file, db, scenario, console)
    facilities = health_facilities(ctx.sites)
    try:
        with Store.open(ctx.db) as store:
            latest = FacilityStatusBook(store.engine).latest()
    except Exception as exc:  # a database that cannot be reached: said plainly
        console.print(f"[red]error:[/red] cannot read {ctx.db}: {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from exc
    now = time.time()
    rows: list[dict[str, Any]] = []
    for site in facilities.values():
        entry = latest.get(site.id)
        s = None if entry is None else status_from_json(entry.status)
        ready = readiness(s, 0.0 if entry is None else max(0.0, now - entry.at))
        rows.append({
            "id": site.id, "name": site.name, "functionality": None if s is None else s.functionality,
            "evacuated": bool(s and s.evacuated), "at": None if entry is None else format_time(entry.at),
            "age_s": None if entry is None else max(0.0, now - entry.at),
            "not_available": [] if s is None else s.not_available(),
            "status": None if entry is None else entry.status,
            "summary": "" if s is None else brief(s),
            "sirens": ready.sirens, "extra_lead_s": ready.extra_lead_s,
        })  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("facility", "functioning", "updated", "not available", "status", "warning",
                  title=f"{len(rows)} health facilities")  # fmt: skip
    colour = {"fully": "green", "partially": "yellow", "not": "red"}
    for r in rows:
        f = r["functionality"]
        func = "[dim]no status[/dim]" if r["at"] is None else f"[{colour.get(f or '', 'white')}]{f or '?'}[/]"
        if r["evacuated"]:
            func += " (evacuated)"
        age = "" if r["age_s"] is None else f"{_age(float(r['age_s']))} ago"
        warning = "phones only" if not r["sirens"] else (
            f"+{r['extra_lead_s']:.0f} s" if r["extra_lead_s"] else "as usual")  # fmt: skip
        table.add_row(str(r["name"]), func, age, ", ".join(r["not_available"]), str(r["summary"]), warning)
    Console().print(table)
