"""Alarms a coordinator can act on: figures, events nearby, completeness, CAP, the review; the
pictures and the bulletin that show them; the short message a ward sends."""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest
import stand_in_detector
from stand_in_detector import detect

from nadhir.alerting.cap.document import validate
from nadhir.domain import Reporter
from nadhir.health.alarm_cap import alarm_cap, alarm_cap_xml
from nadhir.health.alarms import (
    Facility,
    NearbyEvent,
    alarm_text,
    check_review,
    detect_series,
    find_alarms,
)
from nadhir.health.bulletin import FacilityPage, bulletin_html
from nadhir.health.completeness import Completeness
from nadhir.health.outcome_messages import OutcomesMessageReader
from nadhir.health.outcomes import OutcomeRecord
from nadhir.health.plot import series_svg
from nadhir.health.rates import rates
from nadhir.intake.field_reports import FieldReports, Mandates

MONDAY = dt.date(2026, 1, 5)
MATERNITY = Facility(
    "idlib-maternity-hospital", "Idlib Maternity Hospital", 35.9346, 36.6309, "مشفى إدلب للتوليد"
)
# Stillbirths a week: a steady baseline, then a rise in the last three weeks.
STILLBIRTHS = [4, 5, 3, 4, 6, 4, 5, 3, 4, 5, 4, 5, 4, 12, 14, 13]


def series(facility: str = MATERNITY.id, sb: list[int] = STILLBIRTHS) -> list[OutcomeRecord]:
    week = dt.timedelta(weeks=1)
    return [OutcomeRecord(facility, "week", MONDAY + i * week, 200, n // 2, n - n // 2, 10, 20, 24, 3, 0)
            for i, n in enumerate(sb)]  # fmt: skip


def full(facility: str, share: float) -> Completeness:
    expected = 20
    reported = round(share * expected)
    return Completeness(facility, "week", expected, reported, reported, 0, ())


class Nearby:
    """A register of events, as the store or the attacks register would answer."""

    def __init__(self, events: list[NearbyEvent]) -> None:
        self.events = events
        self.asked: list[tuple[float, float, float, float, float]] = []

    def events_near(
        self, lat: float, lon: float, radius_km: float, since: float, until: float
    ) -> list[NearbyEvent]:
        self.asked.append((lat, lon, radius_km, since, until))
        return [e for e in self.events if since <= e.t < until and e.distance_km <= radius_km]


def t_of(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(9), dt.UTC).timestamp()


def test_a_rise_raises_alarms_with_figures_and_the_events_before_it() -> None:
    strike = NearbyEvent(
        "impact", t_of(MONDAY + dt.timedelta(weeks=11)), 35.93, 36.63, 1.2, "impact reported at Idlib"
    )
    old = NearbyEvent("impact", t_of(MONDAY), 35.93, 36.63, 1.2, "long before")
    far = NearbyEvent("attack", t_of(MONDAY + dt.timedelta(weeks=12)), 35.5, 36.6, 40.0, "far away")
    source = Nearby([strike, old, far])
    rep = {MATERNITY.id: full(MATERNITY.id, 0.95)}
    found = find_alarms(series(), {MATERNITY.id: MATERNITY}, "stillbirths", detect, method="stand-in",
                        reporting=rep, nearby=source, radius_km=15)  # fmt: skip
    assert [a.period_start for a in found] == [MONDAY + dt.timedelta(weeks=w) for w in (13, 14, 15)]
    first = found[0]
    assert (first.facility_id, first.indicator, first.method, first.observed) == (
        MATERNITY.id, "stillbirths", "stand-in", 12.0,
    )  # fmt: skip
    assert first.expected == pytest.approx(sum(STILLBIRTHS[4:11]) / 7)
    assert first.observed > first.threshold > first.expected
    assert not first.flagged and first.completeness == pytest.approx(0.95)
    assert first.nearby == (strike,)  # within the radius, in the 8 weeks before (not the one long before)
    lat, lon, radius, since, until = source.asked[0]
    assert (lat, lon, radius) == (MATERNITY.lat, MATERNITY.lon, 15)
    assert until - since == pytest.approx((8 * 7 + 7) * 86400)
    assert first.key == f"{MATERNITY.id}|stillbirths|week|2026-04-06"  # whichever method found it


def test_incomplete_reporting_flags_the_alarm_or_suppresses_it() -> None:
    rep = {MATERNITY.id: full(MATERNITY.id, 0.7)}
    flagged = find_alarms(series(), {}, "stillbirths", detect, method="stand-in", reporting=rep)
    assert flagged and all(a.flagged and a.completeness == pytest.approx(0.7) for a in flagged)
    assert find_alarms(series(), {}, "stillbirths", detect, method="stand-in", reporting=rep,
                       suppress_incomplete=True) == []  # fmt: skip
    # Facilities are read apart: a quiet one raises nothing.
    quiet = series("sarmada-hospital", [4, 5, 3, 4, 6, 4, 5, 3, 4, 5, 4, 5, 4, 4, 5, 4])
    both = find_alarms(series() + quiet, {}, "stillbirths", detect, method="stand-in")
    assert {a.facility_id for a in both} == {MATERNITY.id}
    since = find_alarms(series(), {}, "stillbirths", detect, method="stand-in",
                        since=MONDAY + dt.timedelta(weeks=14))  # fmt: skip
    assert [a.period_start for a in since] == [MONDAY + dt.timedelta(weeks=w) for w in (14, 15)]
    with pytest.raises(ValueError, match="unknown indicator"):
        find_alarms(series(), {}, "twins", detect)


def test_an_alarm_is_valid_cap_with_category_health_in_two_languages() -> None:
    alarm = find_alarms(series(), {}, "stillbirths", detect, method="stand-in",
                        reporting={MATERNITY.id: full(MATERNITY.id, 0.7)})[0]  # fmt: skip
    xml = alarm_cap_xml(alarm, MATERNITY, t_of(MONDAY + dt.timedelta(weeks=14)))
    validate(xml)
    msg = alarm_cap(alarm, MATERNITY, t_of(MONDAY + dt.timedelta(weeks=14)))
    assert msg.scope == "Restricted" and msg.restriction
    assert [i.language for i in msg.infos] == ["ar", "en"]
    en = msg.info("en")
    assert en is not None and en.categories == ("Health",)
    assert en.parameter("observed") == "12" and en.parameter("flagged_incomplete") == "true"
    assert en.areas[0].circles == ((MATERNITY.lat, MATERNITY.lon, 15.0),)
    assert "Caution: reporting is incomplete" in alarm_text(alarm, MATERNITY, "en")
    assert "مشفى إدلب للتوليد" in alarm_text(alarm, MATERNITY, "ar")


def test_a_review_is_one_of_three_and_closing_needs_a_reason() -> None:
    assert check_review("investigated", None) == "investigated"
    assert check_review("dismissed", "a data entry error, corrected") == "dismissed"
    with pytest.raises(ValueError, match="a note is required"):
        check_review("explained", "  ")
    with pytest.raises(ValueError, match="status must be one of"):
        check_review("new", None)


def test_the_picture_draws_the_band_the_threshold_and_each_alarm() -> None:
    points = detect_series(series(), "stillbirths", detect, "stand-in")
    svg = series_svg("Idlib Maternity Hospital: stillbirths <per week>", points)
    root = ET.fromstring(svg)  # well-formed XML, the title escaped
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("s:polygon", ns)) == 1  # the expected band
    red = [c for c in root.findall("s:circle", ns) if c.get("fill") == "#c00000"]
    assert len(red) == sum(p.alarm for p in points) == 3
    assert "3 in alarm" in (root.get("aria-label") or "")
    assert "no reports" in series_svg("empty", [])


