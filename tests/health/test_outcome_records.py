"""Outcome records: the checks a report passes before anything keeps it, and CSV in and out."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.health.outcomes import (
    COUNTS,
    OutcomeError,
    OutcomeRecord,
    check,
    parse_count,
    parse_period_start,
    period_label,
    problems,
    record_from_fields,
    week_start,
)
from nadhir.health.outcomes_csv import OutcomeCsvError, read_outcomes_csv, write_outcomes_csv

HEADER = ("facility_id,period_start,live_births,stillbirths_fresh,stillbirths_macerated,miscarriages,"
          "preterm_births,low_birth_weight,neonatal_deaths,maternal_deaths")  # fmt: skip


def fields(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {"facility_id": "idlib-maternity-hospital", "period_start": "2026-03-30",
            "live_births": "120", "stillbirths_fresh": "2", "stillbirths_macerated": "1", "miscarriages": "4",
            "preterm_births": "11", "low_birth_weight": "13", "neonatal_deaths": "2",
            "maternal_deaths": "0"}  # fmt: skip
    base.update(changes)
    return base


def test_a_good_report_is_read_with_its_totals() -> None:
    r = record_from_fields(fields(caesarean_sections="31"))
    assert (r.period, r.period_start, r.label) == ("week", dt.date(2026, 3, 30), "2026-W14")
    assert (r.stillbirths, r.total_births, r.caesarean_sections, r.referrals_out) == (3, 123, 31, None)
    assert r.period_end == dt.date(2026, 4, 6)


def test_a_week_can_be_named_by_its_iso_label_and_must_start_on_a_monday() -> None:
    assert record_from_fields(fields(period_start="2026-W14")).period_start == dt.date(2026, 3, 30)
    with pytest.raises(OutcomeError, match="2026-04-01 is in the week of 2026-03-30"):
        record_from_fields(fields(period_start="2026-04-01"))
    day = record_from_fields(fields(period="day", period_start="2026-04-01"))
    assert (day.period, day.label) == ("day", "2026-04-01")
    with pytest.raises(OutcomeError, match="no such ISO week"):
        week_start("2026-W54")
    assert week_start("2020-W53") == dt.date(2020, 12, 28)  # a 53-week year


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"preterm_births": "121"}, "preterm_births (121) cannot exceed live_births (120)"),
        ({"low_birth_weight": "200"}, "low_birth_weight (200) cannot exceed live_births (120)"),
        ({"caesarean_sections": "124"}, "caesarean_sections (124) cannot exceed total births"),
        ({"miscarriages": "-1"}, "miscarriages cannot be negative"),
        ({"neonatal_deaths": "2.5"}, "neonatal_deaths must be a whole number"),
        ({"live_births": "many"}, "live_births must be a whole number"),
        ({"maternal_deaths": ""}, "maternal_deaths is missing"),
        ({"live_births": "999999"}, "more than any ward reports"),
        ({"live_births": "9" * 5000}, "has too many digits to be a count"),  # past int()'s own limit
        ({"facility_id": "bad id!"}, "facility_id 'bad id!' must be"),
        ({"period": "month"}, "period must be day or week"),
        ({"period_start": "30/03/2026"}, "period_start must be a date"),
    ],
)
def test_a_bad_report_is_refused_with_a_reason(change: dict[str, object], words: str) -> None:
    with pytest.raises(OutcomeError, match=words.replace("(", r"\(").replace(")", r"\)")):
        record_from_fields(fields(**change))


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(OutcomeError) as err:
        record_from_fields(fields(live_births="-3", miscarriages="x", maternal_deaths=None))
    text = str(err.value)
    assert "live_births cannot be negative" in text and "miscarriages must be" in text
    assert "maternal_deaths is missing" in text


def test_the_rules_hold_for_records_built_in_code_too() -> None:
    r = OutcomeRecord("f1", "week", dt.date(2026, 3, 31), 10, 0, 0, 0, 11, 0, 0, 0)
    assert problems(r) == ["a week starts on a Monday, not on 2026-03-31"]
    with pytest.raises(OutcomeError):
        check(OutcomeRecord("f1", "week", dt.date(2026, 3, 30), 10, -1, 0, 0, 0, 0, 0, 0))
    assert parse_count("n", 7.0) == 7
    with pytest.raises(OutcomeError):
        parse_count("n", True)


counts = st.integers(0, 400)


@st.composite
def records(draw: st.DrawFn) -> OutcomeRecord:
    live = draw(counts)
    fresh, macerated = draw(st.integers(0, 30)), draw(st.integers(0, 30))
    monday = dt.date(2024, 1, 1) + dt.timedelta(weeks=draw(st.integers(0, 200)))
    cs = draw(st.none() | st.integers(0, live + fresh + macerated))
    return OutcomeRecord(
        draw(st.sampled_from(["idlib-maternity-hospital", "sarmada-hospital", "h.2"])), "week", monday, live,
        fresh, macerated, draw(counts), draw(st.integers(0, live)), draw(st.integers(0, live)), draw(counts),
        draw(st.integers(0, 5)), cs, draw(st.none() | counts),
    )  # fmt: skip


@given(st.lists(records(), max_size=12, unique_by=lambda r: (r.facility_id, r.period_start)))
def test_csv_written_then_read_gives_the_same_records(rs: list[OutcomeRecord]) -> None:
    assert read_outcomes_csv(write_outcomes_csv(rs)) == rs


def test_a_bad_row_is_named_by_its_line_and_nothing_is_read() -> None:
    text = "\n".join([
        HEADER,
        "sarmada-hospital,2026-03-30,80,1,0,3,7,9,1,0",
        "sarmada-hospital,2026-04-06,80,1,0,3,97,9,1,0",  # line 3: preterm > live
        "",
        "sarmada-hospital,2026-03-30,81,1,0,3,7,9,1,0",  # line 5: the same week again
        "sarmada-hospital,2026-04-13,80,1,0,3,7,9,1",  # line 6: a field short
    ])  # fmt: skip
    with pytest.raises(OutcomeCsvError) as err:
        read_outcomes_csv(text)
    msg = str(err.value)
    assert msg.startswith("3 bad line(s), the whole file is refused")
    assert "line 3: preterm_births (97) cannot exceed live_births (80)" in msg
    assert "line 5: sarmada-hospital 2026-W14 is already on line 2" in msg
    assert "line 6: maternal_deaths is missing" in msg


def test_the_header_must_name_the_columns() -> None:
    with pytest.raises(OutcomeCsvError, match="line 1: missing column"):
        read_outcomes_csv("facility_id,period_start,live_births\nx,2026-03-30,1\n")
    with pytest.raises(OutcomeCsvError, match="unknown column"):
        read_outcomes_csv(HEADER + ",twins\n")
    with pytest.raises(OutcomeCsvError, match="empty"):
        read_outcomes_csv("")
    # A spreadsheet's byte-order mark and the optional columns are fine.
    got = read_outcomes_csv("\ufeff" + HEADER + ",caesarean_sections\nh1,2026-W14,5,0,0,0,0,0,0,0,2\n")
    assert got[0].caesarean_sections == 2 and period_label("week", got[0].period_start) == "2026-W14"
    assert parse_period_start("2026-03-30", "day") == dt.date(2026, 3, 30)


def test_the_demo_series_reads_clean() -> None:
    from importlib import resources

    text = (resources.files("nadhir") / "data" / "health" / "outcomes-demo.csv").read_text(encoding="utf-8")
    rs = read_outcomes_csv(text)
    assert len({r.facility_id for r in rs}) == 9
    maternity = [r for r in rs if r.facility_id == "idlib-maternity-hospital"]
    assert len(maternity) == 104 and all(30 <= r.total_births <= 300 for r in maternity)


FIELD_NAMES = ["facility_id", "period", "period_start", *COUNTS]
values = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-5, 60_000), st.floats(allow_nan=True), st.booleans()
)


@given(st.dictionaries(st.sampled_from(FIELD_NAMES), values))
def test_any_fields_give_a_checked_record_or_a_reason(raw: dict[str, object]) -> None:
    try:
        r = record_from_fields(raw)
    except OutcomeError as exc:
        assert str(exc)  # a reason, never an empty refusal
        return
    assert problems(r) == []
    assert r.preterm_births <= r.live_births and r.low_birth_weight <= r.live_births


@given(st.text(max_size=120))
def test_any_message_after_the_keyword_is_kept_or_refused_with_a_reason(tail: str) -> None:
    from nadhir.domain import Reporter
    from nadhir.health.outcome_messages import OutcomesMessageReader
    from nadhir.intake.field_reports import FieldReports, Mandates

    kept: list[OutcomeRecord] = []

    def keep(record: OutcomeRecord, reporter: str, t: float) -> str:
        kept.append(record)
        return "added"

    ward = Mandates([Reporter("+963933000001", "observer", speaks_for=("idlib-maternity-hospital",))])
    reply = FieldReports([OutcomesMessageReader(keep, ward)]).route("+963933000001", "outcomes " + tail, 0.0)
    assert reply is not None and reply.text
    assert reply.accepted == bool(kept)
