"""ISO 8601 UTC <-> POSIX seconds, at the edges of the system."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


def parse_time(value: object) -> float:
    """Parse an ISO 8601 time (``Z`` or an offset; naive means UTC) into POSIX seconds."""
    if not isinstance(value, str):
        raise ValueError("time must be a string")
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def format_time(t: float) -> str:
    """Format POSIX seconds as ISO 8601 UTC with a ``Z`` suffix, to the second."""
    return _format_second(round(t))


# Every track published at one step shares its second, so most calls repeat the last few.
@lru_cache(maxsize=256)
def _format_second(second: int) -> str:
    return datetime.fromtimestamp(second, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
