"""`nadhir deliveries`: the outbox and its audit log, for operators.

::

    nadhir deliveries                          # the newest 50 deliveries and how they stand
    nadhir deliveries --state failed --channel sms
    nadhir deliveries --key upd-3b0c5e2a --audit   # each with every step: stored, attempt, acked, ...

Reads the service's database (``--db``, else the settings' ``db``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

STATES = ("pending", "sent", "acked", "failed", "expired", "cancelled")


def register(app: typer.Typer) -> None:
    """Add ``deliveries`` to the app."""
    app.command("deliveries")(deliveries)


def deliveries(
    state: Annotated[
        str | None, typer.Option("--state", help=f"Only this state: {', '.join(STATES)}")
    ] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="siren, sms, telegram, webhook")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Only keys starting with this")] = None,
    last: Annotated[int, typer.Option("--last", help="How many of the newest", min=1)] = 50,
    audit: Annotated[bool, typer.Option("--audit", help="With every step of each (JSON lines)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    settings_file: Annotated[Path | None, typer.Option("--settings", help="Settings file (TOML)")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: the settings' db)")] = None,
) -> None:
    """Show the outbox's deliveries (siren commands, SMS, Telegram, webhooks) and their audit trail."""
    from nadhir.delivery.outbox import Outbox
    from nadhir.service.settings import SettingsError, load_settings
    from nadhir.store import default_url

    console = Console(stderr=True)
    if state is not None and state not in STATES:
        console.print(f"[red]error:[/red] --state must be one of {', '.join(STATES)}")
        raise typer.Exit(2)
    try:
        settings = load_settings(settings_file)
    except SettingsError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    outbox = Outbox.open(db or settings.db or default_url("nadhir.sqlite3"))
    try:
        found = outbox.deliveries(state, prefix=key, channel=channel, last=last)  # type: ignore[arg-type]
        if as_json or audit:
            for d in found:
                row: dict[str, object] = {
                    "key": d.key, "channel": d.channel, "target": d.target, "state": d.state,
                    "attempts": d.attempts, "last_error": d.last_error,
                }  # fmt: skip
                if audit:
                    row["audit"] = [{"at": e.at, "event": e.event, "attempt": e.attempt, "detail": e.detail}
                                    for e in outbox.audit(d.key)]  # fmt: skip
                typer.echo(json.dumps(row, ensure_ascii=False))
            return
        table = Table(Column("key", overflow="fold"), "channel", "target", "state", "attempts", "last error")
        for d in found:
            table.add_row(d.key, d.channel, d.target, d.state, str(d.attempts), d.last_error or "")
        Console().print(table)
        console.print(f"{len(found)} delivery(ies); counts by state: {outbox.counts()}")
    finally:
        outbox.close()
