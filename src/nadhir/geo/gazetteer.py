"""The gazetteer: every name a reporter may use for a place, resolved to one place.

Names come from data only (the scenario's ``gazetteer.json`` and its sites,
plus any gazetteer files a user adds); no place name lives in code.
Look-up goes from strict to loose:

1. the normalised name (with an attached Arabic prefix removed), or the same
   name written as one word (``كفر X`` / ``كفرX``);
2. the consonant skeleton (other vowels, doubled letters, ``XتY`` for
   ``Xة Y``), only when it points at a single place and the spellings are
   of similar length;
3. the name without words that only say what kind of place it is (``X`` for
   ``X airbase``, ``مدينة X`` for ``X``);
4. the first word of a longer name, when no other name shares it (``X`` for
   ``X Y``) — a reader should use this only when the next word is not part of
   another name (``X Z``, a village missing from the gazetteer, is not ``X Y``);
5. a fuzzy match that must clear a length-dependent threshold, so that a
   village missing from the gazetteer comes back as unknown rather than as
   the wrong town.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from nadhir.domain import Place, Site
from nadhir.geo.names import WordForms, normalise, skeleton_of_words, word_forms

_MAX_NGRAM_CAP = 6
_MIN_SKELETON = 3
_SKELETON_LENGTH_RATIO = 0.6

# Words that say what kind of place a name is, not which one: a name stripped
# of them still names the place (``X airbase`` -> ``X``, ``مدينة X`` -> ``X``).
KIND_WORDS = frozenset(
    normalise(w)
    for w in (
        "air", "airport", "airbase", "airfield", "base", "military", "hospital", "national",
        "maternity", "central", "surgical", "camp", "crossing", "city", "town", "village",
        "area", "district",
        "مطار", "قاعدة", "عسكري", "عسكرية", "مشفى", "مستشفى", "وطني", "توليد", "مركزي", "جراحي",
        "مخيم", "معبر", "مدينة", "بلدة", "قرية", "منطقة", "في",
    )
)
# Generic words that begin names (Abu .., Tal .., Kafr .., Khan ..: father, hill, village, inn):
# never a name on their own. Words that begin two places' names are found from the data.
COMMON_FIRST_WORDS = KIND_WORDS | frozenset(
    normalise(w)
    for w in (
        "abu", "tal", "tell", "kafr", "kfar", "bab", "khan", "mount",
        "jabal", "jebel", "wadi", "deir", "ain", "sheikh", "new", "old", "north", "south", "east",
        "west", "upper", "lower", "big", "small", "qalaat", "qalat",
        "ابو", "تل", "كفر", "باب", "خان", "جبل", "وادي", "دير", "عين", "شيخ", "قلعة",
        "شمال", "جنوب", "شرق", "غرب",
    )
)


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A place found for a name, how it was found and how sure the match is."""

    place: Place
    score: float  # 0..1
    how: str  # exact, compact, skeleton, core, head, fuzzy
    prefix: str = ""  # an Arabic prefix attached to the name and removed to find it (ب, ل, و ...)


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


