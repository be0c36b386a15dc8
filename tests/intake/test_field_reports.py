"""Field reports: a reader claims its messages by keyword and takes them or says why; others are sightings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.fuel_reader import FuelReader
from nadhir.intake.field_reports import FieldReports


def test_a_claimed_message_is_taken_and_confirmed() -> None:
    reader = FuelReader({"obs-3": "hosp-idlib-maternity"})
    reports = FieldReports([reader])
    reply = reports.route("obs-3", "fuel 2 days", 100.0)
    assert reply is not None and reply.accepted and reply.kind == "fuel"
    assert reply.text == "hosp-idlib-maternity: fuel 2 days recorded"
    assert reader.kept == [("hosp-idlib-maternity", 2, 100.0)]
    arabic = reports.route("obs-3", "وقود 3 أيام", 200.0)
    assert arabic is not None and arabic.accepted
    assert reader.kept[-1] == ("hosp-idlib-maternity", 3, 200.0)


def test_a_bad_claimed_message_says_why_and_keeps_nothing() -> None:
    reader = FuelReader({"obs-3": "hosp-idlib-maternity"})
    reports = FieldReports([reader])
    reply = reports.route("obs-3", "fuel plenty", 100.0)
    assert reply is not None and not reply.accepted and "fuel <days>" in reply.text
    unknown = reports.route("obs-9", "fuel 2", 100.0)
    assert unknown is not None and not unknown.accepted and "no facility" in unknown.text
    assert reader.kept == []


def test_a_sighting_is_claimed_by_no_reader() -> None:
    reader = FuelReader({"obs-3": "hosp-idlib-maternity"})
    reports = FieldReports([reader])
    assert reports.route("obs-3", "طيران حربي فوق سراقب متجه شمالا", 100.0) is None
    assert reports.route("obs-3", "jet over Saraqib, fuel depot hit", 100.0) is None
    assert reader.kept == []


def test_one_reader_per_kind() -> None:
    reports = FieldReports()
    reports.add(FuelReader({}))
    with pytest.raises(ValueError, match="already added"):
        reports.add(FuelReader({}))


@given(st.text(max_size=200))
def test_route_never_raises_and_keeps_only_what_it_confirms(text: str) -> None:
    reader = FuelReader({"obs-3": "f"})
    reply = FieldReports([reader]).route("obs-3", text, 1.0)
    assert (reply is not None and reply.accepted) == (len(reader.kept) == 1)
    assert len(reader.kept) <= 1
