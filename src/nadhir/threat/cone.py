"""The prediction cone: where a track is expected over the next minutes, and how sure that is.

Pure: a track, its published state and the frame in; points out. The live
map draws it ahead of each track (:mod:`nadhir.service.live`).
"""

from __future__ import annotations

import math

from nadhir.domain import TrackState
from nadhir.geo.frame import LocalFrame, heading_to_unit
from nadhir.tracking.track import Track

PREDICT_STEP_S = 60.0
PREDICT_HORIZON_S = 15 * 60.0
PREDICT_MAX_SIGMA_M = 15_000.0


def prediction_cone(frame: LocalFrame, track: Track, state: TrackState) -> list[list[float]]:
    """Where the track is expected next: ``[dt_s, lat, lon, sigma_m]`` a minute apart.

    The mean flies on from the published state (where the map draws the
    track) at its speed and heading; the spread is the filter's position
    and velocity covariance carried forward, plus the type's manoeuvre
    noise (white acceleration, growing as dt^3). It goes out to 15
    minutes, or stops once the spread passes ``PREDICT_MAX_SIGMA_M``
    (beyond that it says nothing a map can show).
    """
    px, py = frame.to_xy(state.lat, state.lon)
    ux, uy = heading_to_unit(state.heading_deg)
    vx, vy = state.speed_mps * ux, state.speed_mps * uy
    p = track.p
    q = track.process_noise()
    out: list[list[float]] = []
    steps = int(PREDICT_HORIZON_S // PREDICT_STEP_S)
    for k in range(1, steps + 1):
        dt = k * PREDICT_STEP_S
        var = 0.0
        for i in (0, 1):  # east and north
            var += float(p[i, i] + 2.0 * dt * p[i, i + 2] + dt * dt * p[i + 2, i + 2]) + q * dt**3 / 3.0
        sigma = math.sqrt(max(var, 0.0))
        if out and sigma > PREDICT_MAX_SIGMA_M:
            break
        lat, lon = frame.to_latlon(px + vx * dt, py + vy * dt)
        out.append([dt, round(lat, 5), round(lon, 5), round(sigma)])
    return out
