"""The short status message a facility sends by SMS or Telegram, in English or Arabic.

::

    status idlib-maternity-hospital: doctors 3, incubators 4 of 6, generator, fuel 2 days
    حالة idlib-maternity-hospital: أطباء ٣، حواضن ٤ من ٦، مولدة، وقود ٢ أيام

The keyword (``status``, ``حالة``), then the facility (its id, or its English or Arabic name),
a colon, and items separated by commas (``,`` or ``،``) or new lines. Each item is one thing the
facility says; what it does not say stays as it was (:func:`nadhir.health.status.carry_forward`).
Digits may be Western or Arabic-Indic. The items (docs/health.md, "Message grammar"):

* staff on duty: ``doctors 3``, ``midwives 2``, ``surgeons 1`` ... / ``أطباء ٣``، ``قابلات ٢``
* counts: ``incubators 4 of 6`` (working of total), ``incubators occupied 3``, ``beds 20 of 40``,
  ``theatres in use 1`` / ``حواضن ٤ من ٦``، ``حواضن مشغولة ٣``، ``أسرة ٢٠ من ٤٠``، ``عمليات ١``
* power and fuel: ``generator``, ``grid``, ``solar``, ``no power``, ``fuel 2 days`` /
  ``مولدة``، ``كهرباء``، ``طاقة شمسية``، ``لا كهرباء``، ``وقود ٢ أيام``
* supplies: ``water ok|low|none``, ``oxygen ok|low|none`` / ``ماء متوفر|قليل|مقطوع``
* functioning: ``open``, ``partial``, ``closed``, ``evacuated`` / ``يعمل``، ``يعمل جزئيا``،
  ``متوقف``، ``تم الإخلاء``; damage: ``damage none|slight|partial|full`` / ``ضرر لا|طفيف|جزئي|كامل``
* services: ``caesarean no``, ``blood partial``, ``delivery yes``, ``anc yes``, ``newborn yes`` /
  ``قيصرية لا``، ``نقل دم جزئي``، ``ولادة نعم``

An item that cannot be read is refused by name, and nothing of the message is kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from nadhir.health.status import FacilityStatus, StatusError, check

KEYWORDS = ("status", "حالة", "الحالة")

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ـ": None})


def normalise(text: str) -> str:
    """Lower case, Western digits, Arabic without diacritics and with one alef, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS).lower()
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_ALEF)
    return re.sub(r"\s+", " ", text).strip()


def is_arabic(text: str) -> bool:
    """Whether the message is written in Arabic (any Arabic letter)."""
    return any("\u0600" <= c <= "\u06ff" for c in text)


# Words that only join numbers: "4 of 6", "2 days".
_CONNECTORS = frozenset(
    normalise(w) for w in ("of", "/", "من", "days", "day", "أيام", "ايام", "يوم", "x", "=")
)

# Items with numbers: head words -> what the numbers say.
_COUNTS: dict[str, str] = {}
for _field, _words in {
    "staff:obstetricians": ("obstetricians", "obstetrician", "obs", "أطباء نسائية", "نسائية", "طبيب نسائية"),
    "staff:paediatricians": ("paediatricians", "pediatricians", "paediatrician", "pediatrician",
                             "أطباء أطفال", "طبيب أطفال"),
    "staff:surgeons": ("surgeons", "surgeon", "جراحين", "جراحون", "جراح"),
    "staff:anaesthetists": ("anaesthetists", "anesthetists", "anaesthetist", "anesthetist", "أطباء تخدير",
                            "تخدير"),
    "staff:doctors": ("doctors", "doctor", "physicians", "أطباء", "طبيب", "اطباء"),
    "staff:midwives": ("midwives", "midwife", "قابلات", "قابلة"),
    "staff:nurses": ("nurses", "nurse", "ممرضين", "ممرضات", "ممرض", "تمريض"),
    "incubators": ("incubators", "incubator", "حواضن", "حاضنات"),
    "incubators_occupied": ("incubators occupied", "occupied incubators", "babies in incubators",
                            "حواضن مشغولة", "حاضنات مشغولة", "أطفال في الحواضن"),
    "beds": ("beds", "bed", "أسرة", "اسرة", "أسرّة"),
    "theatres_in_use": ("theatres in use", "theaters in use", "operating", "operations", "عمليات",
                        "غرف عمليات مشغولة", "عمليات جارية"),
    "fuel_days": ("fuel", "وقود", "مازوت", "ديزل"),
}.items():  # fmt: skip
    for _w in _words:
        _COUNTS[normalise(_w)] = _field

