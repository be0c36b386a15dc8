"""Fixtures of the service tests: a running app on a clock that moves only when told."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import T0, make_settings

from nadhir.service.app import create_app
from nadhir.service.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def client(tmp_path: Path, clock: ManualClock) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path), clock=clock)
    with TestClient(app) as c:
        yield c
