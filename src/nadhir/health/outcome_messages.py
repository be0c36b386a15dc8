"""The short message a ward's reporter sends with its outcomes, by SMS or Telegram.

::

    outcomes idlib-maternity-hospital 2026-W14 live 120 fresh 2 macerated 1 miscarriages 4
             preterm 11 lbw 13 neonatal 2 maternal 0 cs 30 referrals 5
    ولادات idlib-maternity-hospital 2026-W14 أحياء ١٢٠ حديث ٢ متعطن ١ إجهاض ٤ خدج ١١ ناقص ١٣ وليد ٢ أمهات ٠

The opening keyword (``outcomes`` / ``ولادات``) claims the message (see
:mod:`nadhir.intake.field_reports`); then the facility (optional when the reporter speaks for one
facility only; a reporter may send only for the facilities it speaks for), the period (ISO week
``YYYY-Www`` or a day ``YYYY-MM-DD``), then ``name value`` pairs in any order (``name=value``
too; Arabic-Indic digits are read). The eight counts of the detect CSV are required, caesareans
and referrals optional. A message that cannot be taken is answered with every problem, in the
sender's language, and nothing is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nadhir.health.outcomes import (
    FACILITY_ID,
    ISO_WEEK,
    OutcomeError,
    OutcomeRecord,
    record_from_fields,
)
from nadhir.intake.field_reports import FieldReportError, Mandates

KEYWORDS_EN = ("outcomes", "outcome")
KEYWORDS_AR = ("ولادات", "نتائج")
# Field name as written -> count (English, then Arabic).
FIELD_NAMES: dict[str, str] = {
    "live": "live_births", "lb": "live_births", "fresh": "stillbirths_fresh", "sbf": "stillbirths_fresh",
    "macerated": "stillbirths_macerated", "sbm": "stillbirths_macerated", "miscarriages": "miscarriages",
    "misc": "miscarriages", "preterm": "preterm_births", "pt": "preterm_births", "lbw": "low_birth_weight",
    "neonatal": "neonatal_deaths", "nnd": "neonatal_deaths", "maternal": "maternal_deaths",
    "md": "maternal_deaths", "cs": "caesarean_sections", "caesarean": "caesarean_sections",
    "referrals": "referrals_out", "ref": "referrals_out",
    "أحياء": "live_births", "احياء": "live_births", "حديث": "stillbirths_fresh",
    "متعطن": "stillbirths_macerated",
    "إجهاض": "miscarriages", "اجهاض": "miscarriages", "خدج": "preterm_births", "ناقص": "low_birth_weight",
    "وليد": "neonatal_deaths", "أمهات": "maternal_deaths", "امهات": "maternal_deaths",
    "قيصرية": "caesarean_sections", "إحالة": "referrals_out", "احالة": "referrals_out",
}  # fmt: skip
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# A kept record and how it was kept: "added" or "replaced".
Keep = Callable[[OutcomeRecord, str, float], str]


def _words(text: str) -> list[str]:
    return text.translate(ARABIC_DIGITS).replace("=", " ").replace(",", " ").replace("،", " ").split()


class OutcomesMessageReader:
    """The ``outcomes`` field report: claims by keyword, checks, keeps through ``keep``, confirms.

    ``keep(record, reporter, t)`` stores the record and says ``"added"`` or ``"replaced"``;
    ``mandates`` say which facilities a reporter sends for (and so which one a message that names
    none is for); ``known(facility)`` whether the facility is one of the region's.
    """

    kind = "outcomes"

    def __init__(self, keep: Keep, mandates: Mandates, known: Callable[[str], bool] | None = None) -> None:
        self._keep = keep
        self._mandates = mandates
        self._known = known

    def claims(self, text: str) -> bool:
        """Whether the message opens with ``outcomes`` or ``ولادات``."""
        words = text.strip().split(maxsplit=1)
        return bool(words) and words[0].lower() in (*KEYWORDS_EN, *KEYWORDS_AR)

    def take(self, reporter: str, text: str, t: float) -> str:
        """Read, check and keep one message; the confirmation, or :class:`FieldReportError`."""
        words = _words(text)
        arabic = words[0] in KEYWORDS_AR
        self._mandates.check(reporter, arabic=arabic)
        rest = words[1:]
        fields: dict[str, object] = {}
        problems: list[str] = []
        if rest and FACILITY_ID.match(rest[0]) and not ISO_WEEK.match(rest[0]) and not DAY.match(rest[0]) \
                and rest[0].lower() not in FIELD_NAMES:  # fmt: skip
            fields["facility_id"] = rest.pop(0)
        elif mine := self._mandates.only_place(reporter):
            fields["facility_id"] = mine
        if rest and (ISO_WEEK.match(rest[0]) or DAY.match(rest[0])):
            when = rest.pop(0)
            fields["period"] = "week" if ISO_WEEK.match(when) else "day"
            fields["period_start"] = when
        while rest:
            name = rest.pop(0)
            count = FIELD_NAMES.get(name.lower())
            if count is None:
                problems.append(f"unknown field {name!r}")
                continue
            if not rest:
                problems.append(f"{name} has no number")
                break
            fields[count] = rest.pop(0)
        facility = fields.get("facility_id")
        if isinstance(facility, str) and self._known is not None and not self._known(facility):
            problems.append(f"no facility {facility!r}")
        elif isinstance(facility, str):
            try:
                self._mandates.check(reporter, facility, arabic=arabic)
            except FieldReportError as exc:
                problems.append(str(exc))
        try:
            record = record_from_fields(fields)
        except OutcomeError as exc:
            problems.append(str(exc))
        if problems:
            raise FieldReportError(_refusal(problems, arabic))
        how = self._keep(record, reporter, t)
        return _confirmation(record, how, arabic)


def _refusal(problems: list[str], arabic: bool) -> str:
    hint = " ".join(f"{k} N" for k in ("live", "fresh", "macerated", "miscarriages", "preterm", "lbw",
                                        "neonatal", "maternal"))  # fmt: skip
    if arabic:
        form = "ولادات المنشأة 2026-W14 أحياء N حديث N متعطن N إجهاض N خدج N ناقص N وليد N أمهات N"
        return "لم يُحفظ التقرير: " + "؛ ".join(problems) + ". الصيغة: " + form
    return f"Not kept: {'; '.join(problems)}. Write: outcomes FACILITY 2026-W14 {hint}"


def _confirmation(r: OutcomeRecord, how: str, arabic: bool) -> str:
    if arabic:
        again = " (حلّ محل التقرير السابق)" if how == "replaced" else ""
        return (f"تم الاستلام: {r.facility_id} {r.label}: {r.live_births} ولادة حية، {r.stillbirths} إملاص "
                f"({r.stillbirths_fresh} حديث، {r.stillbirths_macerated} متعطن)، {r.miscarriages} إجهاض، "
                f"{r.preterm_births} خدج، {r.low_birth_weight} ناقص وزن، {r.neonatal_deaths} وفاة وليد، "
                f"{r.maternal_deaths} وفاة أم{again}. شكراً.")  # fmt: skip
    again = " (replaces the earlier report)" if how == "replaced" else ""
    return (f"Received: {r.facility_id} {r.label}: {r.live_births} live births, {r.stillbirths} "
            f"stillbirths ({r.stillbirths_fresh} fresh, {r.stillbirths_macerated} macerated), "
            f"{r.miscarriages} miscarriages, {r.preterm_births} preterm, {r.low_birth_weight} low birth "
            f"weight, {r.neonatal_deaths} neonatal "
            f"and {r.maternal_deaths} maternal deaths{again}. Thank you.")  # fmt: skip
