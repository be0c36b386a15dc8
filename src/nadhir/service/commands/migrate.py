"""`nadhir migrate`: bring a store's schema to the newest revision (Alembic ``upgrade head``).

::

    nadhir migrate                                   # the settings' database
    nadhir migrate --db postgresql+psycopg://db/nadhir

SQLite or PostgreSQL. Idempotent: a store already at the newest schema is left as it is. Every
process also migrates the store it opens; running this first lets a fleet of role processes start
on a schema that is already there (and a move start from a source that is up to date).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add ``migrate`` to the app."""
    app.command("migrate")(migrate)


def migrate(
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: the settings' db)")] = None,
    settings_file: Annotated[Path | None, typer.Option("--settings", help="Settings file (TOML)")] = None,
) -> None:
    """Upgrade the store's schema to the newest revision (SQLite or PostgreSQL; idempotent)."""
    from nadhir.service.settings import SettingsError, load_settings
    from nadhir.store import Store, default_url
    from nadhir.store.move import schema_state

    console = Console(stderr=True)
    if db is None:
        try:
            db = load_settings(settings_file).db
        except SettingsError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    url = db or default_url("nadhir.sqlite3")
    try:
        store = Store.open(url, migrate=False)
    except Exception as exc:  # a bad URL or a driver error: said plainly, not as a traceback
        console.print(f"[red]error:[/red] cannot open {url}: {exc}")
        raise typer.Exit(1) from exc
    try:
        before = schema_state(store.engine)
        if before.up_to_date:
            console.print(f"already at the newest schema ({before.head})")
            return
        from nadhir.store import upgrade_schema

        upgrade_schema(store.engine)
        after = schema_state(store.engine)
        console.print(f"migrated from {before.current or 'an empty database'} to {after.current}")
    except Exception as exc:
        console.print(f"[red]error:[/red] migration failed: {exc}")
        raise typer.Exit(1) from exc
    finally:
        store.close()
