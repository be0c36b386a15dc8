"""Helpers shared by the service tests: one token per role, settings, waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

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


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free local port in a thread; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
