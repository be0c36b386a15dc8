"""Shared set-up for the service tests: settings with one token per role, and a running app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nadhir.service.app import create_app
from nadhir.service.live import ManualClock
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


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def client(tmp_path: Path, clock: ManualClock) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path), clock=clock)
    with TestClient(app) as c:
        yield c
