"""Displacement sites' updates kept in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from test_store import db_url  # noqa: F401  (the sqlite / postgresql fixture)

from nadhir.domain.displacement import Movement, SiteUpdate
from nadhir.store import Store
from nadhir.store.shelters import ShelterBook

T0 = 1_796_457_600.0  # 2026-12-05T08:00:00Z
DAY = 86_400.0


@pytest.fixture
def book(db_url: str) -> Iterator[ShelterBook]:  # noqa: F811
    s = Store.open(db_url)
    try:
        yield ShelterBook(s.engine)
    finally:
        s.close()


def stadium(t: float, households: int, **more: object) -> SiteUpdate:
    return SiteUpdate(
        "idlib-stadium", "Idlib Municipal Stadium", "collective-centre", 35.9306, 36.6339, t,
        name_ar="الملعب البلدي في إدلب", households=households, individuals=households * 5,
        latrines_working=4, tents=200, tents_flooded=30, covered_area_m2=2000.5, water_litres_per_day=9000.0,
        source="test", **more,  # type: ignore[arg-type]
    )  # fmt: skip


def test_updates_are_kept_in_order_and_the_latest_is_read(book: ShelterBook) -> None:
    arrival = Movement("arrival", T0 - DAY, 300, "Maarat al-Numan", 35.6481, 36.6736)
    a = stadium(T0 - 4 * DAY, 180)
    b = stadium(T0, 212, movements=(arrival,), pcode="SY070000", managing_agency="Local council")
    camp = SiteUpdate(
        "atmeh-olive", "Atmeh Olive Grove Camp", "self-settled-camp", 36.2089, 36.6822, T0 - DAY
    )
    out = book.add([a, b, camp], now=T0)
    assert out.kept == [a, b, camp] and out.already == [] and out.conflicts == []
    assert book.history("idlib-stadium") == [a, b]
    assert book.latest() == [camp, b]
    assert book.last_of("idlib-stadium") == b and book.last_of("nowhere") is None
    assert book.history("idlib-stadium")[1].movements == (arrival,)
    assert book.all() == [a, camp, b]


def test_the_same_update_twice_is_kept_once_and_a_different_one_is_a_conflict(book: ShelterBook) -> None:
    a = stadium(T0, 212)
    book.add([a])
    out = book.add([replace(a, source="again"), stadium(T0, 213), stadium(T0 + DAY, 220)])
    assert [u.households for u in out.kept] == [220]
    assert len(out.already) == 1
    assert [c.update.households for c in out.conflicts] == [213]
    assert "already has a different update" in out.conflicts[0].reason
    assert [u.households for u in book.history("idlib-stadium")] == [212, 220]
