"""The status message, in English and in Arabic with Arabic-Indic digits, and its reader."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.domain import Reporter, Site
from nadhir.health.facilities import health_facilities
from nadhir.health.status import FacilityStatus, StatusError
from nadhir.health.status_desk import Merge, StatusDesk, describe, describe_ar
from nadhir.health.status_message import claims, read_status_message
from nadhir.health.status_reader import FacilityStatusReader
from nadhir.intake.field_reports import FieldReports, Mandates

T0 = 1_763_000_000.0
MATERNITY = Site("idlib-maternity-hospital", "Idlib Maternity Hospital", "hospital", 35.93, 36.63, 500.0,
                 name_ar="مشفى التوليد في إدلب")  # fmt: skip
SARMADA = Site("sarmada-hospital", "Sarmada Hospital", "hospital", 36.19, 36.72, 500.0)


def test_the_issue_example_in_english() -> None:
    m = read_status_message(
        "status idlib-maternity-hospital: doctors 3, incubators 4 of 6, generator, fuel 2 days"
    )
    assert (m.facility, m.arabic) == ("idlib-maternity-hospital", False)
    assert m.update == FacilityStatus(staff={"doctors": 3}, incubators_working=4, incubators_total=6,
                                      power="generator", fuel_days=2.0)  # fmt: skip


def test_the_issue_example_in_arabic_with_arabic_indic_digits() -> None:
    m = read_status_message("حالة مشفى التوليد في إدلب: أطباء ٣، حواضن ٤ من ٦، مولدة، وقود ٢ أيام")
    assert (m.facility, m.arabic) == ("مشفي التوليد في ادلب", True)  # normalised: found by its Arabic name
    assert m.update == FacilityStatus(staff={"doctors": 3}, incubators_working=4, incubators_total=6,
                                      power="generator", fuel_days=2.0)  # fmt: skip


@pytest.mark.parametrize(
    ("items", "fields"),
    [
        ("midwives 2, nurses 7, surgeons 1", {"staff": {"midwives": 2, "nurses": 7, "surgeons": 1}}),
        ("قابلات ٢، ممرضات ٧", {"staff": {"midwives": 2, "nurses": 7}}),
        ("incubators occupied 3", {"incubators_occupied": 3}),
        ("حواضن مشغولة ٣", {"incubators_occupied": 3}),
        ("beds 20/40", {"beds_working": 20, "beds_total": 40}),
        ("theatres in use 1", {"theatres_in_use": 1}),
        ("no power; water low; oxygen none", {"power": "none", "water": "insufficient", "oxygen": "none"}),
        ("ماء مقطوع، أكسجين متوفر", {"water": "none", "oxygen": "sufficient"}),
        ("evacuated, damage partial", {"functionality": "not", "evacuated": True, "building": "partially"}),
        ("تم الإخلاء، ضرر كامل", {"functionality": "not", "evacuated": True, "building": "fully"}),
        ("partial, caesarean no, blood partial, anc yes",
         {"functionality": "partially", "services": {"emonc_8_caesarean": "not",
          "emonc_9_blood_transfusion": "partially", "antenatal_care": "available"}}),
        ("قيصرية لا، نقل دم جزئي، ولادة نعم",
         {"services": {"emonc_8_caesarean": "not", "emonc_9_blood_transfusion": "partially",
                       "skilled_birth_attendance": "available"}}),
        ("fuel 1.5", {"fuel_days": 1.5}),
    ],
)  # fmt: skip
def test_items(items: str, fields: dict[str, Any]) -> None:
    assert read_status_message(f"status sarmada-hospital: {items}").update == FacilityStatus(**fields)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("status sarmada-hospital: incubators 5 of 4", "5 incubators working of 4"),
        ("status sarmada-hospital: doctors -3", "cannot read"),
        ("status sarmada-hospital: doctors 2.5", "whole numbers"),
        ("status sarmada-hospital: fuel 9000 days", "days of fuel"),
        ("status sarmada-hospital: unicorns 4", "cannot read 'unicorns 4'"),
        ("status sarmada-hospital: doctors 3 4 5", "one number"),
        ("status sarmada-hospital: generator, solar", "said twice"),
        ("status sarmada-hospital:", "say what has changed"),
        ("status", "say which facility"),
    ],
)
def test_malformed_messages_are_refused_by_name(text: str, reason: str) -> None:
    with pytest.raises(StatusError, match=reason):
        read_status_message(text)


def test_only_the_keyword_claims_a_message() -> None:
    assert claims("Status idlib: doctors 3") and claims("حالة ادلب: اطباء ٣") and claims("STATUS: x")
    assert not claims("two helicopters over idlib heading north") and not claims("statuses are fine")


@given(st.text(max_size=120))
def test_any_text_is_read_or_refused_with_a_reason(text: str) -> None:
    try:
        read_status_message("status sarmada-hospital: " + text)
    except StatusError as exc:
        assert str(exc)


class Ledger:
    """A ledger in memory, as the store's book behaves (merge raising keeps nothing)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str, str, dict[str, Any]]] = []

    def record(
        self, facility: str, at: float, who: str, channel: str, update: dict[str, Any], merge: Merge
    ) -> int:
        last = next((r[4] for r in reversed(self.rows) if r[0] == facility and r[1] <= at), None)
        self.rows.append((facility, at, who, channel, merge(last)))
        return len(self.rows)


