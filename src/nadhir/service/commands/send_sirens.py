"""`nadhir send-sirens`: a worker that delivers the outbox's siren commands over MQTT.

::

    nadhir send-sirens --db URL --broker HOST:PORT [--sites sites.geojson] [--until-idle]

For a service started without ``--sirens`` (``docs/service.md``): the service
stores the commands, this worker sends them, retries them until the sirens
acknowledge, and with ``--sites`` watches the sirens' heartbeats and hands a
silent siren's commands to the nearest other, through the outbox too. Prints
``sent KEY ATTEMPT`` per send with ``--progress``, and the outbox's counts as
JSON when it stops.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add ``send-sirens`` to the app."""
    app.command("send-sirens")(send_sirens)


def send_sirens(
    db: Annotated[str, typer.Option("--db", help="Database URL of the outbox")],
    broker: Annotated[str, typer.Option("--broker", help="MQTT broker host:port")] = "127.0.0.1:1883",
    topic_root: Annotated[
        str, typer.Option("--topic-root", help="Topic root of all sirens")
    ] = "nadhir/sirens",
    batch: Annotated[int, typer.Option("--batch", help="Deliveries claimed at once")] = 500,
    max_rate: Annotated[
        float | None, typer.Option("--max-rate", help="Deliveries per second at most")
    ] = None,
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Exit when no delivery is open")] = False,
    progress: Annotated[bool, typer.Option("--progress", help="Print each key as it is sent")] = False,
    sites: Annotated[
        Path | None,
        typer.Option(
            "--sites", help="sites.geojson: watch its sirens; a silent one's commands go to the nearest other"
        ),
    ] = None,
    silent_after: Annotated[float, typer.Option("--silent-after", help="Seconds without a heartbeat")] = 15.0,
) -> None:
    """Deliver the outbox's siren commands over MQTT (for a service run without --sirens)."""
    from nadhir.delivery.channels.mqtt_sirens import SirenChannel, SirenNetwork
    from nadhir.delivery.dispatcher import Dispatcher
    from nadhir.delivery.outbox import Outbox
    from nadhir.delivery.router import takeover_deliveries
    from nadhir.delivery.siren_fleet import Siren, SirenFleet, SirenNotice, sirens_for_sites
    from nadhir.delivery.states import Delivery
    from nadhir.domain import Problems
    from nadhir.domain.formats.scenario import ScenarioError, load_sites
    from nadhir_siren.protocol import parse_broker

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        host, port = parse_broker(broker)
        sirens: list[Siren] = []
        if sites is not None:
            problems = Problems()
            sirens = sirens_for_sites(load_sites(sites, problems))
            for p in problems.items:
                log.warning("%s:%s: %s (skipped)", p.source, p.line, p.reason)
    except (ValueError, ScenarioError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    outbox = Outbox.open(db)

    def on_notice(notice: SirenNotice) -> None:
        # Takeovers go through the outbox too: stored, retried, acknowledged, audited.
        outbox.add_deliveries(takeover_deliveries(notice))

    fleet = SirenFleet(sirens, silent_after_s=silent_after)
    network = SirenNetwork(host, port, fleet, root=topic_root, send_takeovers=False, on_notice=on_notice)
    network.start()

    def sent(d: Delivery) -> None:
        print(f"sent {d.key} {d.attempt}", flush=True)

    dispatcher = Dispatcher(outbox, {"siren": SirenChannel(network)}, batch=batch, max_rate=max_rate,
                            on_sent=sent if progress else None)  # fmt: skip
    stop = threading.Event()

    def _leave(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _leave)
    signal.signal(signal.SIGINT, _leave)
    try:
        dispatcher.run(stop, until_idle=until_idle)
    finally:
        network.stop()
        print(json.dumps({"counts": outbox.counts(), "sent": dispatcher.sent}), flush=True)
        outbox.close()


if __name__ == "__main__":
    _app = typer.Typer(add_completion=False)
    register(_app)
    _app()
