"""The threaded live engine, fed a scenario through its queue, sends exactly the alerts of a replay."""

from __future__ import annotations

import threading
from itertools import groupby

from nadhir.bus import InProcessBus
from nadhir.domain import Alert, Event
from nadhir.domain.formats.output import alert_to_dict
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.replay import replay_scenario
from nadhir.engine.stepper import RUN_ON_S
from nadhir.service.clock import ManualClock
from nadhir.service.feed import ALERTS
from nadhir.service.live import LiveCore, LiveEngine
from nadhir.service.region import bundled_scenario

WAIT_S = 30.0  # for one step of the engine's thread; a step takes milliseconds


def _step_at(engine: LiveEngine, clock: ManualClock, t: float, events: list[Event]) -> None:
    """Let the engine's thread take ``events`` as arrived together at ``t``, then wait until it has.

    The thread takes what is on its queue when it wakes, so events queued one by one could be
    split between two of its steps (two batches where replay makes one), and the clock could
    tick onto ``t`` between the move of the clock and the events' arrival. Neither is a fault
    of the live engine: on real input, arrivals are batched by wall time. So the test holds the
    thread in a job while it queues the move of the clock (a job too, run by the thread in
    order) and the events, then lets it go: the thread wakes to the whole group at once.
    """
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(WAIT_S)

    def move_clock() -> None:
        clock.t = t

    engine.call(hold)
    assert holding.wait(WAIT_S)
    engine.call(move_clock)
    for event in events:
        engine.submit(event)
    done = engine.call(lambda: None)
    release.set()
    done.result(WAIT_S)


def test_the_threaded_engine_sends_exactly_the_replay_alerts_in_order() -> None:
    scenario = load_scenario(bundled_scenario())
    expected = [alert_to_dict(a) for a in replay_scenario(scenario, keep=True).alerts]

    bus = InProcessBus()
    seen = bus.subscribe(ALERTS, maxsize=100_000)
    events = [event for _, event in scenario.events()]
    clock = ManualClock(events[0].t)
    engine = LiveEngine(LiveCore(build_pipeline(scenario), bus, scenario.reporters), clock)
    engine.start()
    try:
        for t, group in groupby(events, key=lambda e: e.t):
            _step_at(engine, clock, t, list(group))
        _step_at(engine, clock, clock.t + RUN_ON_S, [])  # the run-on, as replay ends
        engine.call(lambda: None).result(WAIT_S)  # (a step after the one that ticked through it)
    finally:
        engine.stop()

    live: list[Alert] = seen.drain()
    assert not engine.failed and engine.stats.quarantined == 0
    assert engine.stats.processed == len(events)
    assert len(expected) > 50
    assert [alert_to_dict(a) for a in live] == expected
