"""The facility status record: HeRAMS' codes, checks of impossible counts, carrying forward, JSON."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.health.codes import CADRES, CAUSES, FUNCTIONALITY, POWER_SOURCES, SERVICES
from nadhir.health.status import (
    FacilityStatus,
    StatusError,
    carry_forward,
    check,
    status_from_json,
    status_to_json,
)

FULL = FacilityStatus(
    functionality="partially", causes=("staff", "supplies"), building="slightly", accessibility="partially",
    barriers=("insecurity",), evacuated=False,
    services={"antenatal_care": "available", "emonc_8_caesarean": "not",
              "emonc_9_blood_transfusion": "partially", "newborn_care": "available"},
    staff={"obstetricians": 1, "doctors": 3, "midwives": 4, "nurses": 9},
    beds_total=40, beds_working=32, incubators_total=6, incubators_working=4, incubators_occupied=3,
    theatres_in_use=1, power="generator", fuel_days=2.0, water="insufficient", oxygen="sufficient",
)  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"incubators_total": 4, "incubators_working": 5}, "5 incubators working of 4"),
        ({"incubators_working": 2, "incubators_occupied": 3}, "3 incubators occupied of 2"),
        ({"beds_total": 10, "beds_working": 11}, "11 beds working of 10"),
        ({"staff": {"nurses": -1}}, "nurses on duty must be between 0"),
        ({"staff": {"nurses": 2.5}}, "whole number"),
        ({"staff": {"janitors": 2}}, "unknown cadre"),
        ({"fuel_days": 5000.0}, "days of fuel"),
        ({"fuel_days": float("nan")}, "days of fuel"),
        ({"fuel_days": -1.0}, "days of fuel"),
        ({"functionality": "mostly"}, "functionality must be one of fully, partially, not"),
        ({"causes": ("boredom",)}, "causes must be among"),
        ({"causes": ("staff", "staff")}, "names one twice"),
        ({"services": {"dentistry": "available"}}, "unknown service"),
        ({"services": {"newborn_care": "yes"}}, "newborn_care must be one of"),
        ({"functionality": "fully", "causes": ("staff",)}, "no causes"),
        ({"accessibility": "fully", "barriers": ("physical",)}, "no barriers"),
        ({"functionality": "fully", "evacuated": True}, "evacuated"),
        ({"theatres_in_use": 101}, "theatres in use"),
    ],
)
def test_an_impossible_status_is_refused_by_name(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(StatusError, match=reason):
        check(FacilityStatus(**fields))


def test_the_full_status_is_possible_and_lists_what_is_not_available() -> None:
    check(FULL)
    assert FULL.not_available() == ["emonc_8_caesarean"]


def test_an_update_keeps_what_it_does_not_say() -> None:
    merged = carry_forward(FULL, FacilityStatus(staff={"doctors": 2}, fuel_days=1.0))
    assert merged.staff == {"obstetricians": 1, "doctors": 2, "midwives": 4, "nurses": 9}
    assert (
        merged.fuel_days == 1.0 and merged.incubators_working == 4 and merged.causes == ("staff", "supplies")
    )
    assert merged.services == FULL.services


def test_fully_functioning_again_drops_the_causes_and_the_evacuation() -> None:
    evacuated = carry_forward(
        FULL, FacilityStatus(functionality="not", evacuated=True, causes=("insecurity",))
    )
    back = carry_forward(evacuated, FacilityStatus(functionality="fully", accessibility="fully"))
    assert back.causes == () and back.barriers == () and back.evacuated is False
    check(back)


def test_an_update_can_make_the_status_impossible() -> None:
    merged = carry_forward(FULL, FacilityStatus(incubators_working=7))  # 7 of the 6 said before
    with pytest.raises(StatusError, match="7 incubators working of 6"):
        check(merged)


def test_json_round_trip_and_unknown_fields() -> None:
    assert status_from_json(status_to_json(FULL)) == FULL
    assert status_to_json(FacilityStatus()) == {}
    with pytest.raises(StatusError, match="unknown field"):
        status_from_json({"functionality": "fully", "colour": "red"})
    with pytest.raises(StatusError, match="whole number"):
        status_from_json({"beds_total": "ten"})
    with pytest.raises(StatusError, match="JSON object"):
        status_from_json(["fully"])
    with pytest.raises(StatusError, match="true or false"):
        status_from_json({"evacuated": "yes"})


counts = st.one_of(st.none(), st.integers(min_value=0, max_value=50))
statuses = st.builds(
    FacilityStatus,
    functionality=st.one_of(st.none(), st.sampled_from(FUNCTIONALITY)),
    causes=st.one_of(st.none(), st.lists(st.sampled_from(CAUSES), unique=True).map(tuple)),
    services=st.dictionaries(st.sampled_from(SERVICES), st.sampled_from(("available", "partially", "not"))),
    staff=st.dictionaries(st.sampled_from(CADRES), st.integers(min_value=0, max_value=1000)),
    incubators_total=counts,
    incubators_working=counts,
    power=st.one_of(st.none(), st.sampled_from(POWER_SOURCES)),
    fuel_days=st.one_of(st.none(), st.floats(min_value=-10, max_value=1000)),
)


@given(statuses)
def test_any_status_is_taken_whole_or_refused_with_a_reason(status: FacilityStatus) -> None:
    try:
        check(status)
    except StatusError as exc:
        assert str(exc)
        with pytest.raises(StatusError):
            status_from_json(status_to_json(status))
        return
    assert status_from_json(status_to_json(status)) == status


@given(statuses, statuses)
def test_carrying_forward_twice_changes_nothing_more(last: FacilityStatus, update: FacilityStatus) -> None:
    once = carry_forward(last, update)
    assert carry_forward(once, update) == once
    # What the update says wins.
    for cadre, n in update.staff.items():
        assert once.staff[cadre] == n
    if update.fuel_days is not None:
        assert once.fuel_days == update.fuel_days
