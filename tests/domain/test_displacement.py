"""A displacement site's update is valid by construction: each rule names its field."""

from __future__ import annotations

import pytest

from nadhir.domain.displacement import Movement, SiteRecordError, SiteUpdate

T = 1_796_457_600.0


def make(**changes: object) -> SiteUpdate:
    fields: dict[str, object] = {"site_id": "idlib-stadium", "name": "Stadium", "type": "collective-centre",
                                 "lat": 35.93, "lon": 36.63, "updated": T}  # fmt: skip
    fields.update(changes)
    return SiteUpdate(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"site_id": ""}, "site_id: required"),
        ({"site_id": "a b"}, "site_id:"),
        ({"name": ""}, "name: required"),
        ({"type": "hotel"}, "type: must be one of"),
        ({"lat": 91.0}, "lat:"),
        ({"lon": float("nan")}, "lon: must be a finite number"),
        ({"households": True}, "households: must be a whole number"),
        ({"individuals": 3_000_000}, "individuals: must be between 0"),
        ({"latrines_working": -1}, "latrines_working:"),
        ({"water_litres_per_day": float("inf")}, "water_litres_per_day: must be a finite number"),
        ({"tents": 10, "tents_flooded": 11}, "tents_flooded: 11 is more than the 10 tents"),
        ({"households": 10, "individuals": 9}, "households: 10 households cannot hold only 9"),
        ({"name_ar": "x" * 201}, "name_ar:"),
        ({"movements": ("not a movement",)}, "movements:"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(SiteRecordError, match=field.replace("(", r"\(")):
        make(**changes)


def test_a_movement_has_both_coordinates_or_neither() -> None:
    with pytest.raises(SiteRecordError, match="both lat and lon"):
        Movement("arrival", T, 10, "Saraqeb", 35.86, None)
    with pytest.raises(SiteRecordError, match="arrival or departure"):
        Movement("return", T, 10)  # type: ignore[arg-type]
    assert (
        make(movements=(Movement("arrival", T, 10, "Saraqeb", 35.86, 36.8),)).movements[0].individuals == 10
    )
