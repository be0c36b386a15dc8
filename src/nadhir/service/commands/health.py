"""`nadhir health`: the health room's commands (the register of attacks on health care)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``health`` (with ``attacks``) to the app."""
    from nadhir.service.commands.health_attacks import attacks

    group = typer.Typer(
        name="health", help="Health facilities and attacks on health care.", no_args_is_help=True
    )
    group.add_typer(attacks)
    app.add_typer(group)
