"""The pipeline keeps one record per live track, dropped when the tracker ends the track."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from nadhir.domain import Event
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.pipeline import Pipeline, StepOutput
from nadhir.engine.stepper import Stepper
from nadhir.tracking.track import Track

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"


class _Watched:
    """The pipeline, checked after every step: its records are exactly the tracker's live tracks."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.merged = 0
        self.deleted = 0
        self.steps = 0
        merge = pipeline.tracker.merger.merge

        def counted_merge(tracks: dict[str, Track], changed: dict[str, None] | None = None) -> list[str]:
            gone = merge(tracks, changed)
            self.merged += len(gone)
            return gone

        pipeline.tracker.merger.merge = counted_merge  # type: ignore[method-assign]

    def process(self, batch: list[Event]) -> StepOutput:
        return self._check(self.pipeline.process(batch))

    def advance(self, t: float) -> StepOutput:
        return self._check(self.pipeline.advance(t))

    def _check(self, out: StepOutput) -> StepOutput:
        self.steps += 1
        live = self.pipeline.tracker.tracks
        # No record outlives its track, and every live track has one (each is assessed every step).
        assert set(self.pipeline.records) == set(live)
        return out


def test_records_follow_the_tracks_through_merges_and_deletions() -> None:
    scenario = load_scenario(SCENARIOS / "idlib-twists")
    watched = _Watched(build_pipeline(scenario))
    summary = Stepper(cast(Pipeline, watched), lambda _alert: None).run(e for _, e in scenario.events())
    assert watched.merged > 0  # the scenario has duplicates to merge, so that path is exercised
    assert len(summary.tracks) > 5 and watched.steps > 1000
    assert not watched.pipeline.records and not watched.pipeline.tracker.tracks  # all ended by the run-on
