"""What ``benchmarks/strike_evidence.py`` counts as a crossable bearing window.

A crossing of two nodes' bearings needs both within the initiator's 20 s memory: the tool counts,
from each bearing of a striking aircraft on, whether another node heard it within 20 s. The
bearings here are of a jet at 200 m/s passing two nodes 6 km apart, as `adsb-idlib`'s nodes heard
its jets (a bearing every 8-12 s from each node while it is within a few km).
"""

from __future__ import annotations

import math
import sys
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmark_module import BENCHMARKS, load_benchmark
from nadhir.tracking.measurements import BearingFix


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    # The script imports its sibling benchmarks by name, as it does when run from that folder.
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return load_benchmark("strike_evidence")


def _bearing(t: float, node: str, sx: float, jet_x: float) -> tuple[float, BearingFix]:
    """A jet-class bearing at ``t`` from a node at (sx, 0) to a jet at (jet_x, 3000)."""
    angle = math.atan2(jet_x - sx, 3000.0)
    return t, BearingFix(t, sx, 0.0, angle, math.radians(6.0), node, 0.7, (0.9, 0.05, 0.05), "jet")


def _pass(times_a: list[float], times_b: list[float]) -> list[tuple[float, BearingFix]]:
    """Node A at x=0 and node B at x=6 km hear a jet flying along y=3 km at 200 m/s from x=-6 km."""
    out = [_bearing(t, "ac-a", 0.0, -6000.0 + 200.0 * t) for t in times_a]
    out += [_bearing(t, "ac-b", 6000.0, -6000.0 + 200.0 * t) for t in times_b]
    return sorted(out, key=lambda tm: tm[0])


def test_two_nodes_heard_apart_give_no_crossing(bench: ModuleType) -> None:
    # A hears the jet in its first 40 s, B only once it has flown on 6 km: never within 20 s.
    bearings = _pass([0.0, 10.0, 20.0, 30.0, 40.0], [62.0, 71.0, 80.0])
    assert bench.crossable_windows(bearings) == 0


def test_two_nodes_heard_together_give_crossings(bench: ModuleType) -> None:
    # B's first bearing (62 s) comes 12 s after A's last (50 s), 22 s after the one before.
    bearings = _pass([0.0, 10.0, 20.0, 30.0, 40.0, 50.0], [62.0, 71.0, 80.0])
    assert bench.crossable_windows(bearings) == 1
    # A's at 42 s instead of 40 s: B at 62 s is exactly 20 s on, within the memory too.
    bearings = _pass([0.0, 10.0, 20.0, 30.0, 42.0, 50.0], [62.0, 71.0, 80.0])
    assert bench.crossable_windows(bearings) == 2


@given(st.lists(st.floats(0.0, 600.0, allow_nan=False), min_size=1, max_size=12))
def test_one_node_alone_never_crosses(times: list[float]) -> None:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    bench = load_benchmark("strike_evidence")
    assert bench.crossable_windows(_pass(sorted(times), [])) == 0


@given(
    st.lists(st.floats(0.0, 300.0, allow_nan=False), min_size=1, max_size=8),
    st.lists(st.floats(0.0, 300.0, allow_nan=False), min_size=1, max_size=8),
)
def test_windows_count_at_most_the_bearings_and_one_when_two_nodes_meet(
    a: list[float], b: list[float]
) -> None:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    bench = load_benchmark("strike_evidence")
    bearings = _pass(sorted(a), sorted(b))
    n = bench.crossable_windows(bearings)
    assert 0 <= n <= len(bearings)
    meet = any(abs(x - y) <= 20.0 for x in a for y in b)
    assert (n >= 1) == meet
