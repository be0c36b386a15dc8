"""Replay glue: build the pipeline for a scenario and run it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nadhir.alerting.policy import PolicyConfig
from nadhir.alerting.siren_model import SirenModel
from nadhir.domain import Alert, Event, TrackState
from nadhir.domain.formats.scenario import Scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.stepper import ReplaySummary, Stepper
from nadhir.threat.learned import StrikeModel

if TYPE_CHECKING:  # the store (SQLAlchemy, Alembic) is only loaded when a run is persisted
    from nadhir.store import Store


@dataclass
class ReplayResult:
    """A finished replay: its summary and, when kept, everything it read and wrote."""

    scenario: Scenario
    summary: ReplaySummary
    events: list[Event] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    tracks: list[TrackState] = field(default_factory=list)


def replay_scenario(
    scenario: Scenario,
    on_alert: Callable[[Alert], object] | None = None,
    on_track: Callable[[TrackState], object] | None = None,
    on_progress: Callable[[int], None] | None = None,
    keep: bool = False,
    policy: PolicyConfig | None = None,
    strike_model: StrikeModel | None = None,
    siren_model: SirenModel | None = None,
    window_s: float = 0.0,
    blast_cluster_m: float = 0.0,
) -> ReplayResult:
    """Replay a scenario; alerts and track states go to the callbacks as they are made.

    ``window_s`` (opt-in, 0 the default): events less than that many seconds after a batch's first
    are processed with it (:attr:`Stepper.window_s`). ``blast_cluster_m`` (opt-in, 0 the default): a
    step's located blasts within that many metres of each other are added as one
    (:attr:`Pipeline.blast_cluster_m`)."""
    result = ReplayResult(scenario, ReplaySummary())

    def alert_sink(alert: Alert) -> None:
        if keep:
            result.alerts.append(alert)
        if on_alert is not None:
            on_alert(alert)

    def track_sink(state: TrackState) -> None:
        if keep:
            result.tracks.append(state)
        if on_track is not None:
            on_track(state)

    def events() -> Iterator[Event]:
        for _, event in scenario.events():
            if keep:
                result.events.append(event)
            yield event

    pipeline = build_pipeline(scenario, policy, strike_model, siren_model=siren_model)
    pipeline.blast_cluster_m = blast_cluster_m
    stepper = Stepper(
        pipeline,
        alert_sink,
        track_sink if (on_track is not None or keep) else None,
        on_progress,
        window_s=window_s,
    )
    result.summary = stepper.run(events())
    result.summary.suspect_events = scenario.suspect_events
    return result


def persist_replay(store: Store, result: ReplayResult, name: str | None = None) -> int:
    """Store a kept replay (events, track states, alerts, summary) as one run; returns its id."""
    scenario = result.scenario
    summary = result.summary
    run_id = store.start_run(
        name or scenario.root.name, str(scenario.root), scenario.sites, started_at=summary.start
    )
    store.add_events(run_id, result.events)
    store.add_track_states(run_id, result.tracks)
    store.add_alerts(run_id, result.alerts)
    store.finish_run(
        run_id,
        {
            "events": summary.events,
            "lines_skipped": len(scenario.problems),
            "suspect_events": summary.suspect_events,
            "rejected": dict(summary.rejected),
            "tracks": len(summary.tracks),
            "alert_lines": summary.alerts,
            "episodes": summary.episodes,
        },
        finished_at=summary.end,
    )
    return run_id
