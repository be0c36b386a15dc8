"""``nadhir health``: the health room's records from the terminal.

Its sub-groups live in their own modules (``health_facilities``: ``nadhir health facilities``; the
attacks register's ``health_attacks``: ``nadhir health attacks``), each with a ``register(group)``.
"""

from __future__ import annotations

import importlib

import typer

# Sub-group modules in nadhir.service.commands, in the order --help lists them.
SUBGROUPS: tuple[str, ...] = ("health_facilities", "health_attacks")


def register(app: typer.Typer) -> None:
    """Add ``health`` and its sub-groups to the app."""
    group = typer.Typer(name="health", help="Health facilities' status and attacks on health care.",
                        no_args_is_help=True)  # fmt: skip
    for module in SUBGROUPS:
        importlib.import_module(f"nadhir.service.commands.{module}").register(group)
    app.add_typer(group)
