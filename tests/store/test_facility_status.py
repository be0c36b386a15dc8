"""The facility status history in SQLite and PostgreSQL: kept whole, carried forward, refused whole."""

from __future__ import annotations

import math

import pytest
from test_store import db_url  # noqa: F401  (the fixture: a new SQLite file or PostgreSQL schema)

from nadhir.domain import Site
from nadhir.health.facilities import UnknownFacility, health_facilities
from nadhir.health.status import FacilityStatus, StatusError
from nadhir.health.status_desk import StatusDesk
from nadhir.store import Store
from nadhir.store.facilities import FacilityStatusBook

T0 = 1_763_000_000.0
DAY = 86_400.0
SITES = [
    Site("idlib-maternity-hospital", "Idlib Maternity Hospital", "hospital", 35.93, 36.63, 500.0,
         name_ar="مشفى التوليد في إدلب"),
    Site("sarmada-hospital", "Sarmada Hospital", "hospital", 36.18, 36.72, 500.0),
    Site("idlib", "Idlib", "town", 35.93, 36.63, 3000.0),
]  # fmt: skip


def _desk(store: Store) -> tuple[StatusDesk, FacilityStatusBook]:
    book = FacilityStatusBook(store.engine, clock=lambda: T0 + 10 * DAY)
    return StatusDesk(health_facilities(SITES), book), book


def test_updates_carry_the_rest_forward_and_are_read_back_after_a_reopen(db_url: str) -> None:  # noqa: F811
    with Store.open(db_url) as store:
        desk, _ = _desk(store)
        first = FacilityStatus(
            functionality="partially",
            causes=("staff",),
            staff={"doctors": 3, "midwives": 4},
            incubators_total=6,
            incubators_working=5,
            power="generator",
            fuel_days=4.0,
        )
        desk.update("idlib-maternity-hospital", first, T0, "obs-idlib-1", "sms")
        second = desk.update("Idlib Maternity Hospital", FacilityStatus(staff={"doctors": 2}, fuel_days=2.0),
                             T0 + DAY, "health:huda", "api")  # fmt: skip
        assert second.status.staff == {"doctors": 2, "midwives": 4}
        assert second.status.incubators_working == 5 and second.status.power == "generator"
        desk.update(
            "sarmada-hospital", FacilityStatus(functionality="not", evacuated=True), T0, "obs-2", "telegram"
        )
    with Store.open(db_url) as store:
        book = FacilityStatusBook(store.engine)
        latest = book.latest()
        assert set(latest) == {"idlib-maternity-hospital", "sarmada-hospital"}
        idlib = latest["idlib-maternity-hospital"]
        assert math.isclose(idlib.at, T0 + DAY, abs_tol=1e-3) and idlib.who == "health:huda"
        assert idlib.functionality == "partially"
        assert idlib.reported == {"staff": {"doctors": 2}, "fuel_days": 2.0}
        assert idlib.status["staff"] == {"doctors": 2, "midwives": 4} and idlib.status["fuel_days"] == 2.0
        assert latest["sarmada-hospital"].status == {"functionality": "not", "evacuated": True}
        history = book.history("idlib-maternity-hospital")
        assert [h.channel for h in history] == ["api", "sms"]
        assert math.isclose(history[0].received, T0 + 10 * DAY, abs_tol=1e-3)


def test_a_late_update_is_laid_over_the_status_of_its_own_time(db_url: str) -> None:  # noqa: F811
    """A form queued offline yesterday, sent today: laid over the status before it, not the newest."""
    with Store.open(db_url) as store:
        desk, book = _desk(store)
        desk.update("sarmada-hospital", FacilityStatus(power="grid", staff={"nurses": 8}), T0, "a", "api")
        desk.update("sarmada-hospital", FacilityStatus(power="solar"), T0 + 2 * DAY, "a", "api")
        late = desk.update("sarmada-hospital", FacilityStatus(staff={"nurses": 5}), T0 + DAY, "b", "console")
        assert late.status.power == "grid"
        assert book.latest()["sarmada-hospital"].status["power"] == "solar"


@pytest.mark.parametrize(
    ("ref", "update", "reason"),
    [
        ("idlib-maternity-hospital", FacilityStatus(incubators_working=7), "7 incubators working of 6"),
        ("idlib-maternity-hospital", FacilityStatus(staff={"nurses": -1}), "nurses on duty"),
        ("idlib-maternity-hospital", FacilityStatus(fuel_days=4000.0), "days of fuel"),
        ("idlib-maternity-hospital", FacilityStatus(), "says nothing"),
        ("atlantis-hospital", FacilityStatus(fuel_days=1.0), "no health facility"),
        ("idlib", FacilityStatus(fuel_days=1.0), "no health facility"),  # a town is not a facility
    ],
)
def test_an_impossible_update_changes_nothing(
    db_url: str,  # noqa: F811
    ref: str,
    update: FacilityStatus,
    reason: str,
) -> None:
    with Store.open(db_url) as store:
        desk, book = _desk(store)
        desk.update(
            "idlib-maternity-hospital",
            FacilityStatus(incubators_total=6, incubators_working=6),
            T0,
            "a",
            "api",
        )
        with pytest.raises(StatusError, match=reason) as err:
            desk.update(ref, update, T0 + 60, "b", "api")
        if "no health facility" in reason:
            assert isinstance(err.value, UnknownFacility)
        assert book.count() == 1
        assert book.latest()["idlib-maternity-hospital"].status["incubators_working"] == 6
