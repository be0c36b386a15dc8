"""The outcome table reader: any text gives facilities or one OutcomeCsvError naming its bad lines."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.health.outcome_table import COLUMNS, read_table
from nadhir.health.outcomes import Period, parse_period_start
from nadhir.health.outcomes_csv import OutcomeCsvError

HEADER = ",".join(COLUMNS)
cell = st.one_of(
    st.integers(-3, 300).map(str), st.text(max_size=6), st.sampled_from(["", "1.0", " 4", "2025-W03"])
)
row = st.lists(cell, min_size=8, max_size=11)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(row, max_size=6), dates=st.lists(st.dates(date(2020, 1, 1), date(2026, 12, 31)), max_size=6)
)
def test_any_table_reads_whole_or_is_refused_with_a_line(rows: list[list[str]], dates: list[date]) -> None:
    lines = [HEADER]
    for i, cells in enumerate(rows):
        start = dates[i].isoformat() if i < len(dates) else cells[0]
        lines.append(",".join(["f1", start, *cells]).replace("\n", " ").replace("\r", " "))
    try:
        tables = read_table("\n".join(lines) + "\n")
    except OutcomeCsvError as exc:
        assert exc.lines and all(1 <= line <= len(lines) for line in exc.lines)
        assert all(f"line {line}: {what}" in str(exc) for line, what in exc.problems)
        return
    for t in tables:
        assert len(t.periods) == t.counts["live_births"].size
        for values in t.counts.values():
            assert np.all(np.isnan(values) | (values >= 0))


def test_a_daily_table_keeps_its_days_and_gaps() -> None:
    text = HEADER + "\nf,2025-03-04,5,0,0,0,0,0,0,0\nf,2025-03-07,6,1,0,0,0,0,0,0\n"
    (t,) = read_table(text, period="day")
    assert [p.day for p in t.periods] == [4, 5, 6, 7]
    assert np.isnan(t.indicator("stillbirths")[1])
    assert t.indicator("stillbirths")[3] == 1
    assert t.indicator("total_births")[3] == 7


@pytest.mark.parametrize(
    ("text", "period", "expected"),
    [("2025-W01", "week", date(2024, 12, 30)), ("2025-01-06", "week", date(2025, 1, 6)),
     ("2025-01-07", "day", date(2025, 1, 7))],
)  # fmt: skip
def test_periods_are_dates_or_iso_weeks(text: str, period: Period, expected: date) -> None:
    assert parse_period_start(text, period) == expected


@pytest.mark.parametrize("text", ["2025-W54", "2025-13-01", "next week", "2025-01-07"])
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=text):  # the error names what it could not read
        parse_period_start(text, "week")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(OutcomeCsvError, match="empty"):
        read_table("")
