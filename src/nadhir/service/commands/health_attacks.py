"""`nadhir health attacks`: the register of attacks on health care from the terminal.

::

    nadhir health attacks list --db URL [--facility ID] [--private]
    nadhir health attacks export --db URL (--public [--drafts] | --private) --format hxl|json --out FILE

``list`` shows the public fields unless ``--private`` is given (it is run by whoever holds the
database, so it can). ``export`` writes HXL-tagged CSV, read back and validated with libhxl before
it is kept, or JSON; a public export carries no coordinates, facility names, sources or
narratives, and only confirmed records (``--drafts``: drafts too; rejected ones never).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from nadhir.service.commands.context import DbOpt, ScenarioOpt, SettingsOpt, context

if TYPE_CHECKING:  # the database layer is loaded only when a command runs
    from nadhir.service.attack_register import AttackRegister

attacks = typer.Typer(
    name="attacks", help="The register of attacks on health care (WHO SSA).", no_args_is_help=True
)


@attacks.command("list")
def list_attacks(
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
    facility: Annotated[str | None, typer.Option("--facility", help="Only this facility's")] = None,
    private: Annotated[bool, typer.Option("--private", help="Show the facility and the sources too")] = False,
) -> None:
    """List the attacks on health care, newest first."""
    from nadhir.service.attack_register import UnknownFacility

    console = Console()
    register = _register(settings_file, db, scenario, console)
    try:
        records = register.records(facility)
    except UnknownFacility as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    headers = ["id", "date", "admin area", "facility", "types", "resources", "killed", "injured", "certainty",
               "review", *(["sources"] if private else [])]  # fmt: skip
    table = Table(*headers, title="attacks on health care")
    for r in records:
        where = r.facility.name if private else r.facility.type
        row = [str(r.id), r.date, r.facility.admin_area or "", where,
               ", ".join(r.attack_types), ", ".join(r.resources), _count(r.killed()), _count(r.injured()),
               r.certainty, r.review]  # fmt: skip
        if private:
            row.append(", ".join(f"{s.kind}:{s.ref}" for s in r.sources))
        table.add_row(*row)
    console.print(table)
    console.print(f"{len(records)} attacks")


@attacks.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="File to write")],
    format: Annotated[
        Literal["hxl", "json"], typer.Option("--format", help="hxl (CSV with HXL hashtags) or json")
    ],
    public: Annotated[bool, typer.Option("--public", help="Public fields only")] = False,
    private: Annotated[bool, typer.Option("--private", help="Every field (health role's data)")] = False,
    drafts: Annotated[
        bool, typer.Option("--drafts", help="--public: drafts too, not only confirmed")
    ] = False,
    settings_file: SettingsOpt = None,
    db: DbOpt = None,
    scenario: ScenarioOpt = None,
) -> None:
    """Export the register as HXL-tagged CSV or JSON, public or private."""
    from nadhir.health.attack_export import ExportError, to_hxl_csv, to_json
    from nadhir.health.attack_views import shown_to_public

    console = Console(stderr=True)
    if public == private:
        console.print("[red]error:[/red] give exactly one of --public and --private")
        raise typer.Exit(2)
    scope: Literal["public", "private"] = "public" if public else "private"
    register = _register(settings_file, db, scenario, console)
    records = register.records()
    if scope == "public":  # confirmed records (and drafts if asked), never rejected ones
        records = [r for r in records if shown_to_public(r, drafts)]
    try:
        text = to_hxl_csv(records, scope) if format == "hxl" else to_json(records, scope)
    except ExportError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    out.write_text(text, encoding="utf-8")
    console.print(f"{len(records)} attacks written to {out} ({scope}, {format})")


def _register(
    settings_file: Path | None, db: str | None, scenario: Path | None, console: Console
) -> AttackRegister:
    """The register in the service's database (a database not yet migrated is brought up to date)."""
    from nadhir.service.attack_register import AttackRegister
    from nadhir.store import Store
    from nadhir.store.attacks import AttackBook

    ctx = context(settings_file, db, scenario, console)
    store = Store.open(ctx.db)
    return AttackRegister(AttackBook(store.engine), ctx.sites)


def _count(n: int | None) -> str:
    return "?" if n is None else str(n)


def register(group: typer.Typer) -> None:
    """Add ``attacks`` to the ``health`` group."""
    group.add_typer(attacks)
