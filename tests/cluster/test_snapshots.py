"""An engine's snapshot taken mid-stream and restored in a new core goes on to replay's alerts."""

from __future__ import annotations

import dataclasses
import pickle
import time
from pathlib import Path

import pytest

from nadhir.bus import InProcessBus
from nadhir.domain import Alert
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.replay import replay_scenario
from nadhir.engine.stepper import RUN_ON_S
from nadhir.service.feed import ALERTS
from nadhir.service.inputs import ReadingInterpreter
from nadhir.service.live import LiveCore
from nadhir.service.snapshots import MAGIC, EngineSnapshot, SnapshotError, dumps, loads

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-twists"


def test_a_snapshot_restored_in_a_new_core_makes_replays_alerts() -> None:
    scenario = load_scenario(SCENARIO)
    events = [e for _, e in scenario.events()]
    expected = replay_scenario(scenario, keep=True).alerts
    bus = InProcessBus()
    alerts = bus.subscribe(ALERTS, maxsize=100_000)
    first = LiveCore(build_pipeline(scenario), bus, scenario.reporters)
    cut = len(events) // 2 + 3
    for i in range(0, cut, 50):  # read as an engine reads its stream
        first.feed_stream(events[i : min(i + 50, cut)])
    made: list[Alert] = alerts.drain()
    snapshot = EngineSnapshot("all", cut, first.pipeline, first.stepper.clock, first.stepper.summary,
                              list(first.stepper.held), {}, events[cut - 1].t, time.time())  # fmt: skip
    restored = loads(dumps(snapshot))
    del first  # the engine died
    second = LiveCore(build_pipeline(scenario), bus, scenario.reporters)
    second.restore_state(restored.pipeline, restored.clock, restored.summary, restored.held)
    # The live inputs panel's wrapper is not in the bytes (it reports to the dead core); the new core
    # wraps the restored interpreter again, so the panel goes on hearing how reports are read.
    assert isinstance(second.pipeline.interpreter, ReadingInterpreter)
    for i in range(cut, len(events), 50):
        second.feed_stream(events[i : i + 50])
    assert second.now is not None
    second.tick(second.now + RUN_ON_S)
    made += alerts.drain()
    assert made == expected


def test_a_snapshot_of_another_format_or_not_a_snapshot_is_refused() -> None:
    scenario = load_scenario(SCENARIO)
    core = LiveCore(build_pipeline(scenario), InProcessBus(), scenario.reporters)
    snap = EngineSnapshot("all", 1, core.pipeline, None, core.stepper.summary, [], {}, None, 0.0)
    with pytest.raises(SnapshotError, match="format"):
        loads(MAGIC + pickle.dumps(dataclasses.replace(snap, format=99)))
    with pytest.raises(SnapshotError):
        loads(b"not a snapshot")
    with pytest.raises(SnapshotError):
        loads(MAGIC + b"\x80\x05garbage")
