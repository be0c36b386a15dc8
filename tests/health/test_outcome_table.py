"""The outcome table reader: any text gives facilities or one OutcomeTableError with its line."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.health.outcome_table import COLUMNS, OutcomeTableError, parse_period, read_table

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
        tables = read_table(io.StringIO("\n".join(lines) + "\n"))
    except OutcomeTableError as exc:
        assert exc.line == 0 or 1 <= exc.line <= len(lines)
        assert str(exc).startswith(f"line {exc.line}: ") or exc.line == 0
        return
    for t in tables:
        assert len(t.periods) == t.counts["live_births"].size
        for values in t.counts.values():
            assert np.all(np.isnan(values) | (values >= 0))


def test_a_daily_table_keeps_its_days_and_gaps() -> None:
    text = HEADER + "\nf,2025-03-04,5,0,0,0,0,0,0,0\nf,2025-03-07,6,1,0,0,0,0,0,0\n"
    (t,) = read_table(io.StringIO(text), period="day")
    assert [p.day for p in t.periods] == [4, 5, 6, 7]
    assert np.isnan(t.indicator("stillbirths")[1])
    assert t.indicator("stillbirths")[3] == 1
    assert t.indicator("total_births")[3] == 7


@pytest.mark.parametrize(
    ("text", "period", "expected"),
    [("2025-W01", "week", date(2024, 12, 30)), ("2025-01-06", "week", date(2025, 1, 6)),
     ("2025-01-07", "day", date(2025, 1, 7))],
)  # fmt: skip
def test_periods_are_dates_or_iso_weeks(text: str, period: str, expected: date) -> None:
    assert parse_period(text, period) == expected


@pytest.mark.parametrize("text", ["2025-W54", "2025-13-01", "next week", "2025-01-07"])
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period_start"):
        parse_period(text, "week")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(OutcomeTableError, match="empty"):
        read_table(io.StringIO(""))
