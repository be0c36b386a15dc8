"""`nadhir siren`: the program on a siren controller, ``nadhir-siren`` (package ``nadhir_siren``).

The program is its own distribution (``pip install ./siren`` on the board: the
standard library and paho-mqtt, nothing else); the product ships it too, and
this command hands the process over to it with the arguments as given
(``nadhir siren --help`` shows its options). The product itself imports only
the program's wire protocol (``nadhir_siren.protocol``), so the program is run
rather than imported here.
"""

from __future__ import annotations

import os
import sys

import typer


def register(app: typer.Typer) -> None:
    """Add ``siren`` to the app."""
    app.command(
        "siren",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    )(siren)


def siren(ctx: typer.Context) -> None:
    """Run a siren controller: hear commands over MQTT and sound them through a relay or audio."""
    argv = [sys.executable, "-m", "nadhir_siren", *ctx.args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)
