"""The register of attacks in SQLite and PostgreSQL: rows, changes in one transaction, drafts joined."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_store import db_url  # noqa: F401  (the fixture: a new SQLite file or PostgreSQL schema)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "health"))
from attack_samples import FACILITY, T_ATTACK, sample_record

from nadhir.domain import Site
from nadhir.health.attacks import AttackError, Casualties, NotDraft, Source
from nadhir.service.attack_register import AttackRegister, UnknownAttack, UnknownFacility
from nadhir.store import Store
from nadhir.store.attacks import AttackBook, AttackFields

NOW = 1765100000.0
SITES = [
    Site("idlib", "Idlib", "town", 35.9306, 36.6339, 3000.0),
    Site(FACILITY.id, FACILITY.name, "hospital", FACILITY.lat, FACILITY.lon, 500.0),
]


@pytest.fixture
def register(db_url: str) -> Iterator[AttackRegister]:  # noqa: F811
    store = Store.open(db_url)
    try:
        yield AttackRegister(AttackBook(store.engine), SITES)
    finally:
        store.close()


def test_a_record_is_kept_and_read_back_whole(register: AttackRegister) -> None:
    narrative = "صاروخ على الطريق أمام المشفى؛ four staff wounded"
    kept = register.create(sample_record(narrative=narrative), NOW)
    assert kept.id is not None
    again = register.get(kept.id)
    assert again == kept
    assert again.narrative == narrative
    assert again.facility.admin_area == "Idlib"  # filled in from the sites
    stored = register.book.get(kept.id)
    assert stored is not None
    assert (stored.facility_id, stored.day, stored.t, stored.review, stored.certainty) == (
        FACILITY.id, "2025-05-02", T_ATTACK, "draft", "probable")  # fmt: skip


def test_records_are_listed_newest_first_and_by_facility(register: AttackRegister) -> None:
    first = register.create(sample_record(), NOW)
    second = register.create(sample_record(t=T_ATTACK + 86_400), NOW)
    assert [r.id for r in register.records()] == [second.id, first.id]
    assert [r.id for r in register.records(FACILITY.id)] == [second.id, first.id]
    with pytest.raises(UnknownFacility):
        register.records("nowhere-hospital")


@pytest.mark.parametrize(
    "bad",
    [
        sample_record(facility=dataclasses.replace(FACILITY, id="nowhere-hospital")),
        sample_record(facility=dataclasses.replace(FACILITY, id="idlib")),  # a town is not a health facility
        sample_record(casualties={"staff": Casualties(-2, 0)}),
        sample_record(attack_types=("bombing",)),  # type: ignore[arg-type]
    ],
)
def test_bad_records_are_refused_and_nothing_is_kept(register: AttackRegister, bad: object) -> None:
    with pytest.raises(AttackError):
        register.create(bad, NOW)  # type: ignore[arg-type]
    assert register.records() == []


def test_a_draft_is_completed_then_confirmed_and_a_failed_change_changes_nothing(
    register: AttackRegister,
) -> None:
    kept = register.create(sample_record(casualties={}), NOW)
    assert kept.id is not None
    done = register.complete(
        kept.id, {"casualties": {"staff": {"killed": 0, "injured": 4}}, "damage": "slightly_damaged"}, NOW + 1
    )
    assert done.injured() == 4 and done.damage == "slightly_damaged"
    for bad in (
        {"casualties": {"staff": {"killed": -1}}},
        {"damage": "gone"},
        {"review": "confirmed"},
        {"t": 0},
    ):
        with pytest.raises(AttackError):
            register.complete(kept.id, bad, NOW + 2)
    assert register.get(kept.id) == done
    confirmed = register.review(kept.id, "confirmed", "health:hala", "visited", NOW + 3)
    assert confirmed.review == "confirmed"
    assert register.book.get(kept.id).review == "confirmed"  # type: ignore[union-attr]
    with pytest.raises(NotDraft):
        register.review(kept.id, "rejected", "health:hala", None, NOW + 4)
    with pytest.raises(NotDraft):
        register.complete(kept.id, {"damage": "fully_damaged"}, NOW + 4)
    assert register.get(kept.id) == confirmed
    with pytest.raises(UnknownAttack):
        register.review(999_999, "confirmed", "health:hala", None, NOW)


def test_drafts_of_one_attack_join_the_record_the_register_has(register: AttackRegister) -> None:
    draft = sample_record(sources=(Source("report", "obs-1@t1"),))
    outcome = register.keep_drafts([draft], NOW)
    assert len(outcome.added) == 1 and outcome.merged == ()
    again = register.keep_drafts(
        [
            sample_record(
                t=T_ATTACK + 900, sources=(Source("report", "obs-1@t1"), Source("report", "obs-2@t2"))
            ),
            sample_record(t=T_ATTACK + 86_400, sources=(Source("report", "obs-3@t3"),)),
        ],
        NOW,
    )
    assert again.merged == outcome.added and len(again.added) == 1
    [joined] = [r for r in register.records() if r.id == outcome.added[0]]
    assert [s.ref for s in joined.sources] == ["obs-1@t1", "obs-2@t2"]
    assert joined.t == T_ATTACK  # the record keeps its own time


def test_a_bad_draft_keeps_none_of_the_batch(register: AttackRegister) -> None:
    with pytest.raises(AttackError):
        register.keep_drafts([sample_record(), sample_record(resources=())], NOW)
    assert register.records() == []


def test_the_book_refuses_a_time_that_is_not_finite(db_url: str) -> None:  # noqa: F811
    store = Store.open(db_url)
    try:
        book = AttackBook(store.engine)
        with pytest.raises(ValueError, match="finite"):
            book.add(AttackFields("x", "2025-05-02", float("nan"), "draft", "rumour", {}), NOW)
        assert book.recent() == []
    finally:
        store.close()
