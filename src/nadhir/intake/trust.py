"""Source trust: how much a sighting from each source says that an aircraft is really there.

Known observers start from the trust in ``reporters.json``; unknown sources
start low. Trust moves with corroboration: a sighting that joins a track
other sources also support raises its source's trust; a sighting that starts
a track nobody else ever supports lowers it. A source whose sightings never
corroborate ends up with too little trust to cause an alert on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from nadhir.domain import Reporter

UNKNOWN_SOURCE_TRUST = 0.25
MIN_TRUST = 0.02
MAX_TRUST = 0.95
LEARNING_RATE = 0.15


class TrustBook:
    """Per-source trust, learned from corroboration."""

    def __init__(
        self, reporters: Iterable[Reporter] = (), unknown_trust: float = UNKNOWN_SOURCE_TRUST
    ) -> None:
        self._trust: dict[str, float] = {r.id: r.trust for r in reporters}
        self._unknown = unknown_trust

    def trust(self, source: str) -> float:
        """Current trust in a source (0..1)."""
        return self._trust.get(source, self._unknown)

    def corroborated(self, source: str) -> None:
        """A sighting from this source was supported by another source."""
        current = self.trust(source)
        self._trust[source] = min(MAX_TRUST, current + LEARNING_RATE * (1.0 - current))

    def contradicted(self, source: str) -> None:
        """A sighting from this source was never supported by anyone else."""
        current = self.trust(source)
        self._trust[source] = max(MIN_TRUST, current * (1.0 - 2.0 * LEARNING_RATE))

    def snapshot(self) -> dict[str, float]:
        """All learned trust values, for display and persistence."""
        return dict(self._trust)
