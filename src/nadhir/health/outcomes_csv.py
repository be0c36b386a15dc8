"""Outcome records from CSV: all of a file, or none of it.

The columns are those of ``nadhir outcomes detect`` (``facility_id, period_start, live_births,
stillbirths_fresh, stillbirths_macerated, miscarriages, preterm_births, low_birth_weight,
neonatal_deaths, maternal_deaths``), with ``caesarean_sections``, ``referrals_out`` and
``period`` (``week``, the default, or ``day``) optional. A bad row is reported with its line
number, and the file is refused whole, so that an import never keeps half a file.
"""

from __future__ import annotations

import csv
import io

from nadhir.health.outcomes import COUNTS, REQUIRED_COUNTS, OutcomeError, OutcomeRecord, record_from_fields

KNOWN_COLUMNS = frozenset({"facility_id", "period_start", "period", *COUNTS})
MAX_PROBLEMS = 20  # lines named in one error; the rest are counted


class OutcomeCsvError(ValueError):
    """A CSV file that cannot be imported; names the lines and what is wrong with each."""


def read_outcomes_csv(text: str) -> list[OutcomeRecord]:
    """Every row of ``text`` as a checked record, in file order, or :class:`OutcomeCsvError`.

    The error names each bad line (the header is line 1), an unknown or missing column, and a
    facility-period given twice.
    """
    if text.startswith("\ufeff"):  # spreadsheets save CSV with a byte-order mark
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise OutcomeCsvError("the file is empty: line 1 must name the columns")
    reader.fieldnames = header
    missing = [c for c in ("facility_id", "period_start", *REQUIRED_COUNTS) if c not in header]
    unknown = [c for c in header if c not in KNOWN_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        raise OutcomeCsvError(f"line 1: {'; '.join(parts)}")
    records: list[OutcomeRecord] = []
    errors: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(f"line {line}: more fields than columns")
            continue
        if all((v or "").strip() == "" for v in row.values()):
            continue  # a blank line
        try:
            record = record_from_fields(row)
        except OutcomeError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        key = (record.facility_id, record.period, record.period_start.isoformat())
        if key in seen:
            errors.append(f"line {line}: {record.facility_id} {record.label} is already on line {seen[key]}")
            continue
        seen[key] = line
        records.append(record)
    if errors:
        shown = errors[:MAX_PROBLEMS]
        more = len(errors) - len(shown)
        tail = f"\n... and {more} more bad line(s)" if more else ""
        raise OutcomeCsvError(f"{len(errors)} bad line(s), nothing imported:\n" + "\n".join(shown) + tail)
    return records


def write_outcomes_csv(records: list[OutcomeRecord]) -> str:
    """Records as CSV with every column (the inverse of :func:`read_outcomes_csv`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["facility_id", "period", "period_start", *COUNTS])
    for r in records:
        counts = r.counts()
        writer.writerow([r.facility_id, r.period, r.period_start.isoformat(),
                         *("" if counts[c] is None else counts[c] for c in COUNTS)])  # fmt: skip
    return out.getvalue()
