"""Gaps against Sphere, checked by hand, including zeros that must not divide."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nadhir.domain.displacement import SiteUpdate
from nadhir.shelters.sphere import STANDARDS, Thresholds, as_json, gaps, ranked

FIGURES = ("people_per_latrine", "water_litres_per_person_day", "covered_m2_per_person", "flooded_share")
T = 1_796_457_600.0  # 2026-12-05T08:00:00Z


def site(**figures: int | float | None) -> SiteUpdate:
    return SiteUpdate("s", "Site", "planned-camp", 36.0, 36.6, T, **figures)  # type: ignore[arg-type]


def test_the_stadium_misses_every_standard() -> None:
    g = gaps(site(individuals=1000, latrines_working=4, water_litres_per_day=9000, covered_area_m2=2000,
                  tents=200, tents_flooded=30))  # fmt: skip
    assert g.people_per_latrine == 250.0
    assert g.water_litres_per_person_day == 9.0
    assert g.covered_m2_per_person == 2.0
    assert g.flooded_share == 0.15
    assert g.misses == ("latrines", "water", "space", "flooding")
    assert g.worst == "latrines"  # 1 - 20/250 = 0.92 beats water's 0.4, space's 0.43, flooding's 0.15


def test_the_standards_themselves_are_met() -> None:
    g = gaps(site(individuals=2000, latrines_working=100, water_litres_per_day=30000, covered_area_m2=7000,
                  tents=400, tents_flooded=0))  # fmt: skip
    assert (g.people_per_latrine, g.water_litres_per_person_day, g.covered_m2_per_person) == (20.0, 15.0, 3.5)
    assert g.misses == () and g.worst is None and g.need == 0.0


def test_people_and_no_latrine_is_a_miss_with_no_figure() -> None:
    g = gaps(site(individuals=250, latrines_working=0, water_litres_per_day=5000, covered_area_m2=1000))
    assert g.people_per_latrine is None
    assert g.misses == ("latrines",) and g.shortfall["latrines"] == 1.0
    assert g.unknown == ("flooding",)


def test_no_people_misses_nothing_and_divides_nothing() -> None:
    g = gaps(site(individuals=0, latrines_working=0, water_litres_per_day=0, covered_area_m2=0, tents=0,
                  tents_flooded=0))  # fmt: skip
    figures = (g.people_per_latrine, g.water_litres_per_person_day, g.covered_m2_per_person, g.flooded_share)
    assert figures == (None, None, None, None)
    assert g.misses == ()
    assert gaps(site(individuals=0, latrines_working=2)).people_per_latrine == 0.0


def test_unreported_figures_are_unknown_not_misses() -> None:
    g = gaps(site(individuals=100))
    assert g.misses == () and g.unknown == STANDARDS


def test_a_flooding_tolerance_is_a_parameter() -> None:
    s = site(tents=100, tents_flooded=5)
    assert gaps(s).misses == ("flooding",)
    assert gaps(s, Thresholds(max_flooded_share=0.1)).misses == ()


def test_ranking_puts_the_neediest_first() -> None:
    a = SiteUpdate("a", "A", "planned-camp", 36.0, 36.6, T, individuals=100, latrines_working=10)
    b = SiteUpdate("b", "B", "planned-camp", 36.0, 36.6, T, individuals=100, latrines_working=2)
    c = SiteUpdate("c", "C", "planned-camp", 36.0, 36.6, T, individuals=900, latrines_working=2, tents=10,
                   tents_flooded=1)  # fmt: skip
    assert [g.site_id for g in ranked([a, b, c])] == ["c", "b", "a"]


@given(
    people=st.one_of(st.none(), st.integers(0, 100_000)),
    latrines=st.one_of(st.none(), st.integers(0, 5000)),
    water=st.one_of(st.none(), st.floats(0, 1e7)),
    area=st.one_of(st.none(), st.floats(0, 1e7)),
    tents=st.one_of(st.none(), st.integers(0, 5000)),
    flooded_part=st.floats(0, 1),
)
def test_any_figures_give_finite_json_and_consistent_misses(
    people: int | None, latrines: int | None, water: float | None, area: float | None, tents: int | None,
    flooded_part: float,
) -> None:  # fmt: skip
    flooded = None if tents is None else int(tents * flooded_part)
    g = gaps(site(individuals=people, latrines_working=latrines, water_litres_per_day=water,
                  covered_area_m2=area, tents=tents, tents_flooded=flooded))  # fmt: skip
    out = as_json(g)
    for key in FIGURES:
        value = out[key]
        assert value is None or (isinstance(value, float) and value >= 0 and value != float("inf"))
    for s in g.misses:
        assert 0 < g.shortfall[s] <= 1
    if people == 0:
        assert set(g.misses) <= {"flooding"}
    if g.water_litres_per_person_day is not None:
        assert ("water" in g.misses) == (g.water_litres_per_person_day < 15)
    if g.people_per_latrine is not None:
        assert ("latrines" in g.misses) == (g.people_per_latrine > 20)
