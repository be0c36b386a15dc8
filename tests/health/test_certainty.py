"""SSA's certainty rules, case by case from the table in docs/health.md, and as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadhir.health.certainty import CERTAINTIES, SOURCE_KINDS, SourceKind, certainty

# (sources, level): the table in docs/health.md, one row per case.
CASES: list[tuple[list[SourceKind], str]] = [
    ([], "rumour"),
    (["social_media"], "rumour"),
    (["social_media"] * 5, "rumour"),  # more of one kind raises nothing
    (["media"], "possible"),
    (["media", "media", "media"], "possible"),
    (["health_partner"], "possible"),
    (["report"], "possible"),  # a Nadhir observer's impact report
    (["sensor"], "possible"),  # an explosion the acoustic nodes located
    (["report", "report", "sensor", "media", "health_partner", "social_media"], "possible"),
    (["eyewitness"], "probable"),  # an eyewitness raises it
    (["eyewitness", "eyewitness"], "probable"),
    (["social_media", "eyewitness"], "probable"),
    (["photo_video"], "probable"),  # so does photographic evidence
    (["media", "photo_video", "photo_video"], "probable"),
    (["eyewitness", "photo_video"], "confirmed"),
    (["report", "eyewitness", "photo_video"], "confirmed"),
    (["verified"], "confirmed"),
    (["social_media", "verified"], "confirmed"),
]


@pytest.mark.parametrize(("kinds", "level"), CASES)
def test_the_table_case_by_case(kinds: list[SourceKind], level: str) -> None:
    assert certainty(kinds) == level


kinds_lists = st.lists(st.sampled_from(SOURCE_KINDS), max_size=12)


@given(kinds_lists, st.sampled_from(SOURCE_KINDS))
def test_another_source_of_a_kind_already_there_raises_nothing(
    kinds: list[SourceKind], extra: SourceKind
) -> None:
    if extra in kinds:
        assert certainty([*kinds, extra]) == certainty(kinds)


@given(kinds_lists, st.sampled_from(SOURCE_KINDS))
def test_another_source_never_lowers_it(kinds: list[SourceKind], extra: SourceKind) -> None:
    assert CERTAINTIES.index(certainty([*kinds, extra])) >= CERTAINTIES.index(certainty(kinds))


@given(kinds_lists)
def test_only_the_set_of_kinds_counts(kinds: list[SourceKind]) -> None:
    assert certainty(kinds) == certainty(sorted(set(kinds), reverse=True))