def _reports() -> tuple[FieldReports, Ledger, list[str]]:
    ledger, told = Ledger(), []
    desk = StatusDesk(health_facilities([MATERNITY, SARMADA]), ledger,
                      on_status=lambda site, s: told.append(site.id))  # fmt: skip
    mandates = Mandates([Reporter("obs-idlib-1", "observer", speaks_for=(MATERNITY.id,))])
    return FieldReports([FacilityStatusReader(desk, mandates, channel="sms")]), ledger, told


def test_a_registered_reporter_is_answered_with_a_confirmation_in_their_language() -> None:
    reports, ledger, told = _reports()
    reply = reports.route("obs-idlib-1", "status idlib-maternity-hospital: doctors 3, incubators 4 of 6", T0)
    assert reply is not None and reply.accepted and reply.kind == "facility-status"
    assert (
        "Idlib Maternity Hospital" in reply.text
        and "doctors 3" in reply.text
        and "incubators 4 of 6" in reply.text
    )
    reply = reports.route("obs-idlib-1", "حالة idlib-maternity-hospital: وقود ٢ أيام", T0 + 60)
    assert reply is not None and reply.accepted and "مشفى التوليد في إدلب" in reply.text
    assert "وقود 2 أيام" in reply.text and "fuel" not in reply.text  # answered in Arabic
    assert [r[4] for r in ledger.rows][-1] == {"staff": {"doctors": 3}, "incubators_total": 6,
                                               "incubators_working": 4, "fuel_days": 2.0}  # fmt: skip
    assert told == ["idlib-maternity-hospital"] * 2
    assert reports.route("obs-idlib-1", "two jets over idlib", T0) is None  # a sighting, not claimed


def test_a_whole_status_is_said_field_by_field_in_the_same_order_in_both_languages() -> None:
    s = FacilityStatus(functionality="partially", evacuated=True, staff={"doctors": 3, "midwives": 2},
                       incubators_total=6, incubators_working=4, beds_total=40, incubators_occupied=3,
                       theatres_in_use=1, power="none", fuel_days=2.5, water="insufficient",
                       oxygen="sufficient", building="slightly",
                       services={"emonc_8_caesarean": "not", "newborn_care": "not_provided"})  # fmt: skip
    assert describe(s) == (
        "partially functioning, evacuated, doctors 3, midwives 2, incubators 4 of 6, beds 40 in all, "
        "incubators occupied 3, theatres in use 1, no power, fuel 2.5 days, water insufficient, "
        "oxygen sufficient, slightly damaged, emonc 8 caesarean not available, "
        "newborn care not normally provided"
    )
    assert describe_ar(s) == (
        "تعمل جزئيا، تم الإخلاء، أطباء 3، قابلات 2، حواضن 4 من 6، أسرة 40 في المجموع، حواضن مشغولة 3، "
        "غرف عمليات مشغولة 1، لا كهرباء، وقود 2.5 أيام، ماء قليل، أكسجين كاف، ضرر طفيف، "
        "القيصرية غير متوفرة، رعاية الوليد لا تقدم عادة"
    )
    assert (describe(FacilityStatus()), describe_ar(FacilityStatus())) == ("nothing", "لا شيء")


@pytest.mark.parametrize(
    ("reporter", "text", "reason"),
    [
        ("stranger", "status idlib-maternity-hospital: doctors 3", "not a registered reporter"),
        ("stranger", "status atlantis: doctors 3", "not a registered reporter"),  # names no facility ids
        ("obs-idlib-1", "status sarmada-hospital: closed", "does not report for sarmada-hospital"),
        ("obs-idlib-1", "حالة Sarmada Hospital: مغلق", "المرسل لا يبلّغ عن sarmada-hospital"),
        ("obs-idlib-1", "status atlantis: doctors 3", "no health facility 'atlantis'"),
        ("obs-idlib-1", "status idlib-maternity-hospital: incubators 5 of 4", "5 incubators working of 4"),
        ("obs-idlib-1", "status idlib-maternity-hospital: doctors three", "cannot read"),
    ],
)
def test_a_refused_message_is_answered_with_the_reason_and_keeps_nothing(
    reporter: str, text: str, reason: str
) -> None:
    reports, ledger, told = _reports()
    reply = reports.route(reporter, text, T0)
    assert reply is not None and not reply.accepted and reason in reply.text
    assert ledger.rows == [] and told == []
