"""The ``nadhir`` command line (typer). Each sub-command lives in its own module.

Commands are imported only when asked for: ``nadhir replay`` should not pay
for loading the web service, the database layer or the simulator before it
reads its first event (start-up counts in the replay speed). For the same
reason ``nadhir replay`` parses its own arguments and runs without typer
(see ``nadhir.service.commands.replay``), so typer is loaded only to build
the app.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

# Command name -> module in nadhir.service.commands, in the order --help lists them.
COMMANDS: dict[str, str] = {
    "serve": "serve",
    "demo": "demo",
    "replay": "replay",
    "score": "score",
    "parse-reports": "parse_reports",
    "simulate": "simulate",
    "train-threat": "train_threat",
    "siren": "siren",
    "subscriptions": "subscriptions",
    "test-alarms": "test_alarms",
    "deliveries": "deliveries",
}


def build_app(only: str | None = None) -> typer.Typer:
    """The app with every command, or with just ``only`` (the one about to run)."""
    import typer

    app = typer.Typer(
        name="nadhir",
        help="Nadhir (نذير): early warning of air attacks from spotter reports and acoustic sensors.",
        no_args_is_help=True,
        add_completion=False,
    )

    @app.callback()
    def _group() -> None:
        """Keeps ``nadhir COMMAND`` a command group even when one command is loaded."""

    for name, module in COMMANDS.items():
        if only is None or only == name:
            importlib.import_module(f"nadhir.service.commands.{module}").register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    # ``from nadhir.service.cli import app`` (tests, embedding) gets the full app, built on first use.
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main() -> None:
    """Console-script entry point."""
    requested = sys.argv[1] if len(sys.argv) > 1 else None
    if requested == "replay":
        # Straight to the command, without typer and the pydantic it loads (~110 ms of start-up).
        from nadhir.service.commands import replay

        sys.exit(replay.main(sys.argv[2:]))
    build_app(requested if requested in COMMANDS else None)()
