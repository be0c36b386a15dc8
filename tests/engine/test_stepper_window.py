"""The stepper's opt-in window (``Stepper.window_s``): events within a few seconds of a batch's
first are processed together, at the batch's latest time; with no window, one instant a batch."""

from __future__ import annotations

import itertools
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.domain import Event, Impact
from nadhir.engine.pipeline import Pipeline, StepOutput
from nadhir.engine.stepper import Stepper

T0 = 1_746_155_000.0


class _Batches:
    """A pipeline stand-in that keeps the batches it is handed."""

    def __init__(self) -> None:
        self.batches: list[list[float]] = []

    def process(self, batch: list[Event]) -> StepOutput:
        self.batches.append([e.t for e in batch])
        return StepOutput()

    def advance(self, t: float) -> StepOutput:
        return StepOutput()


def _batches(times: list[float], window_s: float) -> tuple[list[list[float]], Stepper]:
    recorder = _Batches()
    stepper = Stepper(cast(Pipeline, recorder), lambda _alert: None, window_s=window_s)
    stepper.feed(Impact(t=t, reporter="r", place="p") for t in times)
    return recorder.batches, stepper


_times = st.lists(st.integers(0, 600), min_size=1, max_size=60).map(lambda v: [T0 + x for x in sorted(v)])


@settings(max_examples=200, deadline=None)
@given(_times, st.sampled_from([2.0, 3.0, 5.0, 7.5]))
def test_a_window_batches_what_follows_its_first_event_within_the_window(
    times: list[float], window_s: float
) -> None:
    batches, stepper = _batches(times, window_s)
    assert [t for b in batches for t in b] == times  # every event, in order, once
    for batch in batches:
        assert batch[-1] - batch[0] < window_s  # none joins from the window's end on
    for before, after in itertools.pairwise(batches):
        assert after[0] >= before[0] + window_s  # and the next batch starts no sooner
    assert stepper.clock == batches[-1][-1]  # processed at the batch's latest time


@settings(max_examples=100, deadline=None)
@given(_times)
def test_no_window_is_one_instant_a_batch(times: list[float]) -> None:
    batches, _ = _batches(times, 0.0)
    assert batches == [[t] * times.count(t) for t in dict.fromkeys(times)]


def test_late_events_join_the_clock_after_a_window() -> None:
    """An event stamped before the clock (the window's latest time) is late, as without a window."""
    batches, stepper = _batches([T0, T0 + 4.0, T0 + 2.0], 5.0)
    assert batches == [[T0, T0 + 4.0, T0 + 2.0]]
    assert stepper.summary.late_events == 0
    batches, stepper = _batches([T0, T0 + 4.0, T0 + 5.0, T0 + 3.0], 5.0)
    assert batches == [[T0, T0 + 4.0], [T0 + 5.0, T0 + 4.0]]
    assert stepper.summary.late_events == 1


@pytest.mark.parametrize("window_s", [-1.0, float("nan"), float("inf")])
def test_a_window_is_a_finite_number_of_seconds(window_s: float) -> None:
    with pytest.raises(ValueError, match="window_s"):
        Stepper(cast(Pipeline, _Batches()), lambda _alert: None, window_s=window_s)


def test_a_public_scenario_replays_with_a_window_and_warns() -> None:
    """The whole pipeline with a 5 s window on idlib-twists (sightings, bearings, explosions and
    impacts of several seconds in one step): every event read, and its strikes still warned."""
    from pathlib import Path

    from nadhir.domain.formats.scenario import load_scenario
    from nadhir.engine.replay import replay_scenario

    scenario = load_scenario(Path(__file__).parents[1] / "data" / "scenarios" / "idlib-twists")
    plain = replay_scenario(scenario, keep=True)
    windowed = replay_scenario(scenario, keep=True, window_s=5.0)
    assert windowed.summary.events == plain.summary.events
    assert windowed.summary.late_events == plain.summary.late_events
    # (Not the same alerts: a step's content decides gates and assignments, and the replay is
    # chaotic; one site's imminent level here comes as early only. The sites warned are the same.)
    warned = {a.site for a in windowed.alerts if a.action == "alert"}
    assert warned == {a.site for a in plain.alerts if a.action == "alert"}
