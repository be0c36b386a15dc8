"""Write the demo's facility status history (src/nadhir/data/health/demo-status.json).

Three weeks of updates before the demo region's day of strikes (2025-05-02), for its nine
hospitals, as focal points send them: a full status now and then, short updates in between. The
story: the maternity hospital runs short of staff and fuel, with newborns in its incubators the
night of the strikes; Jisr al-Shughur's hospital is evacuated after shelling on 28 April; Maarat's
central hospital, damaged on 20 April, stays closed; Kafr Nabl's surgical hospital is operating
that night. Deterministic: run it again and the file is the same.

    python tools/demo_health_status.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nadhir.health.codes import BASIC_EMONC

OUT = Path(__file__).resolve().parent.parent / "src" / "nadhir" / "data" / "health" / "demo-status.json"
START = datetime(2025, 4, 11, 8, 0, tzinfo=UTC)
END = datetime(2025, 5, 2, 2, 45, tzinfo=UTC)  # the last updates: just before the first strikes

# Hospitals that close during the three weeks send no routine updates after closing.
CLOSED = {
    "maarat-central-hospital": datetime(2025, 4, 20, 14, 10, tzinfo=UTC),
    "jisr-hospital": datetime(2025, 4, 28, 18, 30, tzinfo=UTC),
}
HOSPITALS = {
    # id: (beds, incubators, obstetric, surgical)
    "idlib-maternity-hospital": (60, 6, True, False),
    "idlib-national-hospital": (120, 4, True, True),
    "saraqeb-hospital": (40, 2, True, True),
    "maarat-central-hospital": (80, 3, True, True),
    "ariha-surgical-hospital": (50, 0, False, True),
    "kafr-nabl-surgical-hospital": (45, 0, False, True),
    "sarmada-hospital": (70, 4, True, True),
    "jisr-hospital": (50, 2, True, True),
    "atarib-hospital": (35, 2, True, False),
}


def _at(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def full_status(
    rng: random.Random, beds: int, incubators: int, obstetric: bool, surgical: bool
) -> dict[str, object]:
    services = {
        "antenatal_care": "available" if obstetric else "not_provided",
        "skilled_birth_attendance": "available" if obstetric else "not_provided",
        "emonc_8_caesarean": "available" if obstetric and surgical else "not_provided",
        "emonc_9_blood_transfusion": rng.choice(["available", "partially"]),
        "newborn_care": "available" if incubators else "not_provided",
        "emergency_surgery": "available" if surgical else "not_provided",
        "trauma_care": "available" if surgical else "partially",
    }
    for code in BASIC_EMONC:
        services[code] = "available" if obstetric else "not_provided"
    staff = {"doctors": rng.randint(2, 6), "nurses": rng.randint(6, 20)}
    if obstetric:
        staff |= {
            "obstetricians": rng.randint(1, 3),
            "midwives": rng.randint(2, 6),
            "paediatricians": rng.randint(1, 2),
        }
    if surgical:
        staff |= {"surgeons": rng.randint(1, 4), "anaesthetists": rng.randint(1, 2)}
    status: dict[str, object] = {
        "functionality": "fully",
        "building": "not",
        "accessibility": "fully",
        "evacuated": False,
        "services": services,
        "staff": staff,
        "beds_total": beds,
        "beds_working": beds - rng.randint(0, beds // 10),
        "power": rng.choice(["grid", "generator", "generator", "solar"]),
        "fuel_days": float(rng.randint(4, 12)),
        "water": "sufficient",
        "oxygen": "sufficient",
    }
    if incubators:
        status |= {"incubators_total": incubators, "incubators_working": incubators, "incubators_occupied": 0}
    return status


def history() -> list[dict[str, object]]:
    rng = random.Random(18)
    rows: list[dict[str, object]] = []
    for site, (beds, incubators, obstetric, surgical) in HOSPITALS.items():
        who = f"focal-{site.split('-')[0]}"
        rows.append(
            {
                "facility": site,
                "at": _at(START + timedelta(hours=rng.randint(0, 30))),
                "who": who,
                "status": full_status(rng, beds, incubators, obstetric, surgical),
            }
        )
        t = START + timedelta(days=2)
        fuel = 10.0
        closed = CLOSED.get(site, END)
        while t < min(END - timedelta(days=1), closed):
            fuel = max(0.0, fuel - rng.choice([1.0, 2.0, 3.0]))
            if fuel < 2:
                fuel = float(rng.randint(6, 10))  # a delivery
            update: dict[str, object] = {"fuel_days": fuel}
            if rng.random() < 0.5:
                update["staff"] = {"doctors": rng.randint(1, 6)}
            if rng.random() < 0.3:
                update["oxygen"] = rng.choice(["sufficient", "insufficient"])
            rows.append(
                {
                    "facility": site,
                    "at": _at(t + timedelta(minutes=rng.randint(0, 600))),
                    "who": who,
                    "status": update,
                }
            )
            t += timedelta(days=rng.randint(2, 4))
    story = [
        (
            "maarat-central-hospital",
            datetime(2025, 4, 20, 14, 10, tzinfo=UTC),
            {
                "functionality": "not",
                "causes": ["damage", "insecurity"],
                "building": "partially",
                "accessibility": "partially",
                "barriers": ["insecurity", "physical"],
                "services": {
                    "skilled_birth_attendance": "not",
                    "emonc_8_caesarean": "not",
                    "emergency_surgery": "not",
                },
            },
        ),
        (
            "maarat-central-hospital",
            datetime(2025, 4, 30, 9, 0, tzinfo=UTC),
            {"functionality": "not", "power": "none", "water": "none"},
        ),
        (
            "jisr-hospital",
            datetime(2025, 4, 28, 18, 30, tzinfo=UTC),
            {"functionality": "not", "evacuated": True, "causes": ["insecurity"], "building": "slightly"},
        ),
        (
            "idlib-maternity-hospital",
            datetime(2025, 4, 29, 10, 0, tzinfo=UTC),
            {
                "functionality": "partially",
                "causes": ["staff", "supplies"],
                "staff": {"obstetricians": 1, "paediatricians": 1, "doctors": 3, "midwives": 3},
                "services": {"emonc_9_blood_transfusion": "not"},
            },
        ),
        (
            "idlib-maternity-hospital",
            datetime(2025, 5, 2, 1, 30, tzinfo=UTC),
            {
                "incubators_total": 6,
                "incubators_working": 4,
                "incubators_occupied": 3,
                "power": "generator",
                "fuel_days": 2.0,
            },
        ),
        (
            "kafr-nabl-surgical-hospital",
            datetime(2025, 5, 2, 2, 40, tzinfo=UTC),
            {"theatres_in_use": 1, "staff": {"surgeons": 2, "anaesthetists": 1}},
        ),
    ]
    rows += [{"facility": s, "at": _at(t), "who": "focal-point", "status": u} for s, t, u in story]
    rows.sort(key=lambda r: (str(r["at"]), str(r["facility"])))
    return rows


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(history(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
