"""The attack record: what can be kept, review, sources joined, and its JSON form."""

from __future__ import annotations

import contextlib
import dataclasses
import math

import pytest
from attack_samples import T_ATTACK, sample_record
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.health.attacks import (
    ATTACK_TYPES,
    RESOURCES,
    AttackError,
    Casualties,
    Links,
    NotDraft,
    Source,
    check_record,
    record_from_json,
    record_problems,
    record_to_json,
    reviewed,
    with_sources,
)


def test_a_complete_record_can_be_kept() -> None:
    record = check_record(sample_record())
    assert record.certainty == "probable"  # an eyewitness and a news item
    assert record.killed() == 1 and record.injured() == 6
    assert record.date == "2025-05-02"


def test_unknown_casualties_stay_unknown_in_the_totals() -> None:
    record = sample_record(casualties={"staff": Casualties(None, 2), "others": Casualties()})
    assert record.killed() is None and record.injured() == 2
    assert sample_record(casualties={}).injured() is None


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"attack_types": ()}, "at least one attack type"),
        ({"attack_types": ("bombing",)}, "unknown attack type 'bombing'"),
        ({"attack_types": ("setting_fire", "setting_fire")}, "listed twice"),
        ({"resources": ()}, "at least one resource"),
        ({"resources": ("hospital",)}, "unknown resource 'hospital'"),
        ({"sources": ()}, "at least one source"),
        ({"sources": (Source("rumour_mill", "x"),)}, "unknown source kind"),  # type: ignore[arg-type]
        ({"sources": (Source("media", ""),)}, "source ref must not be empty"),
        ({"casualties": {"staff": Casualties(-1, 0)}}, "staff killed must be between 0"),
        ({"casualties": {"patients": Casualties(0, 10_001)}}, "patients injured must be between 0"),
        ({"casualties": {"staff": Casualties(1.5, 0)}}, "staff killed must be a whole number"),  # type: ignore[arg-type]
        ({"casualties": {"staff": Casualties(True, 0)}}, "staff killed must be a whole number"),
        ({"casualties": {"visitors": Casualties(1, 0)}}, "unknown casualty group"),
        ({"damage": "destroyed"}, "unknown damage 'destroyed'"),
        ({"interruption_days": -1.0}, "interruption_days must be between 0 and 3650"),
        ({"interruption_days": math.nan}, "interruption_days must be between 0 and 3650"),
        ({"services_interrupted": (), "interruption_days": 2.0}, "without the services interrupted"),
        ({"narrative": "x" * 4001}, "narrative is longer than 4000"),
        ({"t": math.inf}, "time of the attack must be a finite time"),
        ({"review": "pending"}, "unknown review state"),
    ],
)
def test_what_cannot_be_kept_is_refused_with_its_reason(changes: dict[str, object], says: str) -> None:
    record = sample_record(**changes)
    with pytest.raises(AttackError, match=says):
        check_record(record)


def test_every_reason_is_given_at_once() -> None:
    problems = record_problems(sample_record(attack_types=(), resources=(), damage="gone"))
    assert len(problems) == 3


def test_a_draft_is_confirmed_or_rejected_once() -> None:
    draft = sample_record(id=7)
    confirmed = reviewed(draft, "confirmed", "health:hala", "seen the damage")
    assert (confirmed.review, confirmed.reviewed_by, confirmed.review_note) == (
        "confirmed",
        "health:hala",
        "seen the damage",
    )
    with pytest.raises(NotDraft, match="already confirmed"):
        reviewed(confirmed, "rejected", "health:hala", None)
    assert reviewed(draft, "rejected", "health:hala", None).review == "rejected"


def test_sources_already_there_are_not_added_twice_and_links_are_joined() -> None:
    record = sample_record(
        links=Links((("idlib-national-hospital", T_ATTACK - 300),), ("T1",), ("obs-1@x",), 3)
    )
    more = (
        Source("eyewitness", "dr-samer-khalil"),
        Source("photo_video", "photo-17"),
        Source("photo_video", "photo-17"),
    )
    joined = with_sources(
        record, more, Links((("idlib-national-hospital", T_ATTACK - 300),), ("T1", "T2"), ("obs-2@y",), 4)
    )
    assert [s.ref for s in joined.sources] == ["dr-samer-khalil", "enab-baladi-article", "photo-17"]
    assert joined.certainty == "confirmed"  # an eyewitness and a photograph
    assert joined.links.tracks == ("T1", "T2")
    assert joined.links.reports == ("obs-1@x", "obs-2@y")
    assert joined.links.run_id == 3
    assert len(joined.links.episodes) == 1


def test_the_json_form_round_trips() -> None:
    record = sample_record(id=12, links=Links((("a", 1.0),), ("T1",), ("r@t",), 2))
    assert record_from_json(record_to_json(record)) == record


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"facility": {"id": "x"}},
        {"facility": "x", "t": 1},
        {"facility": {"id": "x", "lat": "north", "lon": 1}},
    ],
)
def test_a_malformed_json_record_is_a_clear_error(data: dict[str, object]) -> None:
    with pytest.raises(AttackError, match="malformed attack record"):
        record_from_json(data)


@given(
    st.lists(st.sampled_from(ATTACK_TYPES), min_size=1, max_size=4, unique=True),
    st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=6, unique=True),
    st.integers(0, 10_000),
    st.one_of(st.none(), st.integers(0, 10_000)),
    st.text(max_size=300),
)
def test_any_valid_record_round_trips_and_is_kept(
    types: list[str], resources: list[str], killed: int, injured: int | None, narrative: str
) -> None:
    record = sample_record(
        attack_types=tuple(types),
        resources=tuple(resources),
        casualties={"others": Casualties(killed, injured)},
        narrative=narrative,
    )
    assert check_record(record) is record
    again = record_from_json(record_to_json(record))
    assert again == dataclasses.replace(record)
    assert again.killed() == killed


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FIELDS = ["facility", "t", "attack_types", "resources", "sources", "casualties", "damage", "weapon",
          "services_interrupted", "interruption_days", "narrative", "review", "links"]  # fmt: skip


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(FIELDS), json_values), min_size=1, max_size=3))
def test_any_json_is_a_record_or_a_clear_error(changes: list[tuple[str, object]]) -> None:
    data = record_to_json(sample_record()) | dict(changes)
    with contextlib.suppress(AttackError):  # a clear error: the only way bad input may fail
        check_record(record_from_json(data))