def load_places(path: str | Path) -> list[Place]:
    """Places from a user gazetteer file (same format as a scenario's ``gazetteer.json``)."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    out: list[Place] = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or "id" not in row:
            continue
        try:
            out.append(
                Place(
                    id=str(row["id"]),
                    name=str(row.get("name") or row["id"]),
                    lat=float(row["lat"]),
                    lon=float(row["lon"]),
                    kind=str(row.get("kind") or "place"),
                    name_ar=row.get("name_ar"),
                    aliases=tuple(str(a) for a in row.get("aliases") or ()),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


class _Claims:
    """Keys that point at one place; a key claimed by two places points at none."""

    __slots__ = ("_ambiguous", "_lengths", "_map")

    def __init__(self) -> None:
        self._map: dict[str, Place] = {}
        self._lengths: dict[str, int] = {}
        self._ambiguous: set[str] = set()

    def claim(self, key: str, place: Place, length: int = 0) -> None:
        if not key or key in self._ambiguous:
            return
        held = self._map.get(key)
        if held is None:
            self._map[key] = place
            self._lengths[key] = length
        elif held.id != place.id:
            del self._map[key]
            self._ambiguous.add(key)

    def get(self, key: str) -> Place | None:
        return self._map.get(key)

    def claimed(self) -> list[str]:
        return list(self._map)

    def length(self, key: str) -> int:
        return self._lengths.get(key, 0)

    def __contains__(self, key: str) -> bool:
        return key in self._map


class Gazetteer:
    """Resolves place names, Arabic or Latin, to :class:`Place` records."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._places: dict[str, Place] = {}
        self._by_norm: dict[str, Place] = {}
        self._by_compact: dict[str, Place] = {}
        self._by_skeleton = _Claims()
        self._by_core = _Claims()
        self._by_head = _Claims()
        self._names: list[tuple[str, Place]] = []
        self._latin_keys: list[str] = []
        self._arabic_keys: list[str] = []
        self._latin_compact: list[str] = []
        self._arabic_compact: list[str] = []
        self._derived_stale = False
        self.first_words: set[str] = set()  # first words of every name
        self._prefixes: set[str] = set()
        self.max_words = 1
        for place in places:
            self.add(place)

    def add(self, place: Place) -> None:
        """Add a place; the first place to claim a name keeps it (sites before villages).

        A second entry with an id already known adds its names as aliases of
        the first (a gazetteer file may list other spellings of a site).
        """
        names = (place.name, place.name_ar, *place.aliases)
        if place.id in self._places:
            place = self._places[place.id]
        else:
            self._places[place.id] = place
        for name in names:
            if not name:
                continue
            key = normalise(name)
            if not key:
                continue
            words = key.split()
            self.max_words = min(_MAX_NGRAM_CAP, max(self.max_words, len(words)))
            self._names.append((key, place))
            self.first_words.add(words[0])
            if key not in self._by_norm:
                self._by_norm[key] = place
                (self._arabic_keys if words[0][0] >= "\u0600" else self._latin_keys).append(key)
            compact = key.replace(" ", "")
            if compact not in self._by_compact:
                self._by_compact[compact] = place
                (self._arabic_compact if words[0][0] >= "\u0600" else self._latin_compact).append(compact)
        self._derived_stale = True

    def _derive(self) -> None:
        """Skeleton, generic-stripped and first-word keys, from all names known so far."""
        self._by_skeleton = _Claims()
        self._by_core = _Claims()
        self._by_head = _Claims()
        # The leading words of longer names, and whose names they lead.
        leads: dict[str, set[str]] = {}
        for key, place in self._names:
            words = key.split()
            for n in range(1, len(words)):
                leads.setdefault(" ".join(words[:n]), set()).add(place.id)
        for key, place in self._names:
            words = key.split()
            skel = skeleton_of_words([word_forms(w) for w in words])
            if len(skel) >= _MIN_SKELETON:
                self._by_skeleton.claim(skel, place, len(key.replace(" ", "")))
            core = _strip_generic(words)
            core_key = " ".join(core)
            owner = self._by_norm.get(core_key)
            if not core or (owner is not None and owner.id != place.id):
                continue  # "X Hospital" where X is a town: X stays the town's
            if core != words and not (leads.get(core_key, set()) - {place.id}):
                # (not when other names start with it: "X" of "X hospital" when "X Y" is a town)
                self._by_core.claim(core_key, place)
            head = core[0]
            if len(core) > 1 and head not in COMMON_FIRST_WORDS and len(head) >= 3:
                head_owner = self._by_norm.get(head)
                if head_owner is None or head_owner.id == place.id:
                    self._by_head.claim(head, place)
        # Every beginning of a one-word, generic-stripped or skeleton key, for pruning look-ups.
        self._prefixes = set()
        cores = (k.replace(" ", "") for k in self._by_core.claimed())
        for key in [*self._by_compact, *self._by_skeleton.claimed(), *cores]:
            for end in range(1, len(key) + 1):
                self._prefixes.add(key[:end])
        self._derived_stale = False

    def __len__(self) -> int:
        return len(self._places)

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places.values())

    def get(self, place_id: str) -> Place | None:
        """The place with this id, if any."""
        return self._places.get(place_id)

    def names(self) -> list[str]:
        """Every normalised name the gazetteer knows (for checks and tests)."""
        return list(self._by_norm)

    # --- look-ups on words -----------------------------------------------------------------------

    def match_at(self, words: Sequence[WordForms], start: int) -> tuple[int, NameMatch] | None:
        """The longest name starting at ``words[start]``: ``(number of words, match)``.

        Exact, one-word, skeleton and generic-stripped names are tried; the
        first-word abbreviation and fuzzy matching are left to the caller
        (:meth:`head_match`, :meth:`fuzzy`), which knows the context.
        """
        if self._derived_stale:
            self._derive()
        # Grow the run while its one-word or skeleton form still begins some name; most words
        # in a message begin none, and cost a couple of set look-ups.
        longest = 0
        limit = min(self.max_words, len(words) - start)
        compacts = list(words[start].variants)
        for n in range(1, limit + 1):
            if n > 1:
                extra = words[start + n - 1].key
                compacts = [c + extra for c in compacts]
            if not (any(c in self._prefixes for c in compacts)
                    or skeleton_of_words(list(words[start : start + n])) in self._prefixes
                    or (n == 1 and any(skeleton_of_words([word_forms(v)]) in self._prefixes
                                       for v in words[start].variants[1:]))):
                break
            longest = n
        first = words[start]
        if longest == 0 and first.is_arabic and first.key.find("ال", 2) > 0:
            longest = 1  # a name run together with its article (XالY)
        for n in range(longest, 0, -1):
            run = words[start : start + n]
            match = self._match_run(run)
            if match is not None:
                return n, match
        return None

    def _match_run(self, run: Sequence[WordForms]) -> NameMatch | None:
        first = run[0]
        rest = [w.key for w in run[1:]]
        tail = " ".join(rest)
        for i, variant in enumerate(first.variants):
            key = f"{variant} {tail}" if tail else variant
            hit = self._by_norm.get(key)
            if hit is not None:
                return NameMatch(hit, 1.0 if i == 0 else 0.95, "exact", _prefix(first.key, i))
        for i, variant in enumerate(first.variants):
            compact = variant + "".join(rest)
            hit = self._by_compact.get(compact)
            if hit is not None:
                return NameMatch(hit, 0.97 if i == 0 else 0.93, "compact", _prefix(first.key, i))
        if first.is_arabic and not rest:
            # a name run together with its article: XالY for "X الY"
            key = first.key
            at = key.find("ال", 2)
            while 0 < at <= len(key) - 5:
                hit = self._by_compact.get(key[:at] + key[at + 2 :])
                if hit is not None:
                    return NameMatch(hit, 0.9, "compact")
                at = key.find("ال", at + 1)
        skel = skeleton_of_words(list(run))
        if len(skel) >= _MIN_SKELETON:
            hit = self._by_skeleton.get(skel)
            if hit is not None:
                written = sum(len(w.key) for w in run)
                known = self._by_skeleton.length(skel)
                if min(written, known) >= _SKELETON_LENGTH_RATIO * max(written, known):
                    return NameMatch(hit, 0.9, "skeleton")
        if first.is_arabic and len(first.variants) > 1:
            for variant in first.variants[1:]:
                forms = [word_forms(variant), *run[1:]]
                skel = skeleton_of_words(forms)
                hit = self._by_skeleton.get(skel) if len(skel) >= _MIN_SKELETON + 1 else None
                if hit is not None:
                    return NameMatch(hit, 0.85, "skeleton", first.key[0])
        for i, variant in enumerate(first.variants):
            key = f"{variant} {tail}" if tail else variant
            hit = self._by_core.get(key)
            if hit is not None:
                return NameMatch(hit, 0.85, "core", _prefix(first.key, i))
        return None

    def head_match(self, word: WordForms) -> NameMatch | None:
        """A longer name this word is the distinctive first word of (``X`` of ``X Y``), if only one."""
        if self._derived_stale:
            self._derive()
        for i, variant in enumerate(word.variants):
            hit = self._by_head.get(variant)
            if hit is not None:
                return NameMatch(hit, 0.75, "head", _prefix(word.key, i))
        return None

    def fuzzy(self, key: str) -> NameMatch | None:
        """The closest name in the same script, if it clears the threshold for its length."""
        compact_len = len(key.replace(" ", ""))
        if compact_len < 5:
            return None
        threshold = 85.0 if compact_len >= 8 else 88.0
        arabic = key[0] >= "\u0600"
        if " " in key:
            choices, owners = (self._arabic_keys if arabic else self._latin_keys), self._by_norm
        else:  # one word: compare with names written as one word (كفرX, KafrX)
            choices, owners = (self._arabic_compact if arabic else self._latin_compact), self._by_compact
        best = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=threshold)
        if best is None:
            return None
        return NameMatch(owners[best[0]], best[1] / 100.0, "fuzzy")

    # --- look-ups on whole names -----------------------------------------------------------------

    def lookup(self, name: str, *, fuzzy: bool = True) -> NameMatch | None:
        """Resolve one name; None when nothing clears the match threshold."""
        key = normalise(name)
        if not key:
            return None
        words = key.split()
        forms = [word_forms(w) for w in words]
        found = self.match_at(forms, 0)
        if found is not None and found[0] == len(forms):
            return found[1]
        core = _strip_generic(words)
        if core and core != words:
            forms = [word_forms(w) for w in core]
            found = self.match_at(forms, 0)
            if found is not None and found[0] == len(forms):
                return NameMatch(found[1].place, found[1].score * 0.95, found[1].how)
        if len(forms) == 1:
            head = self.head_match(forms[0])
            if head is not None:
                return head
        if fuzzy:
            return self.fuzzy(key)
        return None


def _prefix(word: str, variant_index: int) -> str:
    """The prefix removed from a word to get its n-th variant ("" for the word itself)."""
    if variant_index == 0:
        return ""
    return "ل" if word.startswith("لل") else word[0]


def _strip_generic(words: list[str]) -> list[str]:
    """The words without generic words at either end (``X air base`` -> ``X``)."""
    lo, hi = 0, len(words)
    while lo < hi and words[lo] in KIND_WORDS:
        lo += 1
    while hi > lo and words[hi - 1] in KIND_WORDS:
        hi -= 1
    return words[lo:hi]
