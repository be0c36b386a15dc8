"""`nadhir shelters`: displacement sites' figures, their gaps against Sphere, and exports.

::

    nadhir shelters import sites.csv --db URL        # the shelters CSV (docs/shelters.md)
    nadhir shelters gaps --db URL --json             # one JSON object per site, the neediest first
    nadhir shelters history idlib-stadium --db URL   # one site's updates, oldest first
    nadhir shelters export --format hxl --out sites-hxl.csv   # or geojson, or csv (every update)
    nadhir shelters warn --into REGION/sites.geojson          # displacement sites become warned sites

Updates are kept in the service's database (``--db``, else the settings' ``db``); a running
``nadhir serve`` shows them at once (the console's shelters view reads the same table).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nadhir.service.commands.context import DbOpt, SettingsOpt, settings_or_exit

if TYPE_CHECKING:
    from nadhir.store.shelters import ShelterBook


def register(app: typer.Typer) -> None:
    """Add ``shelters`` (import, gaps, history, export) to the app."""
    sub = typer.Typer(help="Displacement sites: import figures, gaps against Sphere, history, exports.",
                      no_args_is_help=True)  # fmt: skip
    sub.command("import")(import_file)
    sub.command("gaps")(show_gaps)
    sub.command("history")(show_history)
    sub.command("export")(export)
    sub.command("warn")(warn_sites)
    app.add_typer(sub, name="shelters")


def _book(settings_file: Path | None, db: str | None, console: Console) -> ShelterBook:
    from nadhir.store import Store, default_url
    from nadhir.store.shelters import ShelterBook

    settings = settings_or_exit(settings_file, console)
    return ShelterBook(Store.open(db or settings.db or default_url("nadhir.sqlite3")).engine)


def import_file(
    path: Annotated[Path, typer.Argument(help="The shelters CSV (columns: docs/shelters.md)")],
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
) -> None:
    """Keep every readable row as a site update; unreadable rows are reported by line and skipped."""
    from nadhir.shelters.csv_format import CsvFormatError, read_csv

    console = Console(stderr=True)
    try:
        text = path.read_text(encoding="utf-8-sig")
        read = read_csv(text, f"csv:{path.name}")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]error:[/red] {path}: {exc}")
        raise typer.Exit(2) from exc
    except CsvFormatError as exc:
        console.print(f"[red]error:[/red] {path}: {exc}; nothing imported")
        raise typer.Exit(2) from exc
    outcome = _book(settings_file, db, console).add(read.updates)
    for p in read.problems:
        console.print(f"[yellow]skipped[/yellow] {path.name}:{p.line}: {p.reason}")
    for c in outcome.conflicts:
        line = c.update.source.rsplit(":", 1)[-1]
        console.print(f"[yellow]skipped[/yellow] {path.name}:{line}: {c.reason}")
    if outcome.already:
        console.print(f"{len(outcome.already)} update(s) were already kept (not kept twice)")
    sites = len({u.site_id for u in outcome.kept})
    console.print(f"imported {len(outcome.kept)} update(s) of {sites} site(s); "
                  f"{len(read.problems) + len(outcome.conflicts)} row(s) skipped")  # fmt: skip


def show_gaps(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per site, per line")] = False,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
) -> None:
    """Each site's latest figures against Sphere's minimum standards, the neediest first."""
    from nadhir.shelters.sphere import as_json as gaps_json
    from nadhir.shelters.sphere import ranked

    console = Console(stderr=True)
    found = ranked(_book(settings_file, db, console).latest())
    if as_json:
        for g in found:
            typer.echo(json.dumps(gaps_json(g), ensure_ascii=False, allow_nan=False))
        return

    def fig(value: float | None, digits: int = 1) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    heads = ("site", "people", "per latrine (≤20)", "water L/p/d (≥15)", "m²/p (≥3.5)", "flooded", "misses")
    table = Table(*heads)
    for g in found:
        table.add_row(
            g.site_id, fig(g.individuals, 0), fig(g.people_per_latrine), fig(g.water_litres_per_person_day),
            fig(g.covered_m2_per_person), fig(g.flooded_share, 2), " ".join(g.misses),
        )  # fmt: skip
    Console().print(table)


def show_history(
    site_id: Annotated[str, typer.Argument(help="The site's id")],
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
) -> None:
    """One site's updates, oldest first, as the shelters CSV."""
    from nadhir.shelters.csv_format import write_csv

    console = Console(stderr=True)
    found = _book(settings_file, db, console).history(site_id)
    if not found:
        console.print(f"[red]error:[/red] no updates of site {site_id!r}")
        raise typer.Exit(1)
    typer.echo(write_csv(found), nl=False)


def export(
    fmt: Annotated[str, typer.Option("--format", help="hxl, geojson, or csv (every update)")] = "hxl",
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output)")
    ] = None,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
) -> None:
    """Each site's latest figures and gaps as HXL-tagged CSV or GeoJSON; or every update as CSV."""
    from nadhir.shelters.csv_format import write_csv
    from nadhir.shelters.exports import check_hxl, geojson, hxl_csv

    console = Console(stderr=True)
    if fmt not in ("hxl", "geojson", "csv"):
        console.print(f"[red]error:[/red] --format must be hxl, geojson or csv (got {fmt!r})")
        raise typer.Exit(2)
    book = _book(settings_file, db, console)
    if fmt == "csv":
        text = write_csv(book.all())
    elif fmt == "geojson":
        text = json.dumps(geojson(book.latest()), ensure_ascii=False, allow_nan=False, indent=1) + "\n"
    else:
        text = hxl_csv(book.latest())
        errors = check_hxl(text)
        if errors:  # never hand partners a file their tools will refuse
            console.print(f"[red]error:[/red] the HXL export does not validate: {'; '.join(errors[:5])}")
            raise typer.Exit(1)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}")


def warn_sites(
    into: Annotated[Path, typer.Option("--into", help="The region's sites.geojson, to add the sites to")],
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
) -> None:
    """Add every displacement site to a region's warned sites, each with its advice for tents and open
    ground (a site already there under the same id is replaced). The service reads it at its next start."""
    from nadhir.shelters.warned import merged_sites

    console = Console(stderr=True)
    try:
        sites = json.loads(into.read_text(encoding="utf-8")) if into.exists() else {"features": []}
        if not isinstance(sites, dict) or not isinstance(sites.get("features"), list):
            raise ValueError("not a GeoJSON FeatureCollection")
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {into}: {exc}; nothing changed")
        raise typer.Exit(2) from exc
    latest = _book(settings_file, db, console).latest()
    merged = merged_sites(sites, latest)
    into.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    console.print(f"{len(latest)} displacement site(s) are warned sites in {into}")
