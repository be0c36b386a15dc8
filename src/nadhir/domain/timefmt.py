"""ISO 8601 UTC <-> POSIX seconds, at the edges of the system."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache

# The times this system writes: years with four digits (before 1000 the text is not ISO 8601), a day
# in from each end, so that a time zone's offset or an expiry a few minutes on never steps outside.
MIN_TIME = datetime(1000, 1, 2, tzinfo=UTC).timestamp()
MAX_TIME = datetime(9999, 12, 30, tzinfo=UTC).timestamp()

# The times any input may carry: from the POSIX epoch to the end of 2099. Nothing this system
# hears is older, and a time outside is a broken clock or a typo (year 1, year 9999), which
# would otherwise send a replay's clock across millennia.
EARLIEST_T = 0.0  # 1970-01-01T00:00:00Z
LATEST_T = 4_102_444_800.0  # 2100-01-01T00:00:00Z, excluded
_MAX_TIME_CHARS = 64  # far longer than any ISO 8601 time; refused before parsing


def parse_time(value: object) -> float:
    """Parse an ISO 8601 time (``Z`` or an offset; naive means UTC) into POSIX seconds.

    Raises ``ValueError`` for anything else, and for a time outside 1970-2099
    (see :data:`EARLIEST_T`). The messages are the reference scorer's, which
    reads the same files.
    """
    if not isinstance(value, str):
        raise ValueError("time must be a string")
    if len(value) > _MAX_TIME_CHARS:
        raise ValueError(f"not an ISO 8601 time (longer than {_MAX_TIME_CHARS} characters)")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        t = dt.timestamp()
    except OverflowError as exc:  # a time at the very edge of datetime's range, with an offset
        raise ValueError(f"time out of range ({exc})") from exc
    if not EARLIEST_T <= t < LATEST_T:
        raise ValueError(f"year {dt.year} is outside the years 1970 to 2099 that inputs may carry")
    return t


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
