"""`nadhir outcomes`: mothers' and newborns' outcomes (issue 19).

Each sub-command lives in its own module: ``import`` (:mod:`.outcomes_import`) and ``report``
(:mod:`.outcomes_report`); ``detect`` (:mod:`.outcomes_detect`) joins them where the detectors are.
"""

from __future__ import annotations

import importlib

import typer

# Sub-command -> module in nadhir.service.commands (those present in this installation).
SUBCOMMANDS: dict[str, str] = {
    "import": "outcomes_import",
    "report": "outcomes_report",
    "detect": "outcomes_detect",
}


def register(app: typer.Typer) -> None:
    """Add ``outcomes`` (with its sub-commands) to the app."""
    group = typer.Typer(name="outcomes", help="Mothers' and newborns' outcomes: records, alarms, bulletins.",
                        no_args_is_help=True)  # fmt: skip
    for name, module in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(f"nadhir.service.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"nadhir.service.commands.{module}":
                raise
            continue  # a sub-command another branch adds (detect) and this one lacks
        group.command(name)(mod.main)
    app.add_typer(group)