# Items without numbers: the whole item -> the fields it sets.
_PHRASES: dict[str, dict[str, Any]] = {}


def _phrases(words: tuple[str, ...], values: dict[str, Any]) -> None:
    for w in words:
        _PHRASES[normalise(w)] = values


_phrases(("generator", "مولدة", "مولد", "امبيرات"), {"power": "generator"})
_phrases(("grid", "mains", "electricity", "كهرباء", "شبكة", "كهرباء عامة"), {"power": "grid"})
_phrases(("solar", "solar power", "طاقة شمسية", "شمسية"), {"power": "solar"})
_phrases(("no power", "no electricity", "لا كهرباء", "بلا كهرباء", "بدون كهرباء"), {"power": "none"})
_phrases(("open", "functioning", "fully functioning", "يعمل", "يعمل بالكامل"), {"functionality": "fully"})
_phrases(("partial", "partially functioning", "يعمل جزئيا", "جزئي"), {"functionality": "partially"})
_phrases(("closed", "not functioning", "متوقف", "مغلق", "لا يعمل"), {"functionality": "not"})
_phrases(("evacuated", "تم الإخلاء", "مخلى", "إخلاء"), {"functionality": "not", "evacuated": True})
_phrases(("no damage", "لا ضرر", "لا أضرار"), {"building": "not"})

_SUPPLY_WORDS = {
    "water": ("water", "ماء", "مياه"),
    "oxygen": ("oxygen", "o2", "أكسجين", "اوكسجين", "أوكسجين"),
}
_SUPPLY_VALUES = {"sufficient": ("ok", "enough", "sufficient", "yes", "متوفر", "كاف", "كافي", "نعم"),
                  "insufficient": ("low", "short", "insufficient", "قليل", "ناقص", "غير كاف"),
                  "none": ("none", "no", "out", "مقطوع", "لا", "لا يوجد", "نفد")}  # fmt: skip
_DAMAGE_WORDS = ("damage", "damaged", "ضرر", "أضرار", "اضرار")
_DAMAGE_VALUES = {"not": ("none", "no", "لا", "لا يوجد"), "slightly": ("slight", "light", "طفيف"),
                  "partially": ("partial", "جزئي"), "fully": ("full", "total", "كامل", "كلي")}  # fmt: skip
_SERVICE_WORDS = {
    "antenatal_care": ("anc", "antenatal", "antenatal care", "متابعة حمل", "رعاية الحوامل"),
    "skilled_birth_attendance": ("delivery", "deliveries", "births", "sba", "ولادة", "توليد"),
    "emonc_8_caesarean": ("caesarean", "cesarean", "c-section", "cs", "قيصرية", "قيصري"),
    "emonc_9_blood_transfusion": ("blood", "transfusion", "blood transfusion", "نقل دم", "دم"),
    "newborn_care": ("newborn", "newborn care", "nicu", "رعاية الوليد", "حديثي الولادة"),
    "emergency_surgery": ("surgery", "جراحة"),
    "trauma_care": ("trauma", "إسعاف", "رضوض"),
}
_AVAILABILITY_VALUES = {"available": ("yes", "ok", "available", "نعم", "متوفر", "متاح"),
                        "partially": ("partial", "limited", "جزئي", "محدود"),
                        "not": ("no", "none", "not available", "لا", "غير متوفر", "متوقف"),
                        "not_provided": ("n/a", "not provided", "لا يقدم")}  # fmt: skip


