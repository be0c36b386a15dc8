"""A track's existence, kept between changes of its evidence, is the one worked out afresh."""

from __future__ import annotations

import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.tracking.track import Track


def _track() -> Track:
    return Track(
        id="T1",
        t=0.0,
        x=np.zeros(4),
        p=np.eye(4),
        type_probs=np.array([0.4, 0.3, 0.3]),
        created=0.0,
        last_update=0.0,
    )


def _afresh(track: Track) -> float:
    """The loop the kept value replaces."""
    miss = 1.0
    for w in track.evidence.values():
        miss *= 1.0 - w
    return 1.0 - miss


_STEPS = st.lists(
    st.tuples(st.sampled_from([f"s{i}" for i in range(12)]), st.floats(0.0, 1.0), st.booleans()),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_STEPS)
def test_existence_read_between_evidence_is_worked_out_afresh(steps: list[tuple[str, float, bool]]) -> None:
    track = _track()
    assert track.existence == 0.0
    for source, weight, read in steps:
        track.add_evidence(source, weight)
        if read:
            assert track.existence == _afresh(track)
    assert track.existence == _afresh(track)


def test_a_source_written_into_the_evidence_directly_is_counted() -> None:
    track = _track()
    track.add_evidence("a", 0.5)
    assert track.existence == 0.5
    track.evidence["b"] = 0.5
    assert track.existence == 0.75


def test_the_kept_existence_survives_a_pickle_and_still_follows_the_evidence() -> None:
    track = _track()
    track.add_evidence("a", 0.3)
    assert track.existence == _afresh(track)
    copy = pickle.loads(pickle.dumps(track))
    assert copy.existence == track.existence
    copy.add_evidence("a", 0.3)
    assert copy.existence == _afresh(copy) != track.existence


_MANY = st.lists(
    st.tuples(
        st.integers(0, 400).map(lambda k: f"n{k}"),
        st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.12, 0.2, 0.6, 1.0, -0.5, 3.0])),
    ),
    min_size=1,
    max_size=900,
)


@settings(max_examples=100, deadline=None)
@given(_MANY)
def test_a_track_heard_by_hundreds_is_certain_exactly_when_worked_out_afresh(
    steps: list[tuple[str, float]],
) -> None:
    """Hundreds of sources make a track certain (existence 1.0); kept so, it is still the loop's value."""
    track = _track()
    for k, (source, weight) in enumerate(steps):
        track.add_evidence(source, weight)
        if k % 7 == 0:
            assert track.existence == _afresh(track)
    assert track.existence == _afresh(track)


def test_certainty_is_reached_and_kept_through_more_evidence() -> None:
    track = _track()
    for k in range(300):
        track.add_evidence(f"n{k}", 0.6)
    assert track.existence == 1.0 == _afresh(track)
    for k in range(300, 330):
        track.add_evidence(f"n{k}", 0.0)
        track.add_evidence("n0", 0.0)  # (each such update rounds the weight, perhaps an ulp down)
        assert track.existence == 1.0 == _afresh(track)
