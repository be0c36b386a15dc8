"""The gazetteer: every name a reporter may use for a place, resolved to one place.

Names come from data only (the scenario's ``gazetteer.json`` and its sites,
plus any gazetteer files a user adds); no place name lives in code.
Look-up goes from strict to loose: the normalised name, then the consonant
skeleton of a Latin transliteration, then a fuzzy match that must clear a
threshold, so that a village missing from the gazetteer comes back as
unknown rather than as the wrong town.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from nadhir.domain import Place, Site
from nadhir.geo.names import has_arabic, normalise, skeleton

# Arabic prefixes (and, with/in, to/for, so) that attach to a following name.
_ARABIC_PREFIXES = ("و", "ب", "ل", "ف")
_FUZZY_THRESHOLD = 88.0
_MAX_NGRAM = 4


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A place found for a name, how it was found and how sure the match is."""

    place: Place
    score: float  # 0..1
    how: str  # exact, skeleton, fuzzy


def site_as_place(site: Site) -> Place:
    """A site's names count as gazetteer entries too."""
    return Place(
        id=site.id,
        name=site.name,
        lat=site.lat,
        lon=site.lon,
        kind=site.kind,
        name_ar=site.name_ar,
        radius_m=site.radius_m,
    )


class Gazetteer:
    """Resolves place names, Arabic or Latin, to :class:`Place` records."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._places: dict[str, Place] = {}
        self._by_norm: dict[str, Place] = {}
        self._by_skeleton: dict[str, Place] = {}
        for place in places:
            self.add(place)

    def add(self, place: Place) -> None:
        """Add a place; the first place to claim a name keeps it (sites before villages)."""
        if place.id in self._places:
            return
        self._places[place.id] = place
        for name in (place.name, place.name_ar, *place.aliases):
            if not name:
                continue
            key = normalise(name)
            if key:
                self._by_norm.setdefault(key, place)
                if not has_arabic(key):
                    self._by_skeleton.setdefault(skeleton(key), place)

    def __len__(self) -> int:
        return len(self._places)

    def __iter__(self) -> Iterable[Place]:  # type: ignore[override]
        return iter(self._places.values())

    def get(self, place_id: str) -> Place | None:
        """The place with this id, if any."""
        return self._places.get(place_id)

    def lookup(self, name: str, *, fuzzy: bool = True) -> NameMatch | None:
        """Resolve one name; None when nothing clears the match threshold."""
        key = normalise(name)
        if not key:
            return None
        for candidate in _prefix_variants(key):
            hit = self._by_norm.get(candidate)
            if hit is not None:
                return NameMatch(hit, 1.0 if candidate == key else 0.95, "exact")
        if not has_arabic(key):
            hit = self._by_skeleton.get(skeleton(key))
            if hit is not None and len(skeleton(key)) >= 3:
                return NameMatch(hit, 0.9, "skeleton")
        if fuzzy and len(key) >= 4:
            best = process.extractOne(key, self._by_norm.keys(), scorer=fuzz.ratio)
            if best is not None and best[1] >= _FUZZY_THRESHOLD:
                return NameMatch(self._by_norm[best[0]], best[1] / 100.0, "fuzzy")
        return None

    def find_in_words(self, words: list[str]) -> list[tuple[int, int, NameMatch]]:
        """Find place names in a list of normalised words.

        Returns ``(start, end, match)`` spans, longest names first at each
        position, without overlaps, in text order.
        """
        found: list[tuple[int, int, NameMatch]] = []
        i = 0
        while i < len(words):
            hit: tuple[int, int, NameMatch] | None = None
            for n in range(min(_MAX_NGRAM, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + n])
                match = self.lookup(phrase, fuzzy=n > 1 or len(phrase) >= 5)
                if match is not None:
                    hit = (i, i + n, match)
                    break
            if hit is not None:
                found.append(hit)
                i = hit[1]
            else:
                i += 1
        return found


def _prefix_variants(key: str) -> list[str]:
    """The key, then the key with an attached Arabic prefix (و ب ل ف) or article removed."""
    variants = [key]
    if has_arabic(key):
        first, _, rest = key.partition(" ")
        for prefix in _ARABIC_PREFIXES:
            if first.startswith(prefix) and len(first) > 3:
                stripped = first[1:]
                if stripped.startswith("ال") and len(stripped) > 3:
                    stripped = stripped[2:]
                variants.append(f"{stripped} {rest}".strip())
    return variants
