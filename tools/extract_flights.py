"""Extract real recorded flights from the `traffic` package's samples into the lab's flight library.

Usage::

    pip download --no-deps traffic==2.13 -d /tmp/traffic
    unzip -q -o /tmp/traffic/traffic-2.13-py3-none-any.whl 'traffic/data/samples/*' -d /tmp/traffic
    python tools/extract_flights.py /tmp/traffic/traffic/data/samples src/nadhir_lab/data/flights

The samples are ADS-B trajectories bundled with `traffic` (Xavier Olive, MIT licence,
<https://github.com/xoolive/traffic>). They are read as gzipped JSON (a list of rows with
``timestamp``, ``icao24``, ``latitude``, ``longitude``, ``altitude`` in feet, ``groundspeed`` in
knots, ``track``); the package itself is never imported. Each chosen aircraft's airborne
stretches (no gap over a minute) are cut into windows of at most 30 minutes, the windows with the
most turning first, resampled every 5 s, and written as ``NAME.csv`` (``t_s, lat, lon, alt_m``)
with ``manifest.json`` naming each file's sample, aircraft, callsign, start, kind and set.

Which set a sample belongs to is fixed here, before any scoring (issue 17): ``tuning`` holds
the samples the public real-flight scenarios were made from, ``report`` samples that no rule or
threshold is ever chosen on. The kind is the aircraft's role, not its make: the ambulance
helicopters are helicopters, anything with a median ground speed of 80 m/s or more is flown as a
jet, the rest (survey aircraft, gliders, border patrol, shapes drawn in the sky) as drones, whose
loiters and slow circles they resemble.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FT = 0.3048
KT = 0.514444
WINDOW_S = 1800.0
MIN_S = 300.0
STEP_S = 5.0

# sample path (under samples/) -> (set, kind or None for "by speed", how many aircraft, windows each)
SAMPLES: dict[str, tuple[str, str | None, int, int]] = {
    "ambulances/rega_sg": ("tuning", "helicopter", 1, 2),
    "ambulances/samu31": ("tuning", "helicopter", 1, 1),
    "surveys/pixair_toulouse": ("tuning", None, 1, 2),
    "surveillance/border_control": ("tuning", None, 1, 2),
    "surveys/texas": ("tuning", None, 1, 1),
    "military/inflight_refuelling": ("tuning", None, 1, 3),
    "firefighting/calfire": ("tuning", None, 4, 1),
    # The only other helicopter: report needs one (it also flies in the public adsb-helis).
    "ambulances/rega_zh": ("report", "helicopter", 1, 1),
    "military/aircraft_carrier": ("report", None, 1, 2),
    "surveys/liguria": ("report", None, 1, 1),
    "surveys/mecsek_mountains": ("report", None, 1, 1),
    "surveys/ign_fontainebleau": ("report", None, 1, 1),
    "surveys/indiana": ("report", None, 1, 1),
    "surveys/georeal_fyn_island": ("report", None, 1, 1),
    "gliders/alpi_italiane": ("report", None, 1, 1),
    "gliders/cevennes": ("report", None, 1, 1),
    "gliders/luberon": ("report", None, 1, 1),
    "featured/anzac_day": ("report", None, 1, 1),
    "featured/texas_longhorn": ("report", None, 1, 1),
    "tv_relay/vasaloppet": ("report", None, 1, 1),
}


def _time(v: Any) -> float:
    if isinstance(v, int | float):
        # traffic writes pandas timestamps as epoch milliseconds.
        return float(v) / 1000.0 if v > 1e11 else float(v)
    return datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()


def _stretches(rows: list[dict[str, Any]]) -> list[list[tuple[float, float, float, float]]]:
    pts = sorted(
        (_time(r["timestamp"]), float(r["latitude"]), float(r["longitude"]), float(r["altitude"]) * FT)
        for r in rows
        if r.get("latitude") is not None and r.get("longitude") is not None and r.get("altitude") is not None
    )
    out: list[list[tuple[float, float, float, float]]] = []
    cur: list[tuple[float, float, float, float]] = []
    for p in pts:
        if cur and (p[0] - cur[-1][0] > 60.0 or p[0] == cur[-1][0]):
            if p[0] == cur[-1][0]:
                continue
            out.append(cur)
            cur = []
        cur.append(p)
    if cur:
        out.append(cur)
    return [s for s in out if s[-1][0] - s[0][0] >= MIN_S]


def _resample(s: list[tuple[float, float, float, float]], t0: float, t1: float) -> list[tuple[float, ...]]:
    out = []
    j = 0
    t = t0
    while t <= t1:
        while j + 1 < len(s) and s[j + 1][0] < t:
            j += 1
        a, b = s[j], s[min(j + 1, len(s) - 1)]
        w = 0.0 if b[0] == a[0] else min(1.0, max(0.0, (t - a[0]) / (b[0] - a[0])))
        out.append((t - t0, a[1] + w * (b[1] - a[1]), a[2] + w * (b[2] - a[2]), a[3] + w * (b[3] - a[3])))
        t += STEP_S
    return out


def _turning(pts: list[tuple[float, ...]]) -> float:
    total, prev = 0.0, None
    for i in range(1, len(pts)):
        dy = (pts[i][1] - pts[i - 1][1]) * 111_000.0
        dx = (pts[i][2] - pts[i - 1][2]) * 111_000.0 * math.cos(math.radians(pts[i][1]))
        if math.hypot(dx, dy) < 20.0:
            continue
        h = math.atan2(dx, dy)
        if prev is not None:
            total += abs((h - prev + math.pi) % (2 * math.pi) - math.pi)
        prev = h
    return total


def _speed(pts: list[tuple[float, ...]]) -> float:
    v = []
    for i in range(1, len(pts)):
        dy = (pts[i][1] - pts[i - 1][1]) * 111_000.0
        dx = (pts[i][2] - pts[i - 1][2]) * 111_000.0 * math.cos(math.radians(pts[i][1]))
        v.append(math.hypot(dx, dy) / (pts[i][0] - pts[i - 1][0]))
    v.sort()
    return v[len(v) // 2] if v else 0.0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("samples", type=Path, help="traffic/data/samples")
    ap.add_argument("out", type=Path)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for sample, (set_name, kind, n_aircraft, n_windows) in SAMPLES.items():
        with gzip.open(args.samples / f"{sample}.json.gz") as fh:
            rows = json.load(fh)
        by_icao: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_icao.setdefault(str(r.get("icao24")), []).append(r)
        # The aircraft with the longest airborne time first.
        ranked = sorted(by_icao.items(), key=lambda kv: -sum(s[-1][0] - s[0][0] for s in _stretches(kv[1])))
        for icao, ac_rows in ranked[:n_aircraft]:
            windows = []
            for s in _stretches(ac_rows):
                t = s[0][0]
                while s[-1][0] - t >= MIN_S:
                    t1 = min(s[-1][0], t + WINDOW_S)
                    pts = _resample(s, t, t1)
                    windows.append((_turning(pts), t, pts))
                    t = t1
            windows.sort(key=lambda w: -w[0])
            callsign = next((str(r["callsign"]).strip() for r in ac_rows if r.get("callsign")), "")
            for k, (_, t0, pts) in enumerate(windows[:n_windows]):
                name = f"{sample.split('/')[-1]}-{icao}-{k}"
                speed = _speed(pts)
                flown_as = kind or ("jet" if speed >= 80.0 else "drone")
                with (args.out / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
                    w = csv.writer(fh)
                    w.writerow(["t_s", "lat", "lon", "alt_m"])
                    for p in pts:
                        w.writerow([f"{p[0]:g}", f"{p[1]:.5f}", f"{p[2]:.5f}", f"{p[3]:.0f}"])
                manifest.append(
                    {
                        "file": f"{name}.csv",
                        "set": set_name,
                        "kind": flown_as,
                        "sample": sample,
                        "icao24": icao,
                        "callsign": callsign,
                        "start": datetime.fromtimestamp(t0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "duration_s": round(pts[-1][0]),
                        "median_speed_mps": round(speed, 1),
                    }
                )
                print(f"{name}: {set_name} {flown_as} {pts[-1][0] / 60:.0f} min {speed:.0f} m/s")
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
