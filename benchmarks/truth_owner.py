"""Which true aircraft did a measurement come from? Attribution by the truth, for analysis tools.

The analysis benchmarks (``tracking_bounds.py``, ``tracking_coverage.py``,
``warning_scores.py --ideal-seen``) need to know, for each measurement the
pipeline made, which aircraft it belongs to. The system never can; these
tools read ``truth.json`` and judge by fit:

* a sighting belongs to the aircraft it lies within 8 km of, at the time of
  the report or up to ``max_delay_s`` before it (spotters report late);
* a bearing belongs to the aircraft it points at within 3 sigma, from a
  node within 25 km; with ``travel_time`` the aircraft is taken where it was
  when the sound left it (range / speed of sound over the slant range).

Among several candidates the best fit wins. This is an analysis tool only.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from nadhir.geo.frame import LocalFrame
from nadhir.tracking.measurements import SPEED_OF_SOUND_MPS, BearingFix, Measurement, PositionFix
from nadhir.tracking.tracker import Ended, Tracker
from nadhir_lab.scoring import AircraftPath, Truth

SIGHTING_GATE_M = 8000.0
BEARING_RANGE_M = 25_000.0
BEARING_GATE_SIGMA = 3.0
LATENESS_STEP_S = 5


def _ts(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


class MeasurementOwner:
    """Attributes measurements to true aircraft (see the module docstring)."""

    def __init__(
        self,
        truth: Truth,
        scenario_dir: Path,
        frame: LocalFrame,
        *,
        max_delay_s: int,
        travel_time: bool,
    ) -> None:
        self._aircraft = truth.aircraft
        self._frame = frame
        self._delays = range(0, max_delay_s + 1, 15)
        self._travel_time = travel_time
        raw = json.loads((scenario_dir / "truth.json").read_text(encoding="utf-8"))
        self._heights = {
            a["id"]: ([_ts(p["t"]) for p in a["path"]], [p.get("alt_m", 0.0) for p in a["path"]])
            for a in raw["aircraft"]
        }

    def position(self, ac: AircraftPath, t: float) -> tuple[float, float] | None:
        """The aircraft's true position in the local frame, or None when it is not flying."""
        p = ac.position_at(t)
        return None if p is None else self._frame.to_xy(*p)

    def _height(self, aid: str, t: float) -> float:
        times, alts = self._heights[aid]
        i = min(max(bisect.bisect_right(times, t), 1), len(times) - 1)
        return float(alts[i])

    def attribute(
        self, log: Iterable[tuple[float, list[Measurement]]]
    ) -> dict[str, list[tuple[float, Measurement]]]:
        """Aircraft id -> its measurements, in time order, from a log of ``(t, batch)`` tracker steps."""
        own: dict[str, list[tuple[float, Measurement]]] = collections.defaultdict(list)
        for t, batch in log:
            for m in batch:
                aid = self(m, t)
                if aid is not None:
                    own[aid].append((t, m))
        return own

    def __call__(self, m: Measurement, t: float) -> str | None:
        """The id of the aircraft that best explains measurement ``m`` made at ``t``, if any."""
        best: tuple[float, str] | None = None
        for ac in self._aircraft:
            if isinstance(m, PositionFix):
                for delay in self._delays:
                    p = self.position(ac, t - delay)
                    d = math.inf if p is None else math.hypot(p[0] - m.x, p[1] - m.y)
                    if d < SIGHTING_GATE_M and (best is None or d / SIGHTING_GATE_M < best[0]):
                        best = (d / SIGHTING_GATE_M, ac.id)
            elif isinstance(m, BearingFix):
                p = self.position(ac, t)
                if p is None or math.hypot(p[0] - m.sx, p[1] - m.sy) > BEARING_RANGE_M:
                    continue
                q = p
                if self._travel_time:
                    h, tau = self._height(ac.id, t), 0.0
                    for _ in range(15):
                        q = self.position(ac, t - tau) or p
                        tau = math.sqrt((q[0] - m.sx) ** 2 + (q[1] - m.sy) ** 2 + h * h) / SPEED_OF_SOUND_MPS
                err = math.atan2(q[0] - m.sx, q[1] - m.sy) - m.bearing_rad
                z = abs((err + math.pi) % (2 * math.pi) - math.pi) / m.sigma_rad
                if z < BEARING_GATE_SIGMA and (best is None or z / BEARING_GATE_SIGMA < best[0]):
                    best = (z / BEARING_GATE_SIGMA, ac.id)
        return None if best is None else best[1]

    def sighting_lateness(self, m: PositionFix, t: float) -> float | None:
        """How late the sighting ``m``, received at ``t``, is by the truth: the delay (5 s steps, up
        to ``max_delay_s``) at which an aircraft was nearest the reported place, within 8 km."""
        best: tuple[float, float] | None = None
        for ac in self._aircraft:
            for delay in range(0, self._delays.stop, LATENESS_STEP_S):
                p = self.position(ac, t - delay)
                d = math.inf if p is None else math.hypot(p[0] - m.x, p[1] - m.y)
                if d < SIGHTING_GATE_M and (best is None or d < best[0]):
                    best = (d, float(delay))
        return None if best is None else best[1]


def tell_lateness(tracker: Tracker, owner: MeasurementOwner, sigma_s: float = 5.0) -> None:
    """Make ``tracker`` take each spotter's sighting as late by what the truth says (an oracle).

    Its steps then get each sighting with ``delay_s`` set to :meth:`MeasurementOwner.sighting_lateness`
    and ``delay_sigma_s`` to ``sigma_s`` (a sighting the truth does not explain is left as it is):
    the most any model of a report's lateness could tell the tracker.
    """
    step: Callable[[float, list[Measurement]], Ended] = tracker.step

    def told(t: float, batch: list[Measurement]) -> Ended:
        out: list[Measurement] = []
        for m in batch:
            if isinstance(m, PositionFix) and m.delay_sigma_s > 0.0:
                late = owner.sighting_lateness(m, t)
                if late is not None:
                    m = dataclasses.replace(m, delay_s=late, delay_sigma_s=sigma_s)
            out.append(m)
        return step(t, out)

    tracker.step = told  # type: ignore[method-assign,assignment]


def log_measurements(tracker: Tracker) -> list[tuple[float, list[Measurement]]]:
    """The list every batch the tracker steps on is added to, (time, measurements), from now on
    (for :meth:`MeasurementOwner.attribute` after a replay)."""
    log: list[tuple[float, list[Measurement]]] = []
    step = tracker.step

    def logged(t: float, batch: Sequence[Measurement]) -> Ended:
        log.append((t, list(batch)))
        return step(t, batch)

    tracker.step = logged  # type: ignore[method-assign]
    return log
