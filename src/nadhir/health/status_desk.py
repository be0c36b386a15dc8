"""Where every status update goes, whichever way it came (message, API, console form).

:class:`StatusDesk` finds the facility, checks the update, lays it over the facility's last
status and keeps the result, all or nothing, in a :class:`StatusLedger` (the store's
``FacilityStatusBook``), then tells ``on_status`` (the service, which hands the facility's
readiness to the alert policy). The ledger is a protocol so that the health room does not import
the store: the store speaks JSON (:func:`nadhir.health.status.status_to_json`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from nadhir.domain import Site
from nadhir.domain.timefmt import format_time
from nadhir.health.codes import LABELS_EN, label
from nadhir.health.facilities import find_facility
from nadhir.health.status import (
    FacilityStatus,
    StatusError,
    carry_forward,
    check,
    status_from_json,
    status_to_json,
)

Merge = Callable[[dict[str, Any] | None], dict[str, Any]]


class StatusLedger(Protocol):
    """Keeps the status history (the store's ``FacilityStatusBook``)."""

    def record(
        self, facility: str, at: float, who: str, channel: str, update: dict[str, Any], merge: Merge
    ) -> int:
        """In one transaction: pass the facility's last status at or before ``at`` (JSON, or None)
        to ``merge``, and keep what it returns with ``update``; an exception keeps nothing."""
        ...


@dataclass(frozen=True, slots=True)
class Recorded:
    """A status update kept: its id, the facility, when, and the facility's status since."""

    id: int
    facility: Site
    at: float
    update: FacilityStatus
    status: FacilityStatus


class StatusDesk:
    """Takes status updates for the region's health facilities."""

    def __init__(
        self,
        facilities: Mapping[str, Site],
        ledger: StatusLedger,
        on_status: Callable[[Site, FacilityStatus], None] | None = None,
    ) -> None:
        self.facilities = facilities
        self.ledger = ledger
        self.on_status = on_status

    def update(self, ref: str, update: FacilityStatus, at: float, who: str, channel: str) -> Recorded:
        """Keep ``update`` of facility ``ref`` (id or name) made at ``at``; :class:`StatusError` if
        the facility is unknown, the update empty or the status it makes impossible (nothing kept)."""
        site = find_facility(self.facilities, ref)
        if not math.isfinite(at):
            raise StatusError(f"the time of a status must be finite, not {at!r}")
        if update.is_empty():
            raise StatusError("the update says nothing")
        check(update)
        merged: list[FacilityStatus] = []

        def merge(last: dict[str, Any] | None) -> dict[str, Any]:
            status = carry_forward(None if last is None else status_from_json(last), update)
            check(status)  # e.g. "incubators 5" against the 4 said before
            merged.append(status)
            return status_to_json(status)

        row = self.ledger.record(site.id, at, who, channel, status_to_json(update), merge)
        recorded = Recorded(row, site, at, update, merged[-1])
        if self.on_status is not None:
            self.on_status(site, recorded.status)
        return recorded


def confirmation(recorded: Recorded, arabic: bool = False) -> str:
    """What the sender is told: the facility, the time, what was said, and what holds now."""
    site, s = recorded.facility, recorded.status
    said = describe(recorded.update)
    when = format_time(recorded.at)
    if arabic:
        name = site.name_ar or site.name
        return f"تم تسجيل حالة {name} ({when}): {describe_ar(recorded.update)}. شكرا."
    extra = ""
    if s.functionality is not None:
        extra = (
            f" Now: {label('functionality', s.functionality)}" + (" (evacuated)" if s.evacuated else "") + "."
        )
    return f"Status of {site.name} recorded at {when}: {said}.{extra}"


@dataclass(frozen=True, slots=True)
class _Words:
    """One language's words for :func:`_describe`: the codes' words by list (a code with none is
    said as itself, ``_`` as a space), the nouns of the counts and supplies, and the glue."""

    codes: Mapping[str, Mapping[str, str]]
    nouns: Mapping[str, str]
    evacuated: str
    of: str
    in_all: str
    days: str
    comma: str
    nothing: str

    def code(self, field: str, code: str) -> str:
        return self.codes.get(field, {}).get(code, code.replace("_", " "))


def _describe(s: FacilityStatus, w: _Words) -> str:
    """What a status says, field by field in one order, in the language of ``w``."""
    parts: list[str] = []
    if s.functionality is not None:
        parts.append(w.code("functionality", s.functionality))
    if s.evacuated:
        parts.append(w.evacuated)
    parts.extend(f"{w.code('cadre', cadre)} {n}" for cadre, n in s.staff.items())
    for what in ("incubators", "beds"):
        working, total = getattr(s, f"{what}_working"), getattr(s, f"{what}_total")
        if working is not None:
            parts.append(f"{w.nouns[what]} {working}" + (f" {w.of} {total}" if total is not None else ""))
        elif total is not None:
            parts.append(f"{w.nouns[what]} {total} {w.in_all}")
    for count in ("incubators_occupied", "theatres_in_use"):
        if getattr(s, count) is not None:
            parts.append(f"{w.nouns[count]} {getattr(s, count)}")
    if s.power is not None:
        parts.append(w.code("power", s.power))
    if s.fuel_days is not None:
        parts.append(f"{w.nouns['fuel']} {s.fuel_days:g} {w.days}")
    for what in ("water", "oxygen"):
        if getattr(s, what) is not None:
            parts.append(f"{w.nouns[what]} {w.code('supply', getattr(s, what))}")
    if s.building is not None:
        parts.append(w.code("building", s.building))
    parts.extend(
        f"{w.code('service', service)} {w.code('availability', v)}" for service, v in s.services.items()
    )
    return w.comma.join(parts) or w.nothing


_EN = _Words(
    codes={**LABELS_EN, "power": {"none": "no power"}},
    nouns={"incubators": "incubators", "beds": "beds", "incubators_occupied": "incubators occupied",
           "theatres_in_use": "theatres in use", "fuel": "fuel", "water": "water", "oxygen": "oxygen"},
    evacuated="evacuated", of="of", in_all="in all", days="days", comma=", ", nothing="nothing",
)  # fmt: skip

# Arabic words of the confirmation (the codes as a focal point would say them).
_AR = _Words(
    codes={
        "functionality": {"fully": "تعمل بالكامل", "partially": "تعمل جزئيا", "not": "لا تعمل"},
        "building": {"not": "لا ضرر", "slightly": "ضرر طفيف", "partially": "ضرر جزئي", "fully": "ضرر كامل"},
        "cadre": {"obstetricians": "أطباء نسائية", "paediatricians": "أطباء أطفال", "surgeons": "جراحون",
                  "anaesthetists": "أطباء تخدير", "doctors": "أطباء", "midwives": "قابلات",
                  "nurses": "ممرضون"},
        "power": {"grid": "كهرباء الشبكة", "generator": "مولدة", "solar": "طاقة شمسية", "none": "لا كهرباء"},
        "supply": {"sufficient": "كاف", "insufficient": "قليل", "none": "مقطوع"},
        "availability": {"available": "متوفرة", "partially": "متوفرة جزئيا", "not": "غير متوفرة",
                         "not_provided": "لا تقدم عادة"},
        "service": {"antenatal_care": "متابعة الحمل", "skilled_birth_attendance": "الولادة",
                    "emonc_8_caesarean": "القيصرية", "emonc_9_blood_transfusion": "نقل الدم",
                    "newborn_care": "رعاية الوليد",
                    "emergency_surgery": "الجراحة الإسعافية", "trauma_care": "رعاية الإصابات"},
    },
    nouns={"incubators": "حواضن", "beds": "أسرة", "incubators_occupied": "حواضن مشغولة",
           "theatres_in_use": "غرف عمليات مشغولة", "fuel": "وقود", "water": "ماء", "oxygen": "أكسجين"},
    evacuated="تم الإخلاء", of="من", in_all="في المجموع", days="أيام", comma="، ", nothing="لا شيء",
)  # fmt: skip


def describe(s: FacilityStatus) -> str:
    """A short line of what a status (or update) says, for confirmations and the terminal."""
    return _describe(s, _EN)


def describe_ar(s: FacilityStatus) -> str:
    """:func:`describe` in Arabic, for the confirmation of a message written in Arabic."""
    return _describe(s, _AR)
