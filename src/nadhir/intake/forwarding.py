"""Folding forwarded copies: relay channels repost the same message within minutes.

A relay that forwards a spotter's words adds no new evidence: counting it
as a second source would make one sighting look corroborated. A report whose
text is the same, or nearly the same, as a recent report from another
source is folded into the first: it is attributed to the original source.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rapidfuzz import fuzz

from nadhir.geo.names import normalise

FORWARD_WINDOW_S = 300.0
SIMILARITY = 90.0  # rapidfuzz ratio on normalised text
MIN_TEXT_LENGTH = 12  # short texts ("jet!") coincide by chance
# Words relays put in front of a forwarded message.
FORWARD_MARKERS = frozenset({"fwd", "fw", "forwarded", "منقول", "نقلا", "اعاده", "توجيه"})


@dataclass(frozen=True, slots=True)
class _Seen:
    t: float
    source: str
    key: str


class ForwardFolder:
    """Remembers recent message texts and recognises forwarded copies."""

    def __init__(self, window_s: float = FORWARD_WINDOW_S, similarity: float = SIMILARITY) -> None:
        self._window_s = window_s
        self._similarity = similarity
        self._recent: deque[_Seen] = deque()

    def original_source(self, t: float, source: str, text: str | None) -> str:
        """The source this message should be credited to: its original sender if it is a copy."""
        while self._recent and t - self._recent[0].t > self._window_s:
            self._recent.popleft()
        if not text:
            return source
        key = " ".join(w for w in normalise(text).split() if w not in FORWARD_MARKERS)
        if len(key) < MIN_TEXT_LENGTH:
            return source
        for seen in self._recent:
            if seen.source != source and fuzz.ratio(key, seen.key) >= self._similarity:
                return seen.source
        self._recent.append(_Seen(t, source, key))
        return source
