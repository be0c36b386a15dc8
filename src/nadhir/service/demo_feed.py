"""The demo: a scenario's events fed into the live service at their (accelerated) times.

Each line of ``events.jsonl`` is handed, as the JSON object it is, to
:meth:`~nadhir.service.intake.Intake.submit`, the function behind the HTTP
intake endpoints, when the service's scaled clock reaches its ``t``. Nothing
else is special about the demo: the engine, the bus, the store, the console
and the kiosks are the live ones.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from nadhir.domain.timefmt import parse_time
from nadhir.service.auth import Principal
from nadhir.service.clock import ScaledClock
from nadhir.service.intake import Intake, IntakeError

log = logging.getLogger(__name__)

DEMO_PRINCIPAL = Principal("admin", "demo-feeder")
LEAD_S = 20.0  # the demo clock starts this long before the first event


def _open(path: Path) -> TextIO:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def raw_events(path: Path) -> Iterator[tuple[float, dict[str, Any]]]:
    """``(t, object)`` for each event line that has a readable time; other lines are left to intake."""
    with _open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                t = parse_time(obj.get("t")) if isinstance(obj, dict) else None
            except (ValueError, AttributeError):
                t = None
            if t is None or not isinstance(obj, dict):
                continue
            yield t, obj


def first_event_time(path: Path) -> float | None:
    for t, _ in raw_events(path):
        return t
    return None


def demo_clock(events_path: Path, speed: float) -> ScaledClock:
    """A clock that starts shortly before the scenario's first event and runs ``speed`` times fast."""
    first = first_event_time(events_path)
    if first is None:
        raise ValueError(f"{events_path}: no events with a time")
    return ScaledClock(first - LEAD_S, speed)


@dataclass
class FeedProgress:
    fed: int = 0
    refused: int = 0
    finished: bool = False
    last_t: float | None = None


class DemoFeeder:
    """Feeds a scenario's events into intake in a thread, on the scaled clock."""

    def __init__(
        self, events_path: Path, intake: Intake, clock: ScaledClock, principal: Principal = DEMO_PRINCIPAL
    ) -> None:
        self.events_path = events_path
        self.intake = intake
        self.clock = clock
        self.principal = principal
        self.progress = FeedProgress()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="nadhir-demo-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            for t, obj in raw_events(self.events_path):
                while not self._stop.is_set():
                    delay = self.clock.wall_delay(t)
                    if delay <= 0:
                        break
                    self._stop.wait(min(delay, 0.25))
                if self._stop.is_set():
                    return
                self._submit(obj)
                self.progress.last_t = t
        except Exception:
            log.exception("demo feed stopped by an error")
        finally:
            self.progress.finished = True

    def _submit(self, obj: dict[str, Any]) -> None:
        for _ in range(100):
            try:
                self.intake.submit(obj, self.principal)
                self.progress.fed += 1
                return
            except IntakeError as exc:
                if exc.status not in (429, 503):
                    log.info("demo event refused: %s", exc.message)
                    self.progress.refused += 1
                    return
                time.sleep(exc.retry_after or 0.05)
        self.progress.refused += 1
