"""HeRAMS' codes for a health facility's status, with their English and Arabic labels.

WHO's Health Resources and Services Availability Monitoring System (HeRAMS) asks the same
questions of every facility: is it functioning (and if not fully, why), how damaged is its
building, can people reach it (and if not fully, what stands in the way), and is each service
available. The codes here are HeRAMS' answers, spelt as short identifiers; the labels are what
the console and the terminal show. Sources: docs/health.md, "Facility status".
"""

from __future__ import annotations

from typing import Literal, get_args

Functionality = Literal["fully", "partially", "not"]
FUNCTIONALITY: tuple[Functionality, ...] = ("fully", "partially", "not")

# Why a facility is not fully functioning (HeRAMS' "causes of non-/partial functionality").
Cause = Literal["insecurity", "staff", "supplies", "equipment", "finances", "damage"]
CAUSES: tuple[Cause, ...] = ("insecurity", "staff", "supplies", "equipment", "finances", "damage")

BuildingCondition = Literal["not", "slightly", "partially", "fully"]
BUILDING_CONDITIONS: tuple[BuildingCondition, ...] = ("not", "slightly", "partially", "fully")

Accessibility = Literal["fully", "partially", "not"]
ACCESSIBILITY: tuple[Accessibility, ...] = ("fully", "partially", "not")

# What keeps people from reaching a facility that is not fully accessible.
Barrier = Literal["insecurity", "physical", "financial", "sociocultural", "distance"]
BARRIERS: tuple[Barrier, ...] = ("insecurity", "physical", "financial", "sociocultural", "distance")

Availability = Literal["available", "partially", "not", "not_provided"]
AVAILABILITY: tuple[Availability, ...] = ("available", "partially", "not", "not_provided")

# The services whose availability is kept. EmONC's nine signal functions are WHO's: 1-7 make a
# facility basic EmONC, with 8 (caesarean section) and 9 (blood transfusion) comprehensive.
Service = Literal[
    "antenatal_care",
    "skilled_birth_attendance",
    "emonc_1_antibiotics",
    "emonc_2_uterotonics",
    "emonc_3_anticonvulsants",
    "emonc_4_manual_placenta",
    "emonc_5_retained_products",
    "emonc_6_assisted_delivery",
    "emonc_7_neonatal_resuscitation",
    "emonc_8_caesarean",
    "emonc_9_blood_transfusion",
    "newborn_care",
    "emergency_surgery",
    "trauma_care",
]
# The same names, in order, as values (read off the type, so the two cannot drift apart).
SERVICES: tuple[Service, ...] = get_args(Service)
BASIC_EMONC: tuple[Service, ...] = SERVICES[2:9]
COMPREHENSIVE_EMONC: tuple[Service, ...] = SERVICES[2:11]

# Staff on duty, by cadre ("doctors": medical doctors of no cadre listed, general practitioners).
Cadre = Literal[
    "obstetricians", "paediatricians", "surgeons", "anaesthetists", "doctors", "midwives", "nurses"
]
CADRES: tuple[Cadre, ...] = (
    "obstetricians",
    "paediatricians",
    "surgeons",
    "anaesthetists",
    "doctors",
    "midwives",
    "nurses",
)

PowerSource = Literal["grid", "generator", "solar", "none"]
POWER_SOURCES: tuple[PowerSource, ...] = ("grid", "generator", "solar", "none")

# Water and oxygen: enough, short, or none at all.
Supply = Literal["sufficient", "insufficient", "none"]
SUPPLIES: tuple[Supply, ...] = ("sufficient", "insufficient", "none")

LABELS_EN: dict[str, dict[str, str]] = {
    "functionality": {"fully": "fully functioning", "partially": "partially functioning",
                      "not": "not functioning"},
    "building": {"not": "not damaged", "slightly": "slightly damaged", "partially": "partially damaged",
                 "fully": "fully damaged"},
    "accessibility": {"fully": "fully accessible", "partially": "partially accessible",
                      "not": "not accessible"},
    "availability": {"available": "available", "partially": "partially available", "not": "not available",
                     "not_provided": "not normally provided"},
}  # fmt: skip


def label(field: str, code: str) -> str:
    """The English label of ``code`` for ``field`` (the code itself when it has none)."""
    return LABELS_EN.get(field, {}).get(code, code.replace("_", " "))
