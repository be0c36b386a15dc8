"""`nadhir serve`: the live service (intake, feed, console, kiosks) on uvicorn.

``nadhir serve --demo`` replays the bundled scenario through the live intake
path in accelerated real time, with an operator token made up for the
session, and prints where the console and a hospital kiosk are.
"""

from __future__ import annotations

import faulthandler
import logging
import secrets
import signal
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from nadhir.alerting.siren_model import SirenModel
from nadhir.service.commands.context import settings_or_exit
from nadhir.service.settings import SERVICE_ROLES, Settings, token_spec
from nadhir.store import default_url


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the app."""
    app.command("serve")(serve)


def serve(
    demo: Annotated[bool, typer.Option("--demo", help="Replay the bundled scenario live, faster")] = False,
    port: Annotated[int, typer.Option("--port", help="TCP port", min=0, max=65535)] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    speed: Annotated[
        float, typer.Option("--speed", help="Demo: simulated seconds per second", min=0.1, max=10_000)
    ] = 20.0,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: SQLite file)")] = None,
    settings_file: Annotated[Path | None, typer.Option("--settings", help="Settings file (TOML)")] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario", help="Region folder (sites, gazetteer, reporters); default: the bundled one"
        ),
    ] = None,
    sirens: Annotated[
        str | None, typer.Option("--sirens", help="MQTT broker HOST:PORT for siren commands")
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="Run only this part of the cluster: intake, engine, delivery, console "
            "(repeatable; none: everything in one process). See docs/scaling.md",
        ),
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="Engine role: stand for this region only (repeatable; default all)"),
    ] = None,
    nats: Annotated[
        str | None, typer.Option("--nats", help="NATS URL for the roles (nats://HOST:PORT)")
    ] = None,
    siren_model: Annotated[
        str | None,
        typer.Option(
            "--siren-model",
            help="Weigh the rules' calls for sirens with the siren model: 'bundled' or a JSON path",
        ),
    ] = None,
) -> None:
    """Run the live service: intake endpoints, live feed, operator console, hospital kiosks."""
    from nadhir.service.app import DemoOptions, create_app

    console = Console(stderr=True)
    settings = settings_or_exit(settings_file, console)
    if scenario is not None:
        settings = replace(settings, scenario=scenario)
    if db is not None:
        settings = replace(settings, db=db)
    if sirens is not None:
        settings = replace(settings, sirens_broker=sirens)
    if nats is not None:
        settings = replace(settings, nats=nats)
    try:
        sirens_model = None if siren_model is None else SirenModel.named(siren_model)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    roles = frozenset(role or ())
    unknown = roles - set(SERVICE_ROLES)
    if unknown:
        named = ", ".join(sorted(unknown))
        console.print(f"[red]error:[/red] unknown role(s) {named}; roles: {', '.join(SERVICE_ROLES)}")
        raise typer.Exit(2)
    if roles and demo:
        console.print("[red]error:[/red] --demo runs the one-process service; it takes no --role")
        raise typer.Exit(2)
    if roles & {"engine", "delivery"} and not (settings.db or "").startswith("postgresql"):
        console.print("[red]error:[/red] the engine and delivery roles share a PostgreSQL database: "
                      "--db postgresql+psycopg://...")  # fmt: skip
        raise typer.Exit(2)
    operator_token = health_token = None
    if demo:
        operator_token = secrets.token_urlsafe(24)
        health_token = secrets.token_urlsafe(24)  # a health focal point, who reviews the attacks
        settings = settings.with_tokens(token_spec("operator", "demo-operator", operator_token),
                                        token_spec("health", "demo-health", health_token))  # fmt: skip
        if settings.db is None:
            Path("nadhir-demo").mkdir(exist_ok=True)
            settings = replace(settings, db=default_url(Path("nadhir-demo") / "nadhir.sqlite3"))
    elif not settings.tokens:
        console.print(
            "[yellow]warning:[/yellow] no API tokens configured: nobody can submit or read "
            "(see docs/service.md, NADHIR_TOKENS)"
        )
    if roles:
        # A cluster's processes log to their stdout with times (each role is read in its own log),
        # and dump every thread's stack on SIGUSR1 (what a stuck engine waits on).
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    app = create_app(settings, demo=DemoOptions(speed=speed) if demo else None, roles=roles,
                     engine_regions=tuple(region or ()), siren_model=sirens_model)  # fmt: skip
    sites = app.state.service.region.scenario.sites
    if demo and settings.db:
        from nadhir.service.demo_attacks import seed_demo_attacks

        seed_demo_attacks(settings.db, sites)  # two drafted attacks on health care to review
    # The kiosk to show first: a hospital's, where minutes of warning matter most.
    kiosk_site = next((s.id for s in sites if s.kind == "hospital"), sites[0].id)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host

    def ready(bound: int) -> None:
        base = f"http://{shown_host}:{bound}"
        fragment = f"#token={operator_token}" if operator_token else ""
        if roles:
            console.print(f"roles:    {', '.join(sorted(roles))} (NATS {settings.nats})")
        if demo:
            console.print(f"Nadhir demo: the bundled scenario, live at {speed:g}x")
        console.print(f"console:  {base}/console/{fragment}")
        if health_token:
            # The health role's pages: facilities and attacks, outcomes, displacement sites.
            console.print(f"health:   {base}/health/#token={health_token}")
            console.print(f"outcomes: {base}/outcomes/#token={health_token}")
            console.print(f"shelters: {base}/shelters/#token={health_token}")
        console.print(f"kiosk:    {base}/kiosk/{kiosk_site}")
        console.print(f"replay:   {base}/replay/{fragment}")
        console.print(f"API:      {base}/docs")
        console.print(f"database: {settings.db or default_url('nadhir.sqlite3')}")
        console.print(f"delivery: {delivery_summary(settings)}")
        if sirens_model is not None:  # an operator should know sirens are not the rules' alone
            console.print(f"sirens:   weighed by the siren model at {sirens_model.threshold:g}")

    _Server(config, ready).run()


def delivery_summary(settings: Settings) -> str:
    """Where alerts go, in one line (so that a missing channel is noticed at start)."""
    if not settings.outbox:
        return "off (outbox = false): alerts reach the console and kiosks only"
    parts = [f"sirens over MQTT at {settings.sirens_broker}" if settings.sirens_broker
             else "siren commands wait in the outbox for a worker (no --sirens)"]  # fmt: skip
    if settings.telegram_token:
        parts.append(f"Telegram ({len(settings.telegram_channels)} channel(s) and subscribers)")
    if settings.sms_gateway is not None:
        parts.append("SMS gateway")
    if settings.partners:
        parts.append(f"{len(settings.partners)} partner webhook(s)")
    return "; ".join(parts)


class _Server(uvicorn.Server):
    """uvicorn's server, saying where it listens once it does."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            bound = self.config.port
            for server in self.servers:
                for sock in server.sockets:
                    bound = sock.getsockname()[1]
            self._on_ready(bound)
