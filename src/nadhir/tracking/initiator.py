"""Initiator: start tentative tracks from sightings and from crossing bearings."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from nadhir.tracking.kalman import Matrix, Vector
from nadhir.tracking.measurements import BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES, TRACK_TYPES
from nadhir.tracking.track import Track
from nadhir.tracking.triangulation import MIN_CROSSING_RAD
from nadhir.tracking.updater import FORMATION_SPREAD_M, REPORT_DELAY_S, REPORT_DELAY_SIGMA_S

# Unassociated bearings are kept this long to find a crossing partner from another sensor.
BEARING_MEMORY_S = 20.0
# Beyond this range a crossing is more likely two different sounds than one aircraft.
MAX_CROSSING_RANGE_M = 20_000.0
# Remembered bearings are bucketed by sensor in cells this size: two sensors whose bearings
# cross within MAX_CROSSING_RANGE_M of both are at most twice that apart, so a sensor's own
# cell and its eight neighbours hold every possible partner.
_CELL_M = 2.0 * MAX_CROSSING_RANGE_M
# Sorties fly two to four aircraft together.
MAX_FORMATION = 4


def _prior_types(likelihood: tuple[float, float, float]) -> Vector:
    probs = np.asarray(likelihood, dtype=np.float64)
    out: Vector = probs / probs.sum()
    return out


class Initiator:
    """Creates tentative tracks; a track only becomes confirmed by further evidence."""

    def __init__(self) -> None:
        self._next_id = 1
        self._cells: dict[tuple[int, int], deque[BearingFix]] = {}
        self._swept = -math.inf

    def new_id(self) -> str:
        track_id = f"T{self._next_id}"
        self._next_id += 1
        return track_id

    def from_sighting(self, fix: PositionFix) -> Track:
        """A track where a sighting puts the aircraft now, moving along its heading cue."""
        return self.from_sighting_group(fix)[0]

    def from_sighting_group(self, fix: PositionFix) -> list[Track]:
        """One track per reported aircraft (a formation's members share a group id).

        The report is about ``REPORT_DELAY_S`` old, so with a heading the
        aircraft is placed that far further along it, and the delay's
        spread stretches the position uncertainty along the heading.
        """
        probs = _prior_types(fix.type_likelihood)
        best = int(np.argmax(probs))
        prof = PROFILES[TRACK_TYPES[best]] if probs[best] >= 0.5 else PROFILES["unknown"]
        sigma = max(fix.sigma_m, 1000.0)
        count = max(1, min(fix.count, MAX_FORMATION))
        var = sigma * sigma + (FORMATION_SPREAD_M**2 if count > 1 else 0.0)
        if fix.heading_rad is not None:
            ux, uy = math.sin(fix.heading_rad), math.cos(fix.heading_rad)
            v = np.array([prof.cruise_mps * ux, prof.cruise_mps * uy])
            along = prof.speed_sigma_mps
            cross = prof.cruise_mps * math.sin(min(fix.heading_sigma_rad, 1.2))
            rot = np.array([[ux, -uy], [uy, ux]])
            pv = rot @ np.diag([along * along, cross * cross]) @ rot.T
        else:
            v = np.zeros(2)
            pv = np.eye(2) * prof.cruise_mps**2
        delay = REPORT_DELAY_S
        p: Matrix = np.zeros((4, 4))
        p[:2, :2] = np.eye(2) * var + delay * delay * pv + REPORT_DELAY_SIGMA_S**2 * np.outer(v, v)
        p[:2, 2:] = delay * pv
        p[2:, :2] = delay * pv
        p[2:, 2:] = pv
        x = np.array([fix.x + delay * v[0], fix.y + delay * v[1], v[0], v[1]])
        group = ""
        tracks: list[Track] = []
        for _ in range(count):
            track = Track(
                id=self.new_id(),
                t=fix.t,
                x=x.copy(),
                p=p.copy(),
                type_probs=probs.copy(),
                created=fix.t,
                last_update=fix.t,
                count=count,
                hits=1,
                origin_takeoff=fix.takeoff,
                sighted=True,
                group=group,
            )
            group = track.group
            track.add_evidence(fix.source, fix.evidence)
            track.remember()
            tracks.append(track)
        return tracks

    def from_bearing(self, fix: BearingFix) -> Track | None:
        """Try to start a track where this bearing crosses a recent one from another sensor.

        Unmatched bearings are remembered for a short while; the best crossing
        is the one closest to both sensors (sound fades with distance, so near
        crossings are the likely ones).
        """
        self._sweep(fix.t)
        cx, cy = math.floor(fix.sx / _CELL_M), math.floor(fix.sy / _CELL_M)
        candidates: list[BearingFix] = []
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                cell = self._cells.get((cx + i, cy + j))
                if cell is None:
                    continue
                while cell and fix.t - cell[0].t > BEARING_MEMORY_S:
                    cell.popleft()
                candidates.extend(o for o in cell if o.source != fix.source)
        found = self._best_crossing(fix, candidates)
        if found is None:
            self._cells.setdefault((cx, cy), deque()).append(fix)
            return None
        other, x, y, sigma = found
        ocell = self._cells[(math.floor(other.sx / _CELL_M), math.floor(other.sy / _CELL_M))]
        ocell.remove(other)
        like = np.asarray(fix.type_likelihood) * np.asarray(other.type_likelihood)
        probs = like / like.sum()
        best = int(np.argmax(probs))
        prof = PROFILES[TRACK_TYPES[best]] if probs[best] >= 0.5 else PROFILES["unknown"]
        sigma = max(sigma, 500.0)
        p = np.diag([sigma * sigma, sigma * sigma, prof.cruise_mps**2, prof.cruise_mps**2])
        track = Track(
            id=self.new_id(),
            t=fix.t,
            x=np.array([x, y, 0.0, 0.0]),
            p=p,
            type_probs=probs,
            created=fix.t,
            last_update=fix.t,
            hits=2,
        )
        track.add_evidence(fix.source, fix.evidence)
        track.add_evidence(other.source, other.evidence)
        track.remember()
        return track

    @staticmethod
    def _best_crossing(
        fix: BearingFix, candidates: list[BearingFix]
    ) -> tuple[BearingFix, float, float, float] | None:
        """The candidate whose bearing crosses ``fix`` nearest to both sensors (vectorised)."""
        if not candidates:
            return None
        like = np.array([o.type_likelihood for o in candidates]) * np.asarray(fix.type_likelihood)[None, :]
        bx = np.array([o.sx for o in candidates])
        by = np.array([o.sy for o in candidates])
        tb = np.array([o.bearing_rad for o in candidates])
        sb = np.array([o.sigma_rad for o in candidates])
        uax, uay = math.sin(fix.bearing_rad), math.cos(fix.bearing_rad)
        ubx, uby = np.sin(tb), np.cos(tb)
        det = -uax * uby + uay * ubx
        angle = np.abs(np.arcsin(np.clip(det, -1.0, 1.0)))
        safe = np.where(np.abs(det) < 1e-12, 1e-12, det)
        rx, ry = bx - fix.sx, by - fix.sy
        s = (-rx * uby + ry * ubx) / safe
        u = (uax * ry - uay * rx) / safe
        far = np.maximum(s, u)
        ok = (like.max(axis=1) >= 0.2) & (angle >= MIN_CROSSING_RAD) & (s > 0) & (u > 0)
        ok &= far <= MAX_CROSSING_RANGE_M
        if not ok.any():
            return None
        k = int(np.argmin(np.where(ok, far, np.inf)))
        lateral = math.hypot(float(s[k]) * fix.sigma_rad, float(u[k]) * float(sb[k]))
        sigma = lateral / math.sin(float(angle[k]))
        return candidates[k], fix.sx + float(s[k]) * uax, fix.sy + float(s[k]) * uay, sigma

    def _sweep(self, t: float) -> None:
        """Drop cells whose bearings have all aged out (keeps memory bounded on a large field)."""
        if t - self._swept < BEARING_MEMORY_S:
            return
        self._swept = t
        for key in [k for k, cell in self._cells.items() if not cell or t - cell[-1].t > BEARING_MEMORY_S]:
            del self._cells[key]
