"""Initiator: start tentative tracks from sightings and from crossing bearings."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from numpy.typing import NDArray

from nadhir.tracking import imm
from nadhir.tracking.kalman import Matrix, Vector
from nadhir.tracking.measurements import BearingFix, PositionFix
from nadhir.tracking.motion import PROFILES, TRACK_TYPES
from nadhir.tracking.sweep import SweepFix, SweepMemory, SweepStart
from nadhir.tracking.track import Track
from nadhir.tracking.triangulation import MIN_CROSSING_RAD
from nadhir.tracking.updater import position_variance

# Unassociated bearings are kept this long to find a crossing partner from another sensor.
BEARING_MEMORY_S = 20.0
# Beyond this range a crossing is more likely two different sounds than one aircraft.
MAX_CROSSING_RANGE_M = 20_000.0
# Remembered bearings are bucketed by sensor in cells this size: two sensors whose bearings
# cross within MAX_CROSSING_RANGE_M of both are at most twice that apart, so a sensor's own
# cell and its eight neighbours hold every possible partner.
_CELL_M = 2.0 * MAX_CROSSING_RANGE_M
# At most this many unclaimed bearings are weighed together to start tracks (the newest).
MAX_POOL = 200
# Sorties fly two to four aircraft together.
MAX_FORMATION = 4


class Initiator:
    """Creates tentative tracks; a track only becomes confirmed by further evidence."""

    def __init__(self, sweep: SweepStart | None = None) -> None:
        self._next_id = 1
        self._cells: dict[tuple[int, int], deque[BearingFix]] = {}
        self._swept = -math.inf
        # Opt-in: a lone node's sweep of jet bearings starts a track too (tracking/sweep.py).
        self._sweeps = SweepMemory(sweep) if sweep is not None else None

    def new_id(self) -> str:
        track_id = f"T{self._next_id}"
        self._next_id += 1
        return track_id

    def from_sighting_group(self, fix: PositionFix) -> list[Track]:
        """One track per reported aircraft (a formation's members share a group id).

        The report is about ``fix.delay_s`` old, so with a heading the
        aircraft is placed that far further along it, and the delay's
        spread stretches the position uncertainty along the heading.
        """
        total = sum(fix.type_likelihood)
        like = [v / total for v in fix.type_likelihood]
        best = max(range(3), key=lambda i: like[i])
        prof = PROFILES[TRACK_TYPES[best]] if like[best] >= 0.5 else PROFILES["unknown"]
        probs = np.array(like)
        count = max(1, min(fix.count, MAX_FORMATION))
        var = position_variance(fix, count)
        cruise = prof.cruise_mps
        if fix.heading_rad is not None:
            ux, uy = math.sin(fix.heading_rad), math.cos(fix.heading_rad)
            vx, vy = cruise * ux, cruise * uy
            along2 = prof.speed_sigma_mps**2
            cross2 = (cruise * math.sin(min(fix.heading_sigma_rad, 1.2))) ** 2
            # rot diag(along2, cross2) rot', rot = [[ux, -uy], [uy, ux]]
            pxx = along2 * ux * ux + cross2 * uy * uy
            pyy = along2 * uy * uy + cross2 * ux * ux
            pxy = (along2 - cross2) * ux * uy
        else:
            vx = vy = 0.0
            pxx = pyy = cruise * cruise
            pxy = 0.0
        d, d2 = fix.delay_s, fix.delay_sigma_s**2
        p: Matrix = np.array(
            [
                [var + d * d * pxx + d2 * vx * vx, d * d * pxy + d2 * vx * vy, d * pxx, d * pxy],
                [d * d * pxy + d2 * vx * vy, var + d * d * pyy + d2 * vy * vy, d * pxy, d * pyy],
                [d * pxx, d * pxy, pxx, pxy],
                [d * pxy, d * pyy, pxy, pyy],
            ]
        )
        x = np.array([fix.x + d * vx, fix.y + d * vy, vx, vy])
        # Every IMM model starts from the combined estimate (what Track.reset_modes would make).
        xs, ps = x[None, :].repeat(imm.N_MODELS, axis=0), p[None, :, :].repeat(imm.N_MODELS, axis=0)
        group = ""
        tracks: list[Track] = []
        for k in range(count):
            # The first member takes the arrays just made; a formation's others, copies of them.
            fresh = k == 0
            track = Track(
                id=self.new_id(),
                t=fix.t,
                x=x if fresh else x.copy(),
                p=p if fresh else p.copy(),
                xs=xs if fresh else xs.copy(),
                ps=ps if fresh else ps.copy(),
                type_probs=probs if fresh else probs.copy(),
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

    def from_bearings(self, fixes: list[BearingFix]) -> list[tuple[Track, list[BearingFix]]]:
        """Start tracks from the simultaneous bearings no track claimed, plus recent unclaimed ones.

        Every crossing of two bearings from different sensors is a candidate
        place; the candidate through which the most bearings pass (within
        three sigma, in range) wins, a track starts there and those bearings
        are used up; then the next, until no crossing is left. A dense sensor
        field hears one aircraft on dozens of nodes at once: this starts one
        track where they all cross, not one per pair. The search runs cell by
        cell (sensors that can share a crossing are in neighbouring cells), so
        its cost grows with the field, not with its square. Returns each new
        track with the bearings of this instant that support it (for its first
        update).
        """
        if not fixes:
            return []
        t = fixes[0].t
        self._sweep(t)
        by_cell: dict[tuple[int, int], list[int]] = {}
        for k, fix in enumerate(fixes):
            by_cell.setdefault(_cell_of(fix), []).append(k)
        used_now = np.zeros(len(fixes), dtype=bool)
        out: list[tuple[Track, list[BearingFix]]] = []
        for cx, cy in sorted(by_cell):
            current: list[int] = []
            memory: list[BearingFix] = []
            for i in (-1, 0, 1):
                for j in (-1, 0, 1):
                    key = (cx + i, cy + j)
                    current.extend(k for k in by_cell.get(key, ()) if not used_now[k])
                    cell = self._cells.get(key)
                    if cell is not None:
                        while cell and t - cell[0].t > BEARING_MEMORY_S:
                            cell.popleft()
                        memory.extend(cell)
            if not any(k in by_cell[(cx, cy)] for k in current):
                continue
            current = sorted(current)[:MAX_POOL]
            memory = memory[len(memory) - max(0, MAX_POOL - len(current)) :] if memory else memory
            pool = memory + [fixes[k] for k in current]
            for track, members in self._ransac(pool, t):
                now: list[BearingFix] = []
                for m in members:
                    if m < len(memory):
                        old = memory[m]
                        cell = self._cells.get(_cell_of(old))
                        if cell is not None and old in cell:
                            cell.remove(old)
                    else:
                        k = current[m - len(memory)]
                        used_now[k] = True
                        now.append(fixes[k])
                out.append((track, now))
        sweeps = self._sweeps
        for k, fix in enumerate(fixes):
            if not used_now[k]:
                found = sweeps.note(fix) if sweeps is not None else None
                if found is not None:
                    out.append((self._sweep_track(found, fix), []))
                    continue
                self._cells.setdefault(_cell_of(fix), deque()).append(fix)
        return out

    def from_claimed_bearing(self, fix: BearingFix, track: Track) -> Track | None:
        """With ``SweepStart.claimed_far_m``: a bearing a track claimed from that far from the node
        still counts in the node's sweep (a jet's track lagging far behind it along its course
        keeps claiming the bearings of the nodes under the jet); a new track where the sweep
        places the jet, if it does."""
        sweeps = self._sweeps
        far = sweeps.config.claimed_far_m if sweeps is not None else None
        if sweeps is None or far is None:
            return None
        if math.hypot(float(track.x[0]) - fix.sx, float(track.x[1]) - fix.sy) < far:
            return None
        found = sweeps.note(fix)
        return self._sweep_track(found, fix) if found is not None else None

    def _sweep_track(self, found: SweepFix, fix: BearingFix) -> Track:
        """A tentative jet track where a lone node's sweep places it (its bearings are in the fit)."""
        prof = PROFILES["jet"]
        sigma = self._sweeps.config.position_sigma_m if self._sweeps is not None else 2000.0
        speed2 = prof.speed_sigma_mps**2
        p = np.diag([sigma * sigma, sigma * sigma, speed2, speed2])
        like = np.asarray(fix.type_likelihood, dtype=float)
        track = Track(
            id=self.new_id(),
            t=found.t,
            x=np.array([found.x, found.y, found.vx, found.vy]),
            p=p,
            type_probs=like / like.sum(),
            created=found.t,
            last_update=found.t,
            hits=found.bearings,
        )
        for _ in range(found.bearings):
            track.add_evidence(fix.source, fix.evidence)
        track.remember()
        return track

    def _ransac(self, pool: list[BearingFix], t: float) -> list[tuple[Track, list[int]]]:
        """Tracks started where most bearings of ``pool`` cross, with the pool indices each used."""
        out: list[tuple[Track, list[int]]] = []
        if len(pool) < 2:
            return out
        used = np.zeros(len(pool), dtype=bool)
        sx = np.array([f.sx for f in pool])
        sy = np.array([f.sy for f in pool])
        th = np.array([f.bearing_rad for f in pool])
        sg = np.array([f.sigma_rad for f in pool])
        likes = np.array([f.type_likelihood for f in pool])
        src = np.array([f.source for f in pool])
        current = np.array([f.t == t for f in pool])
        ii, jj = np.triu_indices(len(pool), k=1)
        keep = (src[ii] != src[jj]) & (current[ii] | current[jj])  # a new crossing needs a bearing heard now
        ii, jj = ii[keep], jj[keep]
        x, y, sigma, ok = _crossings(sx[ii], sy[ii], th[ii], sg[ii], sx[jj], sy[jj], th[jj], sg[jj])
        ok &= (likes[ii] * likes[jj]).max(axis=1) >= 0.2
        ii, jj, x, y, sigma = ii[ok], jj[ok], x[ok], y[ok], sigma[ok]
        if not len(ii):
            return out
        # Support of each crossing: bearings that pass within 3 sigma of it, in range.
        dx = x[:, None] - sx[None, :]
        dy = y[:, None] - sy[None, :]
        rng = np.hypot(dx, dy)
        miss = np.abs((np.arctan2(dx, dy) - th[None, :] + math.pi) % (2 * math.pi) - math.pi)
        lateral = np.hypot(sigma[:, None] / np.maximum(rng, 1.0), sg[None, :])
        supports = (miss <= 3.0 * lateral) & (rng <= MAX_CROSSING_RANGE_M)
        alive = np.ones(len(ii), dtype=bool)
        while alive.any():
            support = np.where(alive, (supports & ~used[None, :]).sum(axis=1), -1)
            best = int(np.lexsort((sigma, -support))[0])
            if support[best] < 2:
                break
            members = sorted({int(ii[best]), int(jj[best]), *np.nonzero(supports[best] & ~used)[0].tolist()})
            used[members] = True
            a, b = pool[int(ii[best])], pool[int(jj[best])]
            like = np.asarray(a.type_likelihood) * np.asarray(b.type_likelihood)
            track = self._crossing_track(
                t, float(x[best]), float(y[best]), float(sigma[best]), like / like.sum()
            )
            for k in members:
                track.add_evidence(pool[k].source, pool[k].evidence)
            out.append((track, members))
            alive &= ~used[ii] & ~used[jj]
        return out

    def _crossing_track(self, t: float, x: float, y: float, sigma: float, probs: Vector) -> Track:
        best = int(np.argmax(probs))
        prof = PROFILES[TRACK_TYPES[best]] if probs[best] >= 0.5 else PROFILES["unknown"]
        sigma = max(sigma, 500.0)
        p = np.diag([sigma * sigma, sigma * sigma, prof.cruise_mps**2, prof.cruise_mps**2])
        track = Track(
            id=self.new_id(),
            t=t,
            x=np.array([x, y, 0.0, 0.0]),
            p=p,
            type_probs=probs,
            created=t,
            last_update=t,
            hits=2,
        )
        track.remember()
        return track

    def _sweep(self, t: float) -> None:
        """Drop cells whose bearings have all aged out (keeps memory bounded on a large field)."""
        if t - self._swept < BEARING_MEMORY_S:
            return
        self._swept = t
        if self._sweeps is not None:
            self._sweeps.forget_before(t)
        for key in [k for k, cell in self._cells.items() if not cell or t - cell[-1].t > BEARING_MEMORY_S]:
            del self._cells[key]


