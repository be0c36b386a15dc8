"""Who is calling, what they may do, and how often.

Tokens are looked up by their SHA-256 (the secrets themselves are never kept).
Observer and sensor tokens may only submit input, and only as their own
reporter id; viewers may read; operators may also act on alerts; health
coordinators may read and keep the health records, private fields included;
admins may do everything, including submitting input on behalf of any source
(bridges, the demo feeder).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from nadhir.service.settings import RateLimit, Role, Settings, hash_token

READ_ROLES: frozenset[Role] = frozenset({"viewer", "operator", "health", "admin"})
ACT_ROLES: frozenset[Role] = frozenset({"operator", "admin"})
HEALTH_ROLES: frozenset[Role] = frozenset({"health", "admin"})
INPUT_ROLES: frozenset[Role] = frozenset({"observer", "sensor", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    role: Role
    subject: str

    @property
    def key(self) -> str:
        """The rate-limit bucket: one per source or person."""
        return f"{self.role}:{self.subject}"


class TokenBook:
    """Token digest -> principal."""

    def __init__(self, settings: Settings) -> None:
        self._by_digest: dict[str, Principal] = {}
        for spec in settings.tokens:
            self._by_digest[spec.token_sha256] = Principal(spec.role, spec.subject)

    def lookup(self, token: str | None) -> Principal | None:
        """The principal a token stands for, or None."""
        if not token:
            return None
        # Looking up the digest (not the secret) leaks nothing useful through timing.
        return self._by_digest.get(hash_token(token))

    def __len__(self) -> int:
        return len(self._by_digest)


class RateLimiter:
    """Token buckets, one per (kind, key); thread-safe. ``kind`` selects the limit (a role)."""

    def __init__(
        self,
        limits: Callable[[str], RateLimit],
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # -> (tokens, last refill)
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self.refused: dict[str, int] = {}

    def allow(self, kind: str, key: str) -> float:
        """0 if a request may go ahead now; otherwise seconds until one may (this one is refused)."""
        limit = self._limits(kind)
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get((kind, key), (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - last) * limit.rate)
            if tokens >= 1.0:
                self._buckets[(kind, key)] = (tokens - 1.0, now)
                return 0.0
            self._buckets[(kind, key)] = (tokens, now)
            self.refused[key] = self.refused.get(key, 0) + 1
            if len(self._buckets) > self._max_keys:
                self._forget_full(now)
            return (1.0 - tokens) / limit.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they would start full anyway."""
        for (kind, key), (tokens, last) in list(self._buckets.items()):
            limit = self._limits(kind)
            if tokens + (now - last) * limit.rate >= limit.burst:
                del self._buckets[(kind, key)]
