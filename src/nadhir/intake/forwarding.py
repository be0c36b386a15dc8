"""Folding forwarded copies: relay channels repost the same message within minutes.

A relay that forwards a spotter's words adds no new evidence: counting it
as a second source would make one sighting look corroborated. A report whose
text is the same, or nearly the same, as a recent report from another
source is folded into the first: it is attributed to the original source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from nadhir.geo.names import normalise

FORWARD_WINDOW_S = 300.0
SIMILARITY = 90.0  # rapidfuzz ratio on normalised text
MIN_TEXT_LENGTH = 12  # short texts ("jet!") coincide by chance
# How far below SIMILARITY rapidfuzz's batch scoring may pass a text on to be scored one by one:
# far more than any rounding between its two paths, so the batch never misses a copy.
_BATCH_SLACK = 0.01
# Characters are counted in this many bins (code point modulo the bins) for the shortlist below,
# at most _BIN_CAP in a bin: 32 bins' differences then sum within an int16.
_BINS = 32
_BIN_CAP = 1000
# Words relays put in front of a forwarded message.
FORWARD_MARKERS = frozenset({"fwd", "fw", "forwarded", "منقول", "نقلا", "اعاده", "توجيه"})


@dataclass(frozen=True, slots=True)
class _Seen:
    t: float
    source: str
    key: str


def _histogram(key: str) -> npt.NDArray[np.int16]:
    """How many of the key's characters fall in each bin (code point modulo _BINS), at most
    _BIN_CAP: a column of _BINS rows."""
    points = np.frombuffer(key.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    counts = np.minimum(np.bincount(points % _BINS, minlength=_BINS), _BIN_CAP)
    return counts.astype(np.int16)[:, None]


def _within_reach(
    hists: npt.NDArray[np.int16],
    lengths: npt.NDArray[np.int32],
    hist: npt.NDArray[np.int16],
    length: int,
    cutoff: float,
) -> list[int]:
    """The texts (columns of ``hists``, one bin a row) that may score at least ``cutoff``
    (rapidfuzz's ratio) against a text of bins ``hist`` and ``length`` characters.

    The ratio is 100 * (1 - d / (len_a + len_b)), d the Indel distance (insertions and
    deletions). Every character one text holds more of than the other costs one insertion or
    deletion at least, and binning characters or capping a bin's count only lowers that count,
    so d is at least the sum of the bins' differences: a text beyond that bound cannot reach
    the cutoff. (A millionth of slack for rounding; rapidfuzz still scores every text kept.)
    Bins as rows: the sum is a few adds of whole rows, about a third of summing along rows.
    """
    apart = np.abs(hists - hist).sum(axis=0, dtype=np.int16)
    allowed = (1.0 - cutoff / 100.0) * (lengths + length) + 1e-6
    rows: list[int] = np.flatnonzero(apart <= allowed).tolist()
    return rows


class ForwardFolder:
    """Remembers recent message texts and recognises forwarded copies.

    With 500 observers a few hundred texts are recent at any time, and each new one was compared
    with every one of them in turn. They are now scored all at once by rapidfuzz's batch
    scorer; the few that come near the threshold are scored again one by one, oldest first, as
    before, and the first that is a copy from another source wins: the same source as the loop's.
    Before the batch, each text's characters counted in bins (kept as an array beside the texts)
    set aside the texts too unlike to reach the threshold (_within_reach): on a country's
    reports the batch then scores a few of some 700 recent texts, not all.
    """

    def __init__(self, window_s: float = FORWARD_WINDOW_S, similarity: float = SIMILARITY) -> None:
        self._window_s = window_s
        self._similarity = similarity
        self._recent: list[_Seen] = []  # oldest first, from _start on
        self._keys: list[str] = []  # the same texts' keys, for the batch scorer
        self._start = 0
        # Columns from 0 to len(self._recent) hold each recent text's bins and length.
        self._hists = np.zeros((_BINS, 256), dtype=np.int16)
        self._lengths = np.zeros(256, dtype=np.int32)

    def original_source(self, t: float, source: str, text: str | None) -> str:
        """The source this message should be credited to: its original sender if it is a copy."""
        recent, start = self._recent, self._start
        while start < len(recent) and t - recent[start].t > self._window_s:
            start += 1
        if start > 64 and start * 2 >= len(recent):
            del recent[:start], self._keys[:start]
            kept = len(recent)
            self._hists[:, :kept] = self._hists[:, start : start + kept]
            self._lengths[:kept] = self._lengths[start : start + kept]
            start = 0
        self._start = start
        if not text:
            return source
        key = " ".join(w for w in normalise(text).split() if w not in FORWARD_MARKERS)
        if len(key) < MIN_TEXT_LENGTH:
            return source
        hist, end = _histogram(key), len(recent)
        if start < end:
            cutoff = self._similarity - _BATCH_SLACK
            rows = _within_reach(self._hists[:, start:end], self._lengths[start:end], hist, len(key), cutoff)
            if rows:
                keys = self._keys
                near = process.extract(
                    key,
                    [keys[start + row] for row in rows],
                    scorer=fuzz.ratio,
                    score_cutoff=cutoff,
                    limit=None,
                )
                for k in sorted(index for _, _, index in near):
                    seen = recent[start + rows[k]]
                    if seen.source != source and fuzz.ratio(key, seen.key) >= self._similarity:
                        return seen.source
        if end == len(self._lengths):
            self._hists = np.concatenate([self._hists, np.zeros_like(self._hists)], axis=1)
            self._lengths = np.concatenate([self._lengths, np.zeros_like(self._lengths)])
        self._hists[:, end : end + 1], self._lengths[end] = hist, len(key)
        recent.append(_Seen(t, source, key))
        self._keys.append(key)
        return source