def _cell_of(fix: BearingFix) -> tuple[int, int]:
    return math.floor(fix.sx / _CELL_M), math.floor(fix.sy / _CELL_M)


def _crossings(
    ax: NDArray[np.float64],
    ay: NDArray[np.float64],
    ta: NDArray[np.float64],
    sa: NDArray[np.float64],
    bx: NDArray[np.float64],
    by: NDArray[np.float64],
    tb: NDArray[np.float64],
    sb: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Vectorised :func:`~nadhir.tracking.triangulation.cross_bearings`: points, sigmas, validity."""
    uax, uay = np.sin(ta), np.cos(ta)
    ubx, uby = np.sin(tb), np.cos(tb)
    det = -uax * uby + uay * ubx
    angle = np.abs(np.arcsin(np.clip(det, -1.0, 1.0)))
    safe = np.where(np.abs(det) < 1e-12, 1e-12, det)
    rx, ry = bx - ax, by - ay
    s = (-rx * uby + ry * ubx) / safe
    u = (uax * ry - uay * rx) / safe
    ok = (angle >= MIN_CROSSING_RAD) & (s > 0) & (u > 0) & (np.maximum(s, u) <= MAX_CROSSING_RANGE_M)
    sigma = np.hypot(s * sa, u * sb) / np.maximum(np.sin(angle), 1e-6)
    return ax + s * uax, ay + s * uay, sigma, ok
