"""Outcome records from CSV: all of a file, or none of it. The one reader of the outcomes CSV.

The columns are ``facility_id, period_start, live_births, stillbirths_fresh,
stillbirths_macerated, miscarriages, preterm_births, low_birth_weight, neonatal_deaths,
maternal_deaths``, with ``caesarean_sections``, ``referrals_out`` and ``period`` (``week``, the
default, or ``day``) optional. Each row is checked as every record is
(:func:`nadhir.health.outcomes.record_from_fields`, the checks the API and the field messages
use too). Every bad row is reported with its line number, and the file is refused whole, so that
neither an import nor a detector's run (:mod:`nadhir.health.outcome_table`) keeps half a file.
"""

from __future__ import annotations

import csv
import io

from nadhir.health.outcomes import (
    COUNTS,
    REQUIRED_COUNTS,
    OutcomeError,
    OutcomeRecord,
    Period,
    record_from_fields,
)

KNOWN_COLUMNS = frozenset({"facility_id", "period_start", "period", *COUNTS})
MAX_PROBLEMS = 20  # lines named in one error; the rest are counted


class OutcomeCsvError(ValueError):
    """A CSV file refused whole; ``problems`` are (line, what is wrong), the header being line 1."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = [f"line {line}: {what}" for line, what in problems[:MAX_PROBLEMS]]
        more = len(problems) - len(shown)
        tail = f"\n... and {more} more bad line(s)" if more else ""
        super().__init__(
            f"{len(problems)} bad line(s), the whole file is refused:\n" + "\n".join(shown) + tail
        )

    @property
    def lines(self) -> list[int]:
        """The numbers of the bad lines, in file order."""
        return [line for line, _ in self.problems]


def read_outcomes_csv(
    text: str, *, period: Period | None = None, ignore_other_columns: bool = False
) -> list[OutcomeRecord]:
    """Every row of ``text`` as a checked record, in file order, or :class:`OutcomeCsvError`.

    The error names each bad line (the header is line 1), a missing column, and a facility-period
    given twice. ``period`` reads a table of one period (``nadhir outcomes detect --period``): a
    row's own ``period`` column may only repeat it. A column the reader does not know is refused
    (a misspelt optional count would otherwise be dropped without a word) unless
    ``ignore_other_columns`` (the detector reads tables exported with columns of their own).
    """
    if text.startswith("\ufeff"):  # spreadsheets save CSV with a byte-order mark
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise OutcomeCsvError([(1, f"not CSV ({exc})")]) from None
    if not header:
        raise OutcomeCsvError([(1, "the file is empty; its first line must name the columns")])
    reader.fieldnames = header
    missing = [c for c in ("facility_id", "period_start", *REQUIRED_COUNTS) if c not in header]
    unknown = [] if ignore_other_columns else [c for c in header if c not in KNOWN_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        raise OutcomeCsvError([(1, "; ".join(parts))])
    records: list[OutcomeRecord] = []
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, str, str], int] = {}
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # a stray carriage return in a field: the rest cannot be split
            errors.append((reader.line_num, f"not CSV ({exc})"))
            break
        line = reader.line_num
        if None in row:
            errors.append((line, "more fields than columns"))
            continue
        if all((v or "").strip() == "" for v in row.values()):
            continue  # a blank line
        try:
            record = record_from_fields(row, default_period=period or "week")
        except OutcomeError as exc:
            errors.append((line, str(exc)))
            continue
        if period is not None and record.period != period:
            errors.append((line, f"period is {record.period}, in a table read by {period}"))
            continue
        key = (record.facility_id, record.period, record.period_start.isoformat())
        if key in seen:
            errors.append((line, f"{record.facility_id} {record.label} is already on line {seen[key]}"))
            continue
        seen[key] = line
        records.append(record)
    if errors:
        raise OutcomeCsvError(errors)
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