def test_the_bulletin_lists_the_alarms_and_a_plot_per_facility() -> None:
    records = series()
    alarms = find_alarms(records, {}, "stillbirths", detect, method="stand-in")
    page = FacilityPage(MATERNITY, "stillbirths", detect_series(records, "stillbirths", detect, "stand-in"),
                        rates(records), full(MATERNITY.id, 0.75))  # fmt: skip
    html = bulletin_html("2026-W16", t_of(MONDAY + dt.timedelta(weeks=16)), [page], alarms)
    assert html.startswith("<!doctype html>") and "week 2026-W16" in html
    assert html.count("<tr><td>Idlib Maternity Hospital</td><td>stillbirths</td>") == len(alarms) == 3
    assert "under 80 %" in html and html.count("<svg") == 1 and "Wilson" in html
    assert "No alarm this week" in bulletin_html("2026-W16", 0.0, [page], [])


class Kept:
    def __init__(self) -> None:
        self.records: list[tuple[OutcomeRecord, str, float]] = []

    def __call__(self, record: OutcomeRecord, reporter: str, t: float) -> str:
        how = (
            "replaced" if any(r.period_start == record.period_start for r, _, _ in self.records) else "added"
        )
        self.records.append((record, reporter, t))
        return how


# The ward's reporter (the id the channel authenticated), who speaks for the maternity only.
WARD = Mandates([Reporter("+963933000001", "observer", speaks_for=("idlib-maternity-hospital",))])