def _pairs(subjects: dict[str, tuple[str, ...]], values: dict[str, tuple[str, ...]], make: Any) -> None:
    for subject, words in subjects.items():
        for value, value_words in values.items():
            for w in words:
                for v in value_words:
                    _PHRASES[normalise(f"{w} {v}")] = make(subject, value)
                    _PHRASES.setdefault(normalise(f"{v} {w}"), make(subject, value))


_pairs(_SUPPLY_WORDS, _SUPPLY_VALUES, lambda s, v: {s: v})
_pairs({"building": _DAMAGE_WORDS}, _DAMAGE_VALUES, lambda s, v: {s: v})
_pairs(_SERVICE_WORDS, _AVAILABILITY_VALUES, lambda s, v: {"services": {s: v}})


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """A status message as read: which facility (as written), what it says, in which language."""

    facility: str
    update: FacilityStatus
    arabic: bool


def claims(text: str) -> bool:
    """Whether ``text`` opens with a status keyword (and so is a status message, not a sighting)."""
    first = normalise(text).split(" ", 1)[0].rstrip(":")
    return first in {normalise(k) for k in KEYWORDS}


def read_status_message(text: str) -> StatusMessage:
    """Read a status message; :class:`StatusError` says which item cannot be read."""
    arabic = is_arabic(text)
    norm = normalise(text)
    parts = norm.split(" ", 1)
    if not parts or parts[0].rstrip(":") not in {normalise(k) for k in KEYWORDS}:
        raise StatusError("a status message starts with 'status' or 'حالة'")
    rest = parts[1] if len(parts) > 1 else ""
    if ":" in rest:
        facility, body = rest.split(":", 1)
    else:  # "status idlib-maternity-hospital doctors 3, ...": the facility is the first word
        facility, _, body = rest.partition(" ")
    facility = facility.strip()
    if not facility:
        raise StatusError("say which facility: status FACILITY: doctors 3, fuel 2 days")
    items = [i.strip(" .") for i in re.split(r"[,،;؛\n]", body) if i.strip(" .")]
    if not items:
        raise StatusError("say what has changed: status FACILITY: doctors 3, incubators 4 of 6, fuel 2 days")
    values: dict[str, Any] = {}
    for item in items:
        for name, value in _read_item(item).items():
            if name in ("staff", "services"):
                values.setdefault(name, {}).update(value)
            elif name in values and values[name] != value:
                raise StatusError(f"{name.replace('_', ' ')} is said twice, differently")
            else:
                values[name] = value
    update = FacilityStatus(**values)
    check(update)
    return StatusMessage(facility, update, arabic)


def _read_item(item: str) -> dict[str, Any]:
    if item in _PHRASES:
        return _PHRASES[item]
    spaced = re.sub(r"(\d+(?:\.\d+)?)", r" \1 ", item.replace("/", " / "))
    words = spaced.split()
    numbers = [w for w in words if re.fullmatch(r"\d+(?:\.\d+)?", w)]
    head = " ".join(w for w in words if w not in numbers and w not in _CONNECTORS)
    field = _COUNTS.get(head)
    if field is None:
        raise StatusError(f"cannot read {item!r} (see the message grammar: doctors 3, incubators 4 of 6, "
                          "generator, fuel 2 days, water low, caesarean no)")  # fmt: skip
    if not numbers or len(numbers) > 2 or (len(numbers) == 2 and field not in ("incubators", "beds")):
        raise StatusError(
            f"cannot read {item!r}: give one number"
            + (" or 'N of M'" if field in ("incubators", "beds") else "")
        )
    if field == "fuel_days":
        return {"fuel_days": float(numbers[0])}
    if any("." in n for n in numbers):
        raise StatusError(f"cannot read {item!r}: counts are whole numbers")
    counts = [int(n) for n in numbers]
    if field.startswith("staff:"):
        return {"staff": {field.split(":", 1)[1]: counts[0]}}
    if field in ("incubators", "beds"):
        out = {f"{field}_working": counts[0]}
        if len(counts) == 2:
            out[f"{field}_total"] = counts[1]
        return out
    return {field: counts[0]}
