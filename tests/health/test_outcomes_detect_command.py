"""`nadhir outcomes detect` on realistic tables: its JSON lines, and bad rows refused by line number."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nadhir.service.cli import build_app

DATA = Path(__file__).resolve().parents[1] / "data" / "outcomes" / "weekly-3-facilities.csv"
KEYS = ["facility_id", "period_start", "indicator", "method", "observed", "expected", "threshold", "alarm"]
HEADER = DATA.read_text(encoding="utf-8").splitlines()[0]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app("outcomes"), ["outcomes", "detect", *args])
    return result.exit_code, result.stdout, result.stderr


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_one_json_object_per_facility_period_with_stillbirths_fresh_plus_macerated() -> None:
    code, out, _ = run(str(DATA), "--indicator", "stillbirths", "--method", "auto", "--json")
    assert code == 0
    rows = lines(out)
    assert len(rows) == 3 * 104
    assert all(list(r) == KEYS for r in rows)
    table = [line.split(",") for line in DATA.read_text(encoding="utf-8").splitlines()[1:]]
    for r, cells in zip(rows, table, strict=True):
        assert (r["facility_id"], r["period_start"]) == (cells[0], cells[1])
        assert r["observed"] == int(cells[3]) + int(cells[4])
        assert r["indicator"] == "stillbirths"
    # idlib-maternity's planted rise (weeks 80-87, x2.5) is found within 6 weeks.
    idlib = [r for r in rows if r["facility_id"] == "idlib-maternity"]
    assert any(r["alarm"] for r in idlib[80:86])
    assert idlib[0]["expected"] is None and idlib[0]["threshold"] is None
    assert idlib[100]["method"] == "binomial-cusum"
    assert isinstance(idlib[100]["expected"], float)


@pytest.mark.parametrize(
    "method", ["ears-c1", "ears-c2", "ears-c3", "cusum", "binomial-cusum", "farrington", "auto"]
)
def test_every_method_runs_on_the_table(method: str) -> None:
    code, out, _ = run(str(DATA), "--indicator", "preterm_births", "--method", method, "--json")
    assert code == 0
    rows = lines(out)
    assert len(rows) == 3 * 104
    assert {r["method"] for r in rows} == {"binomial-cusum" if method == "auto" else method}


def test_without_json_it_prints_the_alarms() -> None:
    code, out, _ = run(str(DATA), "--indicator", "stillbirths")
    assert code == 0
    assert "alarm(s) in 312 facility-periods" in out
    assert "idlib-maternity" in out


def test_a_missing_week_is_left_out_and_iso_weeks_are_read(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text(
        HEADER + "\n"
        "kafr-takharim,2025-W01,60,1,0,7,6,8,1,0\n"
        "kafr-takharim,2025-W02,58,0,1,6,5,7,0,0\n"
        "kafr-takharim,2025-01-20,61,1,1,8,7,9,1,0\n",
        encoding="utf-8",
    )
    code, out, _ = run(str(path), "--indicator", "stillbirths", "--method", "cusum", "--json")
    assert code == 0
    assert [r["period_start"] for r in lines(out)] == ["2024-12-30", "2025-01-06", "2025-01-20"]


GOOD = "kafr-takharim,2025-01-06,60,1,0,7,6,8,1,0"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "kafr-takharim,2025-01-13,sixty,1,0,7,6,8,1,0",
            "line 3: live_births must be a whole number, not 'sixty'",
        ),
        (
            "kafr-takharim,2025-01-13,60,-1,0,7,6,8,1,0",
            r"line 3: stillbirths_fresh cannot be negative \(-1\)",
        ),
        (
            "kafr-takharim,2025-01-13,60,1.5,0,7,6,8,1,0",
            "line 3: stillbirths_fresh must be a whole number, not '1.5'",
        ),
        ("kafr-takharim,2025-01-13,60,1,0,7,6,8,1", "line 3: maternal_deaths is missing"),
        (
            "kafr-takharim,2025-01-14,60,1,0,7,6,8,1,0",
            "line 3: period_start 2025-01-14 is a Tuesday; a week starts on a Monday",
        ),
        (
            "kafr-takharim,13/01/2025,60,1,0,7,6,8,1,0",
            "line 3: period_start must be a date YYYY-MM-DD, not '13/01/2025'",
        ),
        (
            "kafr-takharim,2025-01-13,60,1,0,7,61,8,1,0",
            r"line 3: preterm_births \(61\) cannot exceed live_births \(60\)",
        ),
        (",2025-01-13,60,1,0,7,6,8,1,0", "line 3: facility_id is missing"),
        (GOOD, "line 3: kafr-takharim 2025-W02 is already on line 2"),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_nothing_is_printed(
    tmp_path: Path, row: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{row}\n", encoding="utf-8")
    code, out, err = run(str(path), "--indicator", "stillbirths", "--json")
    assert code == 2
    assert out == ""
    assert re.search(message, " ".join(err.split()))


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text(HEADER.replace(",maternal_deaths", "") + "\n", encoding="utf-8")
    code, _, err = run(str(path), "--indicator", "stillbirths")
    assert code == 2
    assert "line 1: missing column(s): maternal_deaths" in " ".join(err.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--indicator", "abortions"], "unknown indicator 'abortions'"),
        (["--indicator", "stillbirths", "--method", "c4"], "unknown method 'c4'"),
        (["--indicator", "miscarriages", "--method", "binomial-cusum"], "miscarriages has no denominator"),
        (
            ["--indicator", "stillbirths", "--method", "farrington", "--period", "day"],
            "farrington reads weekly series only",
        ),
    ],
)
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    code, out, err = run(str(DATA), *args)
    assert code == 2
    assert out == ""
    assert message in " ".join(err.split())
