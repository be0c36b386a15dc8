"""ISO 8601 UTC <-> POSIX seconds, at the edges of the system."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache

# The times this system writes: years with four digits (before 1000 the text is not ISO 8601), a day
# in from each end, so that a time zone's offset or an expiry a few minutes on never steps outside.
MIN_TIME = datetime(1000, 1, 2, tzinfo=UTC).timestamp()
MAX_TIME = datetime(9999, 12, 30, tzinfo=UTC).timestamp()


def parse_time(value: object) -> float:
    """Parse an ISO 8601 time (``Z`` or an offset; naive means UTC) into POSIX seconds."""
    if not isinstance(value, str):
        raise ValueError("time must be a string")
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def clamp_time(t: float) -> float:
    """``t`` (POSIX seconds) held within ``MIN_TIME .. MAX_TIME``; ValueError for NaN.

    Every conversion to a date goes through this, so that an arrival time in year 9999 (or 1e300)
    is written as the last date there is rather than raising on the way to a siren.
    """
    if math.isnan(t):
        raise ValueError("a time is NaN (not a number)")
    return min(MAX_TIME, max(MIN_TIME, t))


def utc_datetime(t: float) -> datetime:
    """POSIX seconds as an aware UTC datetime, clamped as :func:`clamp_time` does (never raises but
    for NaN)."""
    return datetime.fromtimestamp(clamp_time(t), UTC)


def format_time(t: float) -> str:
    """Format POSIX seconds as ISO 8601 UTC with a ``Z`` suffix, to the second (clamped, see
    :func:`clamp_time`)."""
    if not MIN_TIME <= t <= MAX_TIME:  # NaN too: clamp_time refuses it
        t = clamp_time(t)
    return _format_second(round(t))


# Every track published at one step shares its second, so many calls repeat the last few.
@lru_cache(maxsize=256)
def _format_second(second: int) -> str:
    """``datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")``, the same text.

    A replay publishes each track state at a new second (a step every few seconds), so half the
    calls miss the cache, and datetime plus strftime cost ~2.5 µs each; POSIX days are all
    86,400 s long, so the time of day is plain arithmetic and only the date needs datetime.
    """
    day, rest = divmod(second, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    return f"{_format_day(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


@lru_cache(maxsize=64)
def _format_day(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m-%d")
