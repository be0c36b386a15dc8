"""The ``nadhir`` command line (typer). Each sub-command lives in its own module.

The product's commands are listed in :data:`COMMANDS`. Other packages add
commands through the ``nadhir.commands`` entry-point group: the lab
(``nadhir_lab``: ``simulate``, ``score``, ``train-threat``) does, so that the
product never imports the lab by name (docs/architecture.md). An entry point's
name is the command's name and its object a ``register(app)`` function.

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
    from importlib.metadata import EntryPoint

    import typer

# Command name -> module in nadhir.service.commands, in the order --help lists them.
COMMANDS: dict[str, str] = {
    "serve": "serve",
    "drill": "drill",
    "demo": "demo",
    "replay": "replay",
    "parse-reports": "parse_reports",
    "siren": "siren",
    "subscriptions": "subscriptions",
    "test-alarms": "test_alarms",
    "deliveries": "deliveries",
    "send-sirens": "send_sirens",
    "migrate": "migrate",
    "store": "store",
    "health": "health",
    "outcomes": "outcomes",
    "shelters": "shelters",
}

# The entry-point group other packages add commands through (the lab's are in pyproject.toml).
PLUGIN_GROUP = "nadhir.commands"


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
    if only is None or only not in COMMANDS:
        for entry in plugin_commands():
            if only is None or only == entry.name:
                entry.load()(app)
    return app


def plugin_commands() -> list[EntryPoint]:
    """Commands other installed packages add (group ``nadhir.commands``), by name.

    A product command's name cannot be taken: an installed package cannot replace
    ``serve``. Such an entry point is skipped, and said so on stderr.
    """
    # Imported here: reading the installed metadata is not free, and most commands never need it.
    from importlib.metadata import entry_points

    found = sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name)
    for entry in found:
        if entry.name in COMMANDS:
            print(f"nadhir: ignoring {entry.value}: {entry.name!r} is a nadhir command", file=sys.stderr)
    return [e for e in found if e.name not in COMMANDS]


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
    known = requested in COMMANDS or any(e.name == requested for e in plugin_commands())
    build_app(requested if known else None)()


if __name__ == "__main__":
    main()
