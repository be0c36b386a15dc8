"""The output lines and timestamps: the hand-written paths give the library's own text, to the byte."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from nadhir.domain import TrackState
from nadhir.domain.formats.output import json_line, track_line, track_to_dict
from nadhir.domain.timefmt import format_time


@pytest.mark.parametrize(
    "state",
    [
        TrackState(1746155552.3, "T4", 35.858712345, 36.32561234, 33.81234, 322.51234, "helicopter", 4156.3),
        TrackState(1746155552.7, 'T-ع"1', -0.0, 1e-9, 0.0, 359.96, "jet", 0.4),
        TrackState(0.0, "T9", float(np.float64(35.5)), 36.0, 250.0, 0.0, "drone", 12.5),
        # Values the encoder writes its own way, and numpy floats: the encoder writes them.
        TrackState(1.0, "T1", math.nan, 36.0, 1.0, 2.0, "jet", 3.0),
        TrackState(1.0, "T1", 35.0, math.inf, 1.0, 2.0, "jet", 3.0),
        TrackState(1.0, "T1", np.float64(35.123456), np.float64(36.5), np.float64(3.25), 2.0, "jet", 3.0),
        TrackState(1.0, "T1", 35, 36, 1, 2, "jet", 3),
    ],
)
def test_track_line_is_the_encoders_text(state: TrackState) -> None:
    assert track_line(state) == json_line(track_to_dict(state))


def test_format_time_is_datetimes_text() -> None:
    """The time of day by arithmetic: the same text as datetime's, across days, years and 1970."""
    seconds = [*range(-200_000, 200_000, 997), *range(1746155552 - 90_000, 1746155552 + 90_000, 61)]
    seconds += [0, -1, 86_399, 86_400, 951_782_400, 4_102_444_799]  # 2000-02-29, 2099-12-31 23:59:59
    for second in seconds:
        expected = datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert format_time(second + 0.2) == expected, second
