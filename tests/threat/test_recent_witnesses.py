"""The impact watch's recent witnesses of a site's threats, picked by distinct time, against the
per-witness loop they replace (the same set and the same earliest time, bit for bit)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.threat.impacts import EXPECTED_WINDOW_S, _recent_witnesses


def _loop(notes: dict[str, float], t: float) -> tuple[frozenset[str], float]:
    """What ImpactWatch._backers_at worked out before: the window's test for every witness."""
    recent = [(w, at) for w, at in notes.items() if t - at <= EXPECTED_WINDOW_S]
    return frozenset(w for w, _ in recent), min((at for _, at in recent), default=math.inf)


# Times a few steps apart, some just inside and just outside the window of a ``t`` near 10,000 s,
# and odd fractions whose subtraction rounds.
_TIMES = st.one_of(
    st.sampled_from([10_000.0 - EXPECTED_WINDOW_S, 10_000.0 - EXPECTED_WINDOW_S - 1e-9, 9_400.000000000002]),
    st.floats(8_000.0, 10_000.0, allow_nan=False),
    st.integers(8_000, 10_000).map(float),
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), _TIMES, max_size=60),
    st.sampled_from([10_000.0, 10_000.1, 9_400.0, 1e9, 0.0]),
)
def test_recent_witnesses_are_those_the_loop_over_each_witness_finds(
    notes: dict[str, float], t: float
) -> None:
    fast, slow = _recent_witnesses(notes, t), _loop(notes, t)
    assert fast[0] == slow[0]
    assert repr(fast[1]) == repr(slow[1])


def test_recent_witnesses_leave_out_the_old_and_keep_the_edge() -> None:
    notes = {"n1": 9_400.0, "n2": 9_399.5, "n3": 9_990.0, "n4": 9_990.0}
    assert _recent_witnesses(notes, 10_000.0) == (frozenset({"n1", "n3", "n4"}), 9_400.0)
    assert _recent_witnesses(notes, 10_000.0) == _loop(notes, 10_000.0)
    assert _recent_witnesses({}, 10_000.0) == (frozenset(), math.inf)
    assert _recent_witnesses(notes, 20_000.0) == (frozenset(), math.inf)
