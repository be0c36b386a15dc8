"""Folding forwarded copies: relay channels repost the same message within minutes.

A relay that forwards a spotter's words adds no new evidence: counting it
as a second source would make one sighting look corroborated. A report whose
text is the same, or nearly the same, as a recent report from another
source is folded into the first: it is attributed to the original source.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from nadhir.geo.names import normalise

FORWARD_WINDOW_S = 300.0
SIMILARITY = 90.0  # rapidfuzz ratio on normalised text
MIN_TEXT_LENGTH = 12  # short texts ("jet!") coincide by chance
# How far below SIMILARITY rapidfuzz's batch scoring may pass a text on to be scored one by one:
# far more than any rounding between its two paths, so the batch never misses a copy.
_BATCH_SLACK = 0.01
# Words relays put in front of a forwarded message.
FORWARD_MARKERS = frozenset({"fwd", "fw", "forwarded", "منقول", "نقلا", "اعاده", "توجيه"})


@dataclass(frozen=True, slots=True)
class _Seen:
    t: float
    source: str
    key: str


class ForwardFolder:
    """Remembers recent message texts and recognises forwarded copies.

    With 500 observers a few hundred texts are recent at any time, and each new one was compared
    with every one of them in turn. They are now scored all at once by rapidfuzz's batch
    scorer; the few that come near the threshold are scored again one by one, oldest first, as
    before, and the first that is a copy from another source wins: the same source as the loop's.
    """

    def __init__(self, window_s: float = FORWARD_WINDOW_S, similarity: float = SIMILARITY) -> None:
        self._window_s = window_s
        self._similarity = similarity
        self._recent: list[_Seen] = []  # oldest first, from _start on
        self._keys: list[str] = []  # the same texts' keys, for the batch scorer
        self._start = 0

    def original_source(self, t: float, source: str, text: str | None) -> str:
        """The source this message should be credited to: its original sender if it is a copy."""
        recent, start = self._recent, self._start
        while start < len(recent) and t - recent[start].t > self._window_s:
            start += 1
        if start > 64 and start * 2 >= len(recent):
            del recent[:start], self._keys[:start]
            start = 0
        self._start = start
        if not text:
            return source
        key = " ".join(w for w in normalise(text).split() if w not in FORWARD_MARKERS)
        if len(key) < MIN_TEXT_LENGTH:
            return source
        if start < len(recent):
            near = process.extract(
                key,
                self._keys[start:],
                scorer=fuzz.ratio,
                score_cutoff=self._similarity - _BATCH_SLACK,
                limit=None,
            )
            for k in sorted(index for _, _, index in near):
                seen = recent[start + k]
                if seen.source != source and fuzz.ratio(key, seen.key) >= self._similarity:
                    return seen.source
        recent.append(_Seen(t, source, key))
        self._keys.append(key)
        return source
