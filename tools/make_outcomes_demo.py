"""Write the demo's outcome series: src/nadhir/data/health/outcomes-demo.csv (a developer's tool).

Two years of weekly reports (ISO weeks 2024-W50 to 2026-W49) for the demo scenario's nine
hospitals, drawn from Poisson and binomial models around realistic baselines (30-250 births a
week, 1.5-3 % stillbirths, ~10 % preterm). One rise is planted: at Idlib Maternity Hospital,
stillbirths x2.2, miscarriages x1.8 and preterm births x1.6 over the last eight weeks
(2026-W42 to W49). Jisr al-Shughur Hospital misses about a quarter of its weeks, so its
completeness is under 80 % and its alarms are flagged. Seeded: the same file every run.

    python tools/make_outcomes_demo.py
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src/nadhir/data/health/outcomes-demo.csv"
FIRST = dt.date.fromisocalendar(2024, 50, 1)
WEEKS = 104
RISE_FROM = dt.date.fromisocalendar(2026, 42, 1)
RISE_AT = "idlib-maternity-hospital"
PATCHY = "jisr-hospital"
# facility: (births a week, stillbirth share, caesarean share)
HOSPITALS = {
    "idlib-maternity-hospital": (240, 0.022, 0.30),
    "idlib-national-hospital": (110, 0.018, 0.34),
    "saraqeb-hospital": (55, 0.020, 0.22),
    "maarat-central-hospital": (70, 0.024, 0.25),
    "ariha-surgical-hospital": (45, 0.017, 0.38),
    "kafr-nabl-surgical-hospital": (35, 0.026, 0.28),
    "sarmada-hospital": (150, 0.019, 0.31),
    "jisr-hospital": (40, 0.028, 0.20),
    "atarib-hospital": (85, 0.021, 0.27),
}
COLUMNS = ["facility_id", "period_start", "live_births", "stillbirths_fresh", "stillbirths_macerated",
           "miscarriages", "preterm_births", "low_birth_weight", "neonatal_deaths", "maternal_deaths",
           "caesarean_sections", "referrals_out"]  # fmt: skip


def main() -> None:
    rng = np.random.default_rng(20261207)
    rows = []
    for facility, (births, sb_share, cs_share) in HOSPITALS.items():
        for w in range(WEEKS):
            start = FIRST + dt.timedelta(weeks=w)
            if facility == PATCHY and rng.random() < 0.27:
                continue  # a week not reported
            rise = facility == RISE_AT and start >= RISE_FROM
            seasonal = 1 + 0.06 * np.sin(2 * np.pi * w / 52)
            total = int(rng.poisson(births * seasonal))
            sb = int(rng.binomial(total, min(0.5, sb_share * (2.2 if rise else 1.0))))
            fresh = int(rng.binomial(sb, 0.45))
            live = total - sb
            rows.append({
                "facility_id": facility, "period_start": start.isoformat(), "live_births": live,
                "stillbirths_fresh": fresh, "stillbirths_macerated": sb - fresh,
                "miscarriages": int(rng.poisson(0.07 * births * (1.8 if rise else 1.0))),
                "preterm_births": int(rng.binomial(live, 0.10 * (1.6 if rise else 1.0))),
                "low_birth_weight": int(rng.binomial(live, 0.12)),
                "neonatal_deaths": int(rng.binomial(live, 0.014)),
                "maternal_deaths": int(rng.poisson(0.0004 * births)),
                "caesarean_sections": int(rng.binomial(total, cs_share)),
                "referrals_out": int(rng.poisson(0.03 * births)),
            })  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
