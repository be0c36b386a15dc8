"""The service's workers: one ordered list, started in its order and stopped in the reverse one."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_helpers import T0, make_settings

from nadhir.service.app import DemoOptions, Service, Worker, create_app
from nadhir.service.clock import ManualClock, ScaledClock


def _service(tmp_path: Path, **changes: object) -> Service:
    svc: Service = create_app(make_settings(tmp_path, **changes)).state.service
    return svc


def test_the_list_names_what_runs_in_the_order_it_starts(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    plain = _service(tmp_path, outbox=False)
    assert [w.name for w in plain.workers(clock)] == [
        "store",
        "attack watch",
        "outcomes",
        "engine",
        "supervisor",
        "facility status",
        "feeds",
    ]
    full = _service(tmp_path, outbox=True, telegram_token="123:abc")
    full.demo = DemoOptions(speed=20)
    names = [w.name for w in full.workers(ScaledClock(T0, 20))]
    assert names == [
        "store", "attack watch", "delivery", "outcomes", "engine", "supervisor", "facility status",
        "demo feeder", "telegram", "feeds",
    ]  # fmt: skip


def test_start_and_stop_follow_the_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def workers(self: Service, clock: object) -> list[Worker]:
        return [
            Worker(name, lambda n=name: calls.append(f"start {n}"), lambda n=name: calls.append(f"stop {n}"))
            for name in ("a", "b", "c")
        ]

    monkeypatch.setattr(Service, "workers", workers)
    app = create_app(make_settings(tmp_path), clock=ManualClock(T0))
    with TestClient(app):
        assert calls == ["start a", "start b", "start c"]
    assert calls[3:] == ["stop c", "stop b", "stop a"]
    assert app.state.service.started == []


def test_a_worker_that_fails_to_start_leaves_the_started_ones_to_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fail() -> None:
        raise RuntimeError("no")

    def workers(self: Service, clock: object) -> list[Worker]:
        return [
            Worker("a", lambda: calls.append("start a"), lambda: calls.append("stop a")),
            Worker("b", fail, lambda: calls.append("stop b")),
        ]

    monkeypatch.setattr(Service, "workers", workers)
    svc = _service(tmp_path)
    with pytest.raises(RuntimeError):
        svc.start()
    svc.stop()
    assert calls == ["start a", "stop a"]
