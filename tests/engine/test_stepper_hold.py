"""The stepper fed in pieces, as a cluster engine reads its stream, makes replay's alerts exactly."""

from __future__ import annotations

from pathlib import Path

from nadhir.domain import Alert
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.replay import replay_scenario
from nadhir.engine.stepper import RUN_ON_S, Stepper

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-twists"


def _pieces(hold: bool, size: int) -> list[Alert]:
    scenario = load_scenario(SCENARIO)
    events = [e for _, e in scenario.events()]
    alerts: list[Alert] = []
    stepper = Stepper(build_pipeline(scenario), alerts.append)
    for i in range(0, len(events), size):
        stepper.feed(events[i : i + size], hold=hold)
    assert stepper.clock is not None
    stepper.advance(stepper.clock + RUN_ON_S)
    return alerts


def test_pieces_held_make_replays_alerts() -> None:
    expected = replay_scenario(load_scenario(SCENARIO), keep=True).alerts
    for size in (1, 7, 250):
        assert _pieces(hold=True, size=size) == expected


def test_pieces_not_held_split_an_instant_and_differ() -> None:
    """Why ``hold`` is needed: a read that ends inside a run of simultaneous events splits their
    batch, and on this scenario that changes an alert's arrival time."""
    expected = replay_scenario(load_scenario(SCENARIO), keep=True).alerts
    assert _pieces(hold=False, size=7) != expected
