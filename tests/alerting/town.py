"""One town and the threat to it that the policy tests feed (imported by the test modules here)."""

from __future__ import annotations

from nadhir.domain import Site, Threat

TOWN = Site(id="town", name="Town", kind="town", lat=35.9, lon=36.6, radius_m=2000)
CORROBORATED = frozenset({"obs-a", "obs-b"})  # two independent witnesses: sirens are allowed


def town_threat(p: float, eta: float | None, kind: str, cue: str, track: str | None) -> dict[str, Threat]:
    """The threats of one step: ``kind`` at probability ``p`` toward the town, seen by two witnesses."""
    return {
        "town": Threat(
            site="town",
            track=track,
            aircraft=kind,  # type: ignore[arg-type]
            probability=p,
            eta=eta,
            distance_m=5_000,
            cue=cue,  # type: ignore[arg-type]
            witnesses=CORROBORATED,
        )
    }
