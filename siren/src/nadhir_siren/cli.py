"""``nadhir-siren`` (also ``nadhir siren`` and ``python -m nadhir_siren``): the program on a siren.

Connects to the MQTT broker as siren ``--id``, plays each command's pattern
through a relay hook (``--gpio-command``) and/or the audio output
(``--audio``), acknowledges every command, sends heartbeats, and keeps going
through broker restarts and network loss. The topics and the line protocol are
in ``docs/sirens.md``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from nadhir_siren.controller import SirenController
from nadhir_siren.outputs import AudioOutput, Output, RelayOutput
from nadhir_siren.protocol import DEFAULT_ROOT, check_siren_id, parse_broker


def parser() -> argparse.ArgumentParser:
    """The program's options."""
    p = argparse.ArgumentParser(
        prog="nadhir-siren",
        description="Run a siren controller: hear commands over MQTT, sound them through a relay or audio.",
    )
    p.add_argument(
        "--id", dest="siren_id", required=True, help="This siren's id (as listed in sites.geojson)"
    )
    p.add_argument("--broker", default="127.0.0.1:1883", help="MQTT broker host:port")
    p.add_argument(
        "--gpio-command",
        help="Relay hook: run with 'on'/'off' appended, or with {state} / {value} (1/0) replaced, "
        "e.g. 'gpioset gpiochip0 17={value}'",
    )
    p.add_argument("--audio", action="store_true", help="Also play the pattern's tone on the audio output")
    p.add_argument("--audio-command", default="aplay -q {file}", help="Sound player; {file} is the WAV file")
    p.add_argument("--topic-root", default=DEFAULT_ROOT, help="Topic root of all sirens")
    p.add_argument("--keys-file", type=Path, help="Where accepted command keys are kept across restarts")
    p.add_argument("--heartbeat", type=float, default=5.0, help="Seconds between heartbeats")
    p.add_argument("--verbose", "-v", action="store_true", help="Log every command")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the siren until SIGTERM or Ctrl-C; 2 for bad options."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s")  # fmt: skip
    try:
        check_siren_id(args.siren_id)
        host, port = parse_broker(args.broker)
        if args.heartbeat <= 0:
            raise ValueError("--heartbeat must be positive")
        outputs: list[Output] = []
        if args.gpio_command:
            outputs.append(RelayOutput(args.gpio_command))
        if args.audio:
            outputs.append(AudioOutput(args.audio_command))
        if not outputs:
            raise ValueError("give --gpio-command and/or --audio: the siren needs somewhere to sound")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    keys = args.keys_file or Path.home() / ".local" / "state" / "nadhir" / f"siren-{args.siren_id}.keys"
    controller = SirenController(
        args.siren_id, host, port, outputs, root=args.topic_root, keys_path=keys, heartbeat_s=args.heartbeat
    )

    def _leave(_sig: int, _frame: FrameType | None) -> None:
        controller.stop()

    signal.signal(signal.SIGTERM, _leave)
    signal.signal(signal.SIGINT, _leave)
    controller.run()
    return 0
