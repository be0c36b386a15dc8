"""A sample attack record for the health tests (the central hospital in Idlib, the road outside)."""

from __future__ import annotations

import dataclasses

from nadhir.health.attacks import AttackRecord, Casualties, Facility, Source

T_ATTACK = 1746159600.0  # 2025-05-02T04:20:00Z

FACILITY = Facility("idlib-national-hospital", "Idlib National Hospital", "hospital", 35.9256, 36.6379,
                    "SYR", "Idlib", "SY070000")  # fmt: skip


def sample_record(**changes: object) -> AttackRecord:
    """A complete record; ``changes`` replace fields."""
    record = AttackRecord(
        facility=FACILITY,
        t=T_ATTACK,
        attack_types=("violence_with_heavy_weapons",),
        resources=("facility", "personnel"),
        sources=(
            Source("eyewitness", "dr-samer-khalil", T_ATTACK + 600),
            Source("media", "enab-baladi-article"),
        ),
        weapon="missile",
        perpetrator="unknown",
        casualties={"staff": Casualties(0, 4), "patients": Casualties(1, 2)},
        damage="partially_damaged",
        services_interrupted=("surgery", "emergency"),
        interruption_days=3.0,
        narrative="A missile hit the road outside the hospital; four of the surgeon's staff were wounded.",
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]
