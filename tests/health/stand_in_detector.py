"""A small detector with the API of ``nadhir.health.detectors.detect``, for the tests of what uses it.

EARS C2's shape (Hutwagner et al. 2003): the baseline is the 7 periods that end 2 periods before
the one read; the threshold is its mean plus 3 standard deviations (at least 1 count above the
mean, so a flat baseline does not alarm on one event). Not the project's detector: the tests of
alarms, pictures and bulletins need a detector whose answer they can work out by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

BASELINE, GAP, K = 7, 2, 3.0


@dataclass(frozen=True, slots=True)
class Detection:
    index: int
    method: str
    observed: float
    expected: float
    threshold: float
    alarm: bool


def detect(
    counts: Sequence[float], *, method: str, totals: Sequence[float] | None = None, period: str = "week"
) -> list[Detection]:
    """One detection per period with a full baseline before it (the first 9 periods have none)."""
    if method not in ("auto", "stand-in"):
        raise ValueError(f"unknown method {method!r}")
    out = []
    for i in range(BASELINE + GAP, len(counts)):
        base = counts[i - GAP - BASELINE : i - GAP]
        mean = sum(base) / BASELINE
        sd = math.sqrt(sum((c - mean) ** 2 for c in base) / (BASELINE - 1))
        threshold = mean + max(K * sd, 1.0)
        out.append(Detection(i, method, float(counts[i]), mean, threshold, counts[i] > threshold))
    return out
