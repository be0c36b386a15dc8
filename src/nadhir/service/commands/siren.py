"""`nadhir siren`: the program on a siren controller (Raspberry Pi class).

Connects to the MQTT broker as siren ``--id``, plays each command's pattern
through a relay hook (``--gpio-command``) and/or the audio output
(``--audio``), acknowledges every command, sends heartbeats, and keeps going
through broker restarts and network loss. The topics and the line protocol are
in ``docs/sirens.md``. Also runnable as ``python -m nadhir.service.commands.siren``.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from nadhir.delivery.sirens import (
    DEFAULT_ROOT,
    AudioOutput,
    Output,
    RelayOutput,
    SirenController,
    check_siren_id,
    parse_broker,
)


def register(app: typer.Typer) -> None:
    """Add ``siren`` to the app."""
    app.command("siren")(siren)


def siren(
    siren_id: Annotated[str, typer.Option("--id", help="This siren's id (as listed in sites.geojson)")],
    broker: Annotated[str, typer.Option("--broker", help="MQTT broker host:port")] = "127.0.0.1:1883",
    gpio_command: Annotated[
        str | None,
        typer.Option(
            "--gpio-command",
            help="Relay hook: run with 'on'/'off' appended, or with {state} / {value} (1/0) replaced, "
            "e.g. 'gpioset gpiochip0 17={value}'",
        ),
    ] = None,
    audio: Annotated[
        bool, typer.Option("--audio", help="Also play the pattern's tone on the audio output")
    ] = False,
    audio_command: Annotated[
        str, typer.Option("--audio-command", help="Sound player; {file} is the WAV file")
    ] = "aplay -q {file}",
    topic_root: Annotated[str, typer.Option("--topic-root", help="Topic root of all sirens")] = DEFAULT_ROOT,
    keys_file: Annotated[
        Path | None,
        typer.Option("--keys-file", help="Where accepted command keys are kept across restarts"),
    ] = None,
    heartbeat: Annotated[float, typer.Option("--heartbeat", help="Seconds between heartbeats")] = 5.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every command")] = False,
) -> None:
    """Run a siren controller: hear commands over MQTT and sound them through a relay or audio."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s")  # fmt: skip
    try:
        check_siren_id(siren_id)
        host, port = parse_broker(broker)
        if heartbeat <= 0:
            raise ValueError("--heartbeat must be positive")
        outputs: list[Output] = []
        if gpio_command:
            outputs.append(RelayOutput(gpio_command))
        if audio:
            outputs.append(AudioOutput(audio_command))
        if not outputs:
            raise ValueError("give --gpio-command and/or --audio: the siren needs somewhere to sound")
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    keys = keys_file or Path.home() / ".local" / "state" / "nadhir" / f"siren-{siren_id}.keys"
    controller = SirenController(
        siren_id, host, port, outputs, root=topic_root, keys_path=keys, heartbeat_s=heartbeat
    )

    def _leave(_sig: int, _frame: FrameType | None) -> None:
        controller.stop()

    signal.signal(signal.SIGTERM, _leave)
    signal.signal(signal.SIGINT, _leave)
    controller.run()


if __name__ == "__main__":
    _app = typer.Typer(add_completion=False)
    register(_app)
    _app()
