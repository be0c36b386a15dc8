"""Arrivals linked to the strikes in their places of origin, by distance or by name, and by time."""

from __future__ import annotations

import pytest

from nadhir.domain import Impact
from nadhir.domain.displacement import Movement, SiteUpdate
from nadhir.shelters.origins import link_arrivals

DAY = 86_400.0
T0 = 1_796_457_600.0  # 2026-12-05T08:00:00Z, the day of the arrivals
MAARAT = (35.6481, 36.6736)
SARAQEB = (35.8622, 36.8006)


def stadium(*movements: Movement, t: float = T0) -> SiteUpdate:
    return SiteUpdate("idlib-stadium", "Idlib Municipal Stadium", "collective-centre", 35.9262, 36.6418, t,
                      movements=movements)  # fmt: skip


def test_an_arrival_is_linked_to_strikes_near_its_origin_before_it() -> None:
    arrival = Movement("arrival", T0, 300, "Maarat al-Numan", *MAARAT)
    impacts = [
        Impact(T0 - 3 * DAY, "obs-1", MAARAT[0] + 0.02, MAARAT[1]),  # 2.2 km away, 3 days before: linked
        Impact(T0 - 20 * DAY, "obs-2", *MAARAT),  # too long before
        Impact(T0 - 2 * DAY, "obs-3", *SARAQEB),  # 27 km away
        Impact(T0 + 2 * DAY, "obs-4", *MAARAT),  # after they arrived
        Impact(T0 + 3600, "obs-5", *MAARAT),  # the same day, later: still linked
    ]
    [link] = link_arrivals([stadium(arrival)], impacts)
    assert [s.impact.reporter for s in link.strikes] == ["obs-1", "obs-5"]
    assert link.strikes[0].distance_km == pytest.approx(2.22, abs=0.01)
    assert link.strikes[0].days_before == 3.0


def test_without_coordinates_the_place_names_must_match_however_spelt() -> None:
    arrival = Movement("arrival", T0, 120, "Ma'arrat an-Nu'man")
    impacts = [
        Impact(T0 - DAY, "obs-1", place="Maarat al-Numan"),
        Impact(T0 - DAY, "obs-2", place="Saraqeb"),
        Impact(T0 - DAY, "obs-3", place="معرة النعمان"),  # another script: the gazetteer's work, not here
    ]
    [link] = link_arrivals([stadium(arrival)], impacts)
    assert [s.impact.reporter for s in link.strikes] == ["obs-1"] and link.strikes[0].distance_km is None


def test_departures_are_not_arrivals_and_an_arrival_repeated_is_counted_once() -> None:
    arrival = Movement("arrival", T0, 300, "Saraqeb", *SARAQEB)
    left = Movement("departure", T0, 20, "Afrin")
    links = link_arrivals([stadium(arrival, left), stadium(arrival, t=T0 + DAY)], [])
    assert len(links) == 1 and links[0].strikes == ()
    with pytest.raises(ValueError):
        link_arrivals([], [], radius_km=0)
