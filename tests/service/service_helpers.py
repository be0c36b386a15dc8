"""Helpers shared by the service tests: one token per role, settings, waiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any

import uvicorn

from nadhir.bus import InProcessBus
from nadhir.domain import Event
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.service.live import LiveCore
from nadhir.service.region import bundled_scenario
from nadhir.service.settings import RateLimit, Settings, token_spec

T0 = 1746158400.0  # 2025-05-02T04:00:00Z, during the bundled scenario
TOKENS = {
    "observer": ("obs-field-16", "observer-token-0123456789"),
    "sensor": ("ac-0013", "sensor-token-0123456789ab"),
    "viewer": ("vera", "viewer-token-0123456789ab"),
    "operator": ("olga", "operator-token-0123456789"),
    "admin": ("adam", "admin-token-0123456789abc"),
}


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role][1]}"}


def make_settings(tmp_path: Path, **changes: object) -> Settings:
    limits = dict(Settings().rate_limits)
    limits["observer"] = RateLimit(0.5, 5)
    settings = Settings(
        db=f"sqlite:///{tmp_path / 'service.sqlite3'}",
        tokens=tuple(token_spec(role, subject, secret) for role, (subject, secret) in TOKENS.items()),
        rate_limits=limits,
    )
    for key, value in changes.items():
        object.__setattr__(settings, key, value)
    return settings


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


class Served:
    """``app`` served by uvicorn on a local port in a thread, from construction until :meth:`stop`.

    ``port=0`` takes a free port; a test that stops a server and starts a fresh one on the same port
    passes the first one's ``port``. ``grace_s`` bounds how long a stop waits for open connections
    (a kiosk's event stream never ends by itself).
    """

    def __init__(self, app: Any, port: int = 0, grace_s: int = 2) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=grace_s
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "server did not start"
        self.port: int = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Ask the server to exit and wait (up to 15 s) for its thread."""
        self.server.should_exit = True
        self.thread.join(15)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free local port in a thread; yields its base URL."""
    served = Served(app)
    try:
        yield served.base
    finally:
        served.stop()


# A command line of `nadhir serve` alone (with a second command, so that typer keeps `serve` a
# subcommand), for the tests that run the service as an operator does: in its own process.
SERVE_SCRIPT = """
import sys
import typer
from nadhir.service.commands import serve

app = typer.Typer()
serve.register(app)


@app.command("version")
def version() -> None:
    print("test app")


app(sys.argv[1:])
"""


def serve_script(folder: Path) -> Path:
    """:data:`SERVE_SCRIPT` written into ``folder``."""
    script = folder / "cli.py"
    script.write_text(SERVE_SCRIPT, encoding="utf-8")
    return script


def start_serve(
    folder: Path, *args: str, env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``nadhir serve ARGS`` in a child process run in ``folder``; once it has printed where it
    serves (up to its ``database:`` line, at most 60 s), the process and what it printed."""
    process = subprocess.Popen(
        [sys.executable, str(serve_script(folder)), "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=folder,
        env={**os.environ, "COLUMNS": "300", **(env or {})},
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(line.startswith("database:") for line in lines):
            line = process.stdout.readline()
            assert line, "serve exited early:\n" + "".join(lines)
            lines.append(line)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, "".join(lines)


def interrupt(process: subprocess.Popen[Any], wait_s: float = 20.0) -> None:
    """Stop a served process as an operator does (Ctrl-C); killed if it has not stopped in ``wait_s``."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bundled_core(bus: InProcessBus | None = None) -> tuple[LiveCore, list[Event]]:
    """A live core on the bundled scenario (publishing on ``bus``, a new in-process one by default),
    and the scenario's events in their order."""
    scenario = load_scenario(bundled_scenario())
    core = LiveCore(build_pipeline(scenario), InProcessBus() if bus is None else bus, scenario.reporters)
    return core, [event for _, event in scenario.events()]


def feed_live(core: LiveCore, events: list[Event]) -> None:
    """Feed ``events`` as they arrive live: the clock runs up to (not including) each arrival time,
    then the events of that time come in together."""
    for t, group in groupby(events, key=lambda e: e.t):
        core.tick(t - 1e-3)
        core.submit(list(group), t)
