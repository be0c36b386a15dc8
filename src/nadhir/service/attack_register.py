"""The register of attacks on health care: the health room's records kept in the store.

The health room (:mod:`nadhir.health.attacks`) knows what a record is and when it can be kept;
the store (:mod:`nadhir.store.attacks`) keeps rows. This joins them: every write is checked whole
first, and an unknown facility, an impossible count or a malformed record changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from nadhir.domain import Site
from nadhir.engine.replay import ReplayResult
from nadhir.health.attack_drafts import (
    DRAFT_DISTANCE_M,
    draft_attacks,
    facility_of,
    impact_points,
    is_health_facility,
)
from nadhir.health.attacks import (
    AttackError,
    AttackRecord,
    NotDraft,
    check_record,
    record_from_json,
    record_to_json,
    reviewed,
    with_sources,
)
from nadhir.store.attacks import AttackBook, AttackFields, StoredAttack


class UnknownFacility(AttackError):
    """The record names a facility the service does not know."""


class UnknownAttack(KeyError):
    """No attack has that id."""


def _fields(record: AttackRecord) -> AttackFields:
    data = record_to_json(record)
    data.pop("id")
    return AttackFields(record.facility.id, record.date, record.t, record.review, record.certainty, data)


def as_record(stored: StoredAttack) -> AttackRecord:
    """The health room's record for a stored row."""
    return record_from_json(stored.record, id=stored.id)


@dataclasses.dataclass(frozen=True, slots=True)
class DraftOutcome:
    """What keeping drafts did: records added, and records that gained sources."""

    added: tuple[int, ...]
    merged: tuple[int, ...]


class AttackRegister:
    """Attacks on health care at the facilities among ``sites``, kept in ``book``."""

    def __init__(self, book: AttackBook, sites: Sequence[Site], country: str = "SYR") -> None:
        self.book = book
        self._sites = list(sites)
        self._facilities = {s.id: s for s in self._sites if is_health_facility(s)}
        self._country = country

    def facility(self, facility_id: str) -> Site:
        """The facility with this id; :class:`UnknownFacility` if there is none."""
        site = self._facilities.get(facility_id)
        if site is None:
            raise UnknownFacility(f"unknown health facility {facility_id!r}")
        return site

    def create(self, record: AttackRecord, now: float) -> AttackRecord:
        """Keep a new record, its facility filled in from the sites; returns it with its id."""
        site = self.facility(record.facility.id)
        record = dataclasses.replace(record, facility=facility_of(site, self._sites, self._country), id=None)
        check_record(record)
        attack_id = self.book.add(_fields(record), now)
        return dataclasses.replace(record, id=attack_id)

    def get(self, attack_id: int) -> AttackRecord:
        """One record; :class:`UnknownAttack` if there is none."""
        stored = self.book.get(attack_id)
        if stored is None:
            raise UnknownAttack(attack_id)
        return as_record(stored)

    def records(self, facility_id: str | None = None) -> list[AttackRecord]:
        """Records, newest first (at one facility if given; an unknown one is an error)."""
        if facility_id is not None:
            self.facility(facility_id)
        return [as_record(s) for s in self.book.recent(facility_id)]

    def complete(self, attack_id: int, changes: Mapping[str, Any], now: float) -> AttackRecord:
        """A draft completed with ``changes`` (record fields in their JSON form). Only a draft can
        be completed; its facility, time, review and links are not changed this way."""
        fixed = {"facility", "t", "review", "reviewed_by", "review_note", "links", "id"}
        bad = sorted(set(changes) & fixed)
        if bad:
            raise AttackError(f"these fields cannot be changed by completing a record: {', '.join(bad)}")

        def change(stored: StoredAttack) -> AttackFields:
            current = as_record(stored)
            if current.review != "draft":
                raise NotDraft(f"attack {attack_id} is {current.review}; only a draft can be completed")
            data = dict(stored.record) | dict(changes)
            return _fields(check_record(record_from_json(data, id=attack_id)))

        return self._change(attack_id, change, now)

    def review(
        self,
        attack_id: int,
        decision: Literal["confirmed", "rejected"],
        by: str,
        note: str | None,
        now: float,
    ) -> AttackRecord:
        """A draft confirmed or rejected by a health focal point."""

        def change(stored: StoredAttack) -> AttackFields:
            return _fields(reviewed(as_record(stored), decision, by, note))

        return self._change(attack_id, change, now)

    def _change(
        self, attack_id: int, change: Callable[[StoredAttack], AttackFields], now: float
    ) -> AttackRecord:
        try:
            return as_record(self.book.change(attack_id, change, now))
        except KeyError:
            raise UnknownAttack(attack_id) from None

    def keep_drafts(self, drafts: Sequence[AttackRecord], now: float) -> DraftOutcome:
        """Keep drafts from the pipeline: one that reports an attack the register already has (same
        facility, same day) adds its sources and links to it; any other is a new record."""
        for draft in drafts:  # all checked before any is kept
            check_record(draft)
        added: list[int] = []
        merged: list[int] = []
        for draft in drafts:
            existing = self.book.find(draft.facility.id, draft.date)
            if not existing:
                added.append(self.book.add(_fields(draft), now))
                continue
            target = existing[0].id

            def change(stored: StoredAttack, draft: AttackRecord = draft) -> AttackFields:
                return _fields(check_record(with_sources(as_record(stored), draft.sources, draft.links)))

            self.book.change(target, change, now)
            merged.append(target)
        return DraftOutcome(tuple(added), tuple(merged))


def draft_replay(
    book: AttackBook,
    result: ReplayResult,
    run_id: int | None,
    now: float,
    distance_m: float = DRAFT_DISTANCE_M,
) -> DraftOutcome:
    """Draft the attacks a kept replay's impacts show within ``distance_m`` of health facilities,
    and keep them."""
    scenario = result.scenario
    impacts = impact_points(result.events, scenario.sites, scenario.places)
    drafts = draft_attacks(scenario.sites, impacts, result.alerts, result.tracks, distance_m, run_id=run_id)
    return AttackRegister(book, scenario.sites).keep_drafts(drafts, now)
