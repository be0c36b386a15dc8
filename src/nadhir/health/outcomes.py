"""Mothers' and newborns' outcomes: one facility's counts for one period (a day or an ISO week).

A record is the counts a maternity ward reports for a period: live births, stillbirths (fresh and
macerated), miscarriages, preterm births, low birth weight, neonatal and maternal deaths,
caesarean sections and referrals out (docs/outcomes.md gives WHO's definitions). It is checked
here, before anything keeps it: counts are whole and not negative, and the parts never exceed
their whole (preterm and low-birth-weight babies are live births; caesareans deliver births). A
record that breaks a rule raises :class:`OutcomeError` naming every problem, so a sender can fix
the lot at once.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Period = Literal["day", "week"]
PERIODS: tuple[Period, ...] = ("day", "week")

# The counts every record has, in the order of the detect CSV's columns.
REQUIRED_COUNTS: tuple[str, ...] = (
    "live_births",
    "stillbirths_fresh",
    "stillbirths_macerated",
    "miscarriages",
    "preterm_births",
    "low_birth_weight",
    "neonatal_deaths",
    "maternal_deaths",
)
# Counts a facility may leave out (None: not reported, which is not zero).
OPTIONAL_COUNTS: tuple[str, ...] = ("caesarean_sections", "referrals_out")
COUNTS: tuple[str, ...] = REQUIRED_COUNTS + OPTIONAL_COUNTS

# Far above any ward's week (the largest maternity hospitals deliver ~300 a day); a count above it
# is a typing slip, not a busy week.
MAX_COUNT = 50_000
FACILITY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
WHOLE_NUMBER = re.compile(r"\s*-?\d+\s*")  # a count as text: digits, perhaps signed


class OutcomeError(ValueError):
    """A record that cannot be kept; the text lists every problem."""


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """One facility's outcome counts for one period (``period_start``: the day, or the week's Monday)."""

    facility_id: str
    period: Period
    period_start: dt.date
    live_births: int
    stillbirths_fresh: int
    stillbirths_macerated: int
    miscarriages: int
    preterm_births: int
    low_birth_weight: int
    neonatal_deaths: int
    maternal_deaths: int
    caesarean_sections: int | None = None
    referrals_out: int | None = None

    @property
    def stillbirths(self) -> int:
        """Fresh plus macerated stillbirths."""
        return self.stillbirths_fresh + self.stillbirths_macerated

    @property
    def total_births(self) -> int:
        """Live births plus stillbirths (the denominator of the stillbirth rate)."""
        return self.live_births + self.stillbirths

    @property
    def period_end(self) -> dt.date:
        """The first day after the period."""
        return self.period_start + period_length(self.period)

    @property
    def label(self) -> str:
        """``2026-W14`` for a week, ``2026-04-02`` for a day."""
        return period_label(self.period, self.period_start)

    def counts(self) -> dict[str, int | None]:
        """The counts by name (:data:`COUNTS`)."""
        return {name: getattr(self, name) for name in COUNTS}


def period_length(period: Period) -> dt.timedelta:
    """How long one period is."""
    return dt.timedelta(days=7 if period == "week" else 1)


def period_label(period: Period, start: dt.date) -> str:
    """A period as people write it: ISO week ``YYYY-Www`` or the day."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


def week_start(label: str) -> dt.date:
    """The Monday of ISO week ``YYYY-Www``; :class:`OutcomeError` for anything else."""
    m = ISO_WEEK.match(label.strip())
    if m is None:
        raise OutcomeError(f"week must be written YYYY-Www (2026-W14), not {label!r}")
    try:
        return dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError as exc:
        raise OutcomeError(f"no such ISO week: {label!r}") from exc


def parse_period_start(text: str, period: Period) -> dt.date:
    """A period's start from ``YYYY-MM-DD`` (a week's must be a Monday) or, for a week, ``YYYY-Www``."""
    text = text.strip()
    if period == "week" and ISO_WEEK.match(text):
        return week_start(text)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise OutcomeError(f"period_start must be a date YYYY-MM-DD, not {text!r}") from exc
    if period == "week" and day.weekday() != 0:
        monday = day - dt.timedelta(days=day.weekday())
        raise OutcomeError(
            f"period_start {day} is a {day:%A}; a week starts on a Monday: {day} is in the week of {monday}"
        )
    return day


