"""The ``nadhir`` command line (typer). Each sub-command lives in its own module."""

from __future__ import annotations

import typer

from nadhir.service.commands import (
    demo,
    parse_reports,
    replay,
    score,
    serve,
    simulate,
    siren,
    train_threat,
)

app = typer.Typer(
    name="nadhir",
    help="Nadhir (نذير): early warning of air attacks from spotter reports and acoustic sensors.",
    no_args_is_help=True,
    add_completion=False,
)

for command in (serve, demo, replay, score, parse_reports, simulate, train_threat, siren):
    command.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
