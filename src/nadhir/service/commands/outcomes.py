"""`nadhir outcomes`: mothers' and newborns' outcome surveillance (issue 19).

The group is built here; its sub-commands live in modules of their own (``detect`` in
:mod:`nadhir.service.commands.outcomes_detect`), each with ``register(group)``. A module adds its
sub-commands by being named in :data:`SUBCOMMAND_MODULES`.
"""

from __future__ import annotations

import importlib

import typer

# Modules of nadhir.service.commands that add sub-commands to `nadhir outcomes`.
SUBCOMMAND_MODULES: tuple[str, ...] = ("outcomes_detect",)


def register(app: typer.Typer) -> None:
    """Add the ``outcomes`` group and every sub-command its modules register."""
    group = typer.Typer(help="Mothers' and newborns' outcomes: detect rises in facility series.",
                        no_args_is_help=True)  # fmt: skip
    for module in SUBCOMMAND_MODULES:
        importlib.import_module(f"nadhir.service.commands.{module}").register(group)
    app.add_typer(group, name="outcomes")