def parse_count(name: str, value: object) -> int:
    """One count from text or a number: a whole number, 0 to :data:`MAX_COUNT`."""
    if isinstance(value, str):
        if len(value) <= 6 and value.isdecimal():
            n = int(value)  # most counts: plain digits (a table of 50,000 rows holds 500,000)
        elif WHOLE_NUMBER.fullmatch(value):  # a sign, spaces around, or many digits
            if len(value.strip().lstrip("-").lstrip("0")) > len(str(MAX_COUNT)):
                # too many digits to be a count (and past what int() converts, beyond 4,300)
                raise OutcomeError(f"{name} {value.strip()[:12]}... has too many digits to be a count")
            n = int(value)
        else:
            raise OutcomeError(f"{name} must be a whole number, not {value!r}")
    elif isinstance(value, bool):
        raise OutcomeError(f"{name} must be a whole number, not {value!r}")
    elif isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    else:
        raise OutcomeError(f"{name} must be a whole number, not {value!r}")
    if n < 0:
        raise OutcomeError(f"{name} cannot be negative ({n})")
    if n > MAX_COUNT:
        raise OutcomeError(f"{name} = {n} is more than any ward reports ({MAX_COUNT})")
    return n


def problems(record: OutcomeRecord) -> list[str]:
    """Every rule the record breaks (empty when it can be kept)."""
    out: list[str] = []
    if not FACILITY_ID.match(record.facility_id):
        out.append(f"facility_id {record.facility_id!r} must be letters, digits and . _ : - (at most 100)")
    if record.period not in PERIODS:
        out.append(f"period must be day or week, not {record.period!r}")
    elif record.period == "week" and record.period_start.weekday() != 0:
        out.append(f"a week starts on a Monday, not on {record.period_start}")
    for name in COUNTS:
        value = getattr(record, name)
        if value is None and name in OPTIONAL_COUNTS:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MAX_COUNT:
            out.append(f"{name} must be a whole number from 0 to {MAX_COUNT}, not {value!r}")
    if out:
        return out
    if record.preterm_births > record.live_births:
        out.append(
            f"preterm_births ({record.preterm_births}) cannot exceed live_births ({record.live_births})"
        )
    if record.low_birth_weight > record.live_births:
        out.append(
            f"low_birth_weight ({record.low_birth_weight}) cannot exceed live_births ({record.live_births})"
        )
    cs = record.caesarean_sections
    if cs is not None and cs > record.total_births:
        out.append(
            f"caesarean_sections ({cs}) cannot exceed total births "
            f"(live {record.live_births} + stillborn {record.stillbirths} = {record.total_births})"
        )
    return out


def check(record: OutcomeRecord) -> OutcomeRecord:
    """The record itself when it can be kept; :class:`OutcomeError` listing its problems otherwise."""
    found = problems(record)
    if found:
        raise OutcomeError("; ".join(found))
    return record


def record_from_fields(fields: Mapping[str, object], *, default_period: Period = "week") -> OutcomeRecord:
    """A checked record from named fields (a CSV row, a JSON body, a read message).

    ``facility_id`` and ``period_start`` are required, ``period`` defaults to ``default_period``,
    the eight counts of :data:`REQUIRED_COUNTS` are required and the two of
    :data:`OPTIONAL_COUNTS` may be missing or empty. Every problem is reported at once.
    """
    errors: list[str] = []
    facility = str(fields.get("facility_id") or "").strip()
    if not facility:
        errors.append("facility_id is missing")
    period_text = str(fields.get("period") or default_period).strip().lower()
    period: Period = "week"
    if period_text == "day":
        period = "day"
    elif period_text != "week":
        errors.append(f"period must be day or week, not {period_text!r}")
    start = dt.date(1970, 1, 5)
    raw_start = fields.get("period_start")
    if raw_start is None or str(raw_start).strip() == "":
        errors.append("period_start is missing")
    else:
        try:
            start = parse_period_start(str(raw_start), period)
        except OutcomeError as exc:
            errors.append(str(exc))
    counts: dict[str, int | None] = {}
    for name in COUNTS:
        raw = fields.get(name)
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if name in REQUIRED_COUNTS:
                errors.append(f"{name} is missing")
            counts[name] = None
            continue
        try:
            counts[name] = parse_count(name, raw)
        except OutcomeError as exc:
            errors.append(str(exc))
    if errors:
        raise OutcomeError("; ".join(errors))
    c = {name: int(counts[name] or 0) for name in REQUIRED_COUNTS}  # all present: checked above
    record = OutcomeRecord(
        facility, period, start, c["live_births"], c["stillbirths_fresh"], c["stillbirths_macerated"],
        c["miscarriages"], c["preterm_births"], c["low_birth_weight"], c["neonatal_deaths"],
        c["maternal_deaths"], counts["caesarean_sections"], counts["referrals_out"],
    )  # fmt: skip
    return check(record)
