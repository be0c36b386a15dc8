"""What the operator commands (``subscriptions``, ``test-alarms``) share with ``nadhir serve``: the same
settings file and environment, the same database, the same region's sites."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nadhir.domain import Problems, Site
from nadhir.service.settings import Settings, SettingsError, load_settings
from nadhir.store import default_url

# The options every operator command takes to find that context.
SettingsOpt = Annotated[Path | None, typer.Option("--settings", help="Settings file (TOML), as for serve")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: the settings' db)")]
ScenarioOpt = Annotated[Path | None, typer.Option("--scenario", help="Region folder (default: bundled)")]


@dataclass(frozen=True, slots=True)
class Context:
    """Settings, database URL and sites of the service these commands act on."""

    settings: Settings
    db: str
    sites: list[Site]

    def site_ids(self) -> list[str]:
        return [s.id for s in self.sites]


def settings_or_exit(settings_file: Path | None, console: Console) -> Settings:
    """The service's settings (file and environment), or exit with status 2 and a clear error."""
    try:
        return load_settings(settings_file)
    except SettingsError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def context(settings_file: Path | None, db: str | None, scenario: Path | None, console: Console) -> Context:
    """Load the context or exit with status 2 and a clear error."""
    from nadhir.domain.formats.scenario import ScenarioError, load_sites
    from nadhir.service.region import bundled_scenario

    settings = settings_or_exit(settings_file, console)
    if scenario is not None:
        settings = replace(settings, scenario=scenario)
    url = db or settings.db or default_url("nadhir.sqlite3")
    problems = Problems()
    try:
        sites = load_sites((settings.scenario or bundled_scenario()) / "sites.geojson", problems)
    except ScenarioError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    for p in problems.items:
        console.print(f"[yellow]warning:[/yellow] {p.source}:{p.line}: {p.reason} (skipped)")
    return Context(settings, url, sites)
