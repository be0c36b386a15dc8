"""Source trust: how much a sighting from each source says that an aircraft is really there.

Known observers start from the trust in ``reporters.json``; unknown sources
start low. Trust moves with corroboration: a sighting that joins a track
other sources also support raises its source's trust; a sighting that starts
a track nobody else ever supports lowers it. A source whose sightings never
corroborate ends up with too little trust to cause an alert on its own.

Trust weighs evidence; it does not make a source independent. Sirens need
corroboration by independent *witnesses* (:meth:`TrustBook.witness`): each
listed source (in ``reporters.json``, vetted by whoever runs the system) is
a witness of its own, while every unlisted source, however many there are
and whatever trust they have earned, counts together as one. Identities
cost nothing to make: ten strangers may be one person, and a stranger
cannot vouch for another (docs/intake.md, "Independent witnesses").
"""

from __future__ import annotations

from collections.abc import Iterable

from nadhir.domain import Reporter

UNKNOWN_SOURCE_TRUST = 0.25
# The one witness that all unlisted sources together make.
UNLISTED_WITNESS = "unlisted"
MIN_TRUST = 0.02
MAX_TRUST = 0.95
LEARNING_RATE = 0.15


class TrustBook:
    """Per-source trust, learned from corroboration."""

    def __init__(
        self, reporters: Iterable[Reporter] = (), unknown_trust: float = UNKNOWN_SOURCE_TRUST
    ) -> None:
        self._trust: dict[str, float] = {r.id: r.trust for r in reporters}
        self._listed = frozenset(self._trust)
        self._unknown = unknown_trust

    def trust(self, source: str) -> float:
        """Current trust in a source (0..1)."""
        return self._trust.get(source, self._unknown)

    def listed(self, source: str) -> bool:
        """Whether the source is one of the listed (vetted) reporters and sensors."""
        return source in self._listed

    def witness(self, source: str) -> str:
        """The independent witness a source stands for: itself if listed, else the unlisted one."""
        return source if source in self._listed else UNLISTED_WITNESS

    def witnesses(self, sources: Iterable[str]) -> frozenset[str]:
        """The independent witnesses behind evidence from these sources."""
        listed = self._listed
        if isinstance(sources, dict | set | frozenset) and listed.issuperset(sources):
            # Every source listed (a country's sensors are): the same set, built in C.
            return frozenset(sources)
        return frozenset(s if s in listed else UNLISTED_WITNESS for s in sources)

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
