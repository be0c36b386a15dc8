"""What of an attack record each reader may see.

SSA publishes only country, province and town, date, the health resources affected, the types
of attack, the type of facility, aggregate deaths and injuries and the level of certainty; it
keeps back the identities of sources, whether a source was an eyewitness, GPS coordinates, the
facility's name, the description of the attack, disaggregated casualties and follow-up
(Health and Human Rights 23(1), 2021, table 3, on the SSA methodology). Nadhir does the same:
:func:`public_view` is all a viewer, a public export or a partner without the health role gets;
:func:`private_view` is for the ``health`` role. Coordinates are never published finer than the
admin area, so a public view carries none.
"""

from __future__ import annotations

from typing import Any

from nadhir.health.attacks import AttackRecord, record_to_json

# The public fields, in the order the public export writes them.
PUBLIC_FIELDS: tuple[str, ...] = (
    "id",
    "date",
    "country",
    "admin_area",
    "pcode",
    "facility_type",
    "attack_types",
    "resources",
    "killed",
    "injured",
    "certainty",
    "review",
)


def shown_to_public(record: AttackRecord, drafts: bool = True) -> bool:
    """Whether a record is shown without the health role: never once rejected (it was no attack
    on health care), drafts only if asked (a public export holds what was confirmed)."""
    return record.review == "confirmed" or (drafts and record.review == "draft")


def public_view(record: AttackRecord) -> dict[str, Any]:
    """The fields anyone may see."""
    f = record.facility
    return {
        "id": record.id,
        "date": record.date,
        "country": f.country,
        "admin_area": f.admin_area,
        "pcode": f.pcode,
        "facility_type": f.type,
        "attack_types": list(record.attack_types),
        "resources": list(record.resources),
        "killed": record.killed(),
        "injured": record.injured(),
        "certainty": record.certainty,
        "review": record.review,
    }


def private_view(record: AttackRecord) -> dict[str, Any]:
    """Every field, for the health role: the public ones and the whole record beside them."""
    view = public_view(record)
    full = record_to_json(record)
    full.pop("id")
    view.update(full)
    view["facility_id"] = record.facility.id
    return view