def test_a_ward_sends_its_week_in_english_or_arabic_and_is_answered() -> None:
    kept = Kept()
    reports = FieldReports([OutcomesMessageReader(kept, WARD, known=lambda f: f == MATERNITY.id)])
    text = (
        "Outcomes idlib-maternity-hospital 2026-W14 live 120 fresh 2 macerated 1 miscarriages 4 "
        "preterm 11 lbw 13 neonatal 2 maternal 0 cs=30"
    )
    reply = reports.route("+963933000001", text, 1.0)
    assert reply is not None and reply.accepted and reply.kind == "outcomes"
    assert reply.text.startswith(
        "Received: idlib-maternity-hospital 2026-W14: 120 live births, 3 stillbirths"
    )
    record = kept.records[0][0]
    assert (record.period_start, record.caesarean_sections, record.referrals_out) == (
        dt.date(2026, 3, 30),
        30,
        None,
    )
    text = (
        "ولادات idlib-maternity-hospital 2026-W14 أحياء ١٢١ حديث ٢ متعطن ١ "
        "إجهاض ٤ خدج ١١ ناقص ١٣ وليد ٢ أمهات ٠"
    )
    arabic = reports.route("+963933000001", text, 2.0)
    assert arabic is not None and arabic.accepted and arabic.text.startswith("تم الاستلام")
    assert "حلّ محل التقرير السابق" in arabic.text and kept.records[1][0].live_births == 121


def test_a_bad_message_is_refused_with_every_problem_and_nothing_kept() -> None:
    kept = Kept()
    reports = FieldReports([OutcomesMessageReader(kept, WARD, known=lambda f: f == MATERNITY.id)])
    reply = reports.route("+963933000001", "outcomes nowhere-hospital 2026-W14 live 10 fresh 20 twins 2", 1.0)
    assert reply is not None and not reply.accepted
    for words in ("unknown field 'twins'", "no facility 'nowhere-hospital'", "macerated is missing"):
        assert words in reply.text
    assert reply.text.endswith("neonatal N maternal N")
    ar = reports.route("+963933000001", "ولادات idlib-maternity-hospital 2026-W14 أحياء ١٠", 1.0)
    assert ar is not None and not ar.accepted and ar.text.startswith("لم يُحفظ التقرير")
    assert kept.records == []
    # A sighting is not claimed.
    assert reports.route("+963933000001", "two jets over Saraqeb heading north", 1.0) is None
    # The reporter's own facility stands in when the message does not name one.
    own = FieldReports([OutcomesMessageReader(kept, WARD)])
    done = own.route("+963933000001", "outcomes 2026-W14 live 5 fresh 0 macerated 0 miscarriages 0 preterm 0 "
                     "lbw 0 neonatal 0 maternal 0", 1.0)  # fmt: skip
    assert done is not None and done.accepted and kept.records[0][0].facility_id == MATERNITY.id


def test_a_ward_s_reporter_cannot_send_another_facility_s_week() -> None:
    kept = Kept()
    reports = FieldReports([OutcomesMessageReader(kept, WARD)])
    week = "2026-W14 live 5 fresh 0 macerated 0 miscarriages 0 preterm 0 lbw 0 neonatal 0 maternal 0"
    other = reports.route("+963933000001", f"outcomes sarmada-hospital {week}", 1.0)
    assert other is not None and not other.accepted
    assert "+963933000001 does not report for sarmada-hospital (reports for: idlib-maternity-hospital)" in (
        other.text
    )
    stranger = reports.route("+963944000002", f"outcomes idlib-maternity-hospital {week}", 1.0)
    assert stranger is not None and not stranger.accepted and "not a registered reporter" in stranger.text
    assert kept.records == []


def nan_detect(
    counts: Sequence[float], *, method: str, totals: Sequence[float] | None = None, period: str = "week"
) -> list[stand_in_detector.Detection]:
    """As the project's detectors answer: every period, NaN where there is no baseline yet, the
    method ``auto`` resolved."""
    out = [
        stand_in_detector.Detection(i, "ears-c2", c, math.nan, math.nan, False) for i, c in enumerate(counts)
    ]
    for d in stand_in_detector.detect(counts, method="stand-in"):
        out[d.index] = stand_in_detector.Detection(
            d.index, "ears-c2", d.observed, d.expected, d.threshold, d.alarm
        )
    out[1] = stand_in_detector.Detection(
        1, "ears-c2", counts[1], math.nan, math.nan, True
    )  # no baseline: not raised
    return out


def test_periods_without_a_baseline_are_drawn_without_a_band_and_raise_nothing() -> None:
    points = detect_series(series(), "stillbirths", nan_detect, "auto")
    assert points[0].expected is None and points[0].threshold is None and points[0].method == "ears-c2"
    alarms = find_alarms(series(), {}, "stillbirths", nan_detect, method="auto")
    assert [a.period_start for a in alarms] == [MONDAY + dt.timedelta(weeks=w) for w in (13, 14, 15)]
    assert {a.method for a in alarms} == {"ears-c2"}
    svg = series_svg("with a young baseline", points)
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall("s:polygon", ns)) == 1  # one band, from the first period with a baseline
    assert "nan" not in svg
