"""The replay clock: it ticks every few seconds for a bounded run-on, and jumps a longer quiet gap."""

from __future__ import annotations

from typing import cast

import pytest

from nadhir.domain import Event, Impact
from nadhir.engine.pipeline import Pipeline, StepOutput
from nadhir.engine.stepper import RUN_ON_S, TICK_S, Stepper

T0 = 1_746_155_000.0
YEAR_S = 365 * 86_400.0


class _Recorder:
    """A pipeline stand-in that notes the times it is stepped at."""

    def __init__(self) -> None:
        self.processed: list[float] = []
        self.ticks: list[float] = []

    def process(self, batch: list[Event]) -> StepOutput:
        self.processed.append(batch[0].t)
        return StepOutput()

    def advance(self, t: float) -> StepOutput:
        self.ticks.append(t)
        return StepOutput()


def _replay(times: list[float]) -> tuple[_Recorder, Stepper]:
    recorder = _Recorder()
    stepper = Stepper(cast(Pipeline, recorder), lambda _alert: None)
    stepper.run(Impact(t=t, reporter="r", place="p") for t in times)
    return recorder, stepper


def test_a_short_gap_is_ticked_through_every_five_seconds() -> None:
    recorder, stepper = _replay([T0, T0 + 600.0])
    assert recorder.processed == [T0, T0 + 600.0]
    gap_ticks = [t for t in recorder.ticks if t < T0 + 600.0]
    assert gap_ticks == [T0 + TICK_S * k for k in range(1, 120)]
    assert stepper.summary.gaps_jumped == 0


def test_a_gap_of_years_costs_one_run_on_of_ticks() -> None:
    recorder, stepper = _replay([T0, T0 + 10 * YEAR_S, T0 + 10 * YEAR_S + 60.0])
    assert recorder.processed == [T0, T0 + 10 * YEAR_S, T0 + 10 * YEAR_S + 60.0]
    run_on = int(RUN_ON_S / TICK_S)
    in_gap = [t for t in recorder.ticks if T0 < t < T0 + 10 * YEAR_S]
    assert in_gap == [T0 + TICK_S * k for k in range(1, run_on + 1)]  # the run-on, then the jump
    assert len(recorder.ticks) == run_on + 11 + run_on  # run-on, the minute after, the last run-on
    assert stepper.summary.gaps_jumped == 1


def test_ticking_on_after_a_long_stall_lands_on_the_grid_at_once() -> None:
    """As the live engine does: tick to ``now`` after the clock stood still for a day."""
    recorder = _Recorder()
    stepper = Stepper(cast(Pipeline, recorder), lambda _alert: None)
    stepper.feed([Impact(t=T0, reporter="r", place="p")])
    now = T0 + 86_400.0 + 2.0
    stepper.advance(now)
    assert len(recorder.ticks) == int(RUN_ON_S / TICK_S) + 1
    assert recorder.ticks[-1] == pytest.approx(T0 + 86_400.0)  # the last grid tick before now
    assert stepper.clock == recorder.ticks[-1]
