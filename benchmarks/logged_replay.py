"""One replay of a scenario through the full pipeline, with what the tracking analysis tools read.

``tracking_bounds.py``, ``tracking_coverage.py`` and ``ospa_parts.py`` all
replay a scenario as ``nadhir replay`` does (text reader included) and then
compare what the tracker did with the truth. This runs that replay once and
keeps:

* every batch of measurements the tracker was given, with its time (to be
  attributed to true aircraft by ``truth_owner.MeasurementOwner``);
* the published track states, as ``--tracks`` writes them (what OSPA scores);
* after every pipeline step, every live track's position and whether it is
  confirmed (tentative tracks too). This is the filter's own estimate, which
  between measurements differs from the published one (the published state
  flies on from the last measurement, ``Pipeline.track_state``): compare
  like with like.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path

from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.pipeline import Pipeline, StepOutput
from nadhir.engine.stepper import Stepper
from nadhir.geo.frame import LocalFrame
from nadhir.intake.text import MessageReader
from nadhir.tracking.measurements import Measurement
from nadhir_lab.scoring import TrackFix, Truth, load_truth

# A live track after a step: x, y in the pipeline's frame, confirmed.
LiveTrack = tuple[float, float, bool]


@dataclass
class LoggedReplay:
    truth: Truth
    frame: LocalFrame
    measurements: list[tuple[float, list[Measurement]]] = field(default_factory=list)
    published: dict[str, list[TrackFix]] = field(default_factory=lambda: collections.defaultdict(list))
    live: list[tuple[float, list[LiveTrack]]] = field(default_factory=list)


def replay_logged(scenario_dir: Path) -> LoggedReplay:
    """Replay ``scenario_dir`` and return what was logged (see the module docstring)."""
    scenario = load_scenario(scenario_dir)
    pipe = Pipeline(scenario.sites, scenario.places, scenario.reporters, reader_factory=MessageReader)
    out = LoggedReplay(load_truth(scenario_dir), pipe.frame)
    step, finish = pipe.tracker.step, pipe._finish

    def logged_step(t: float, batch: list[Measurement]) -> list[object]:
        out.measurements.append((t, list(batch)))
        return step(t, batch)  # type: ignore[return-value]

    def logged_finish(t: float, step_out: StepOutput) -> None:
        finish(t, step_out)
        tracks = pipe.tracker.tracks.values()
        out.live.append((t, [(*tr.position, tr.status == "confirmed") for tr in tracks]))

    pipe.tracker.step = logged_step  # type: ignore[method-assign,assignment]
    pipe._finish = logged_finish  # type: ignore[method-assign,assignment]
    Stepper(
        pipe,
        lambda a: None,
        lambda s: out.published[s.track].append(TrackFix(s.t, s.lat, s.lon, s.speed_mps, s.heading_deg)),
    ).run(e for _, e in scenario.events())
    return out
