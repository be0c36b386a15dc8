"""The forward folder's shortlist (character bins) never sets aside a text that could be a copy."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from nadhir.intake.forwarding import _BATCH_SLACK, SIMILARITY, ForwardFolder, _histogram, _within_reach

# Latin, Arabic, digits, an emoji beyond the 16-bit plane, and characters whose code points
# fall in the same bin (a, A+32 apart: 'a' and chr(ord('a') + 32)).
_ALPHABET = "aeiouAnst rqz0123 طيرانحبيوقفلا" + "⚠️🚀" + "\u0081\u00a1"


def _edited(base: str, edits: list[tuple[int, int, str]]) -> str:
    """The base text with insertions (0), deletions (1) and substitutions (2) at given places."""
    text = base
    for kind, where, char in edits:
        at = where % (len(text) + 1)
        if kind == 0:
            text = text[:at] + char + text[at:]
        elif text:
            at = min(at, len(text) - 1)
            text = text[:at] + (char if kind == 2 else "") + text[at + 1 :]
    return text


_EDITS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 80), st.sampled_from(_ALPHABET)), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.text(_ALPHABET, min_size=1, max_size=60),
    st.lists(_EDITS, min_size=1, max_size=12),
    st.sampled_from([SIMILARITY, SIMILARITY - _BATCH_SLACK, 80.0, 50.0]),
)
def test_every_text_that_reaches_the_cutoff_is_kept(
    base: str, edits: list[list[tuple[int, int, str]]], cutoff: float
) -> None:
    query = _edited(base, edits[0])
    texts = [_edited(base, e) for e in edits]
    hists = np.hstack([_histogram(text) for text in texts])
    lengths = np.array([len(text) for text in texts], dtype=np.int32)
    kept = set(_within_reach(hists, lengths, _histogram(query), len(query), cutoff))
    for row, text in enumerate(texts):
        if fuzz.ratio(query, text) >= cutoff:
            assert row in kept, (query, text, fuzz.ratio(query, text))


def test_a_text_at_the_threshold_exactly_is_kept() -> None:
    """Ten characters each, one substituted: the ratio is 90 to the bit, which the shortlist's
    arithmetic (0.1 * 20 in floating point) would set aside without its slack."""
    query, text = "helicopter", "helicoptex"
    assert fuzz.ratio(query, text) == SIMILARITY
    hists = np.hstack([_histogram(text)])
    assert _within_reach(hists, np.array([10], dtype=np.int32), _histogram(query), 10, SIMILARITY) == [0]


def test_unlike_texts_are_set_aside() -> None:
    texts = ["helicopter over Saraqeb heading north", "طيران حربي روسي يحوم فوق الاتارب"]
    hists = np.hstack([_histogram(text) for text in texts])
    lengths = np.array([len(text) for text in texts], dtype=np.int32)
    query = "helicopter over Saraqeb heading south"
    assert _within_reach(hists, lengths, _histogram(query), len(query), SIMILARITY) == [0]


def test_a_lone_surrogate_is_counted_as_rapidfuzz_counts_it() -> None:
    folder = ForwardFolder()
    text = "helicopter over Saraqeb \ud83d heading north"
    assert folder.original_source(0.0, "obs-1", text) == "obs-1"
    assert folder.original_source(1.0, "relay", "Fwd: " + text) == "obs-1"


def test_a_long_copy_is_kept_though_its_bins_are_capped() -> None:
    """Forty thousand characters, most in one bin (capped at a thousand), and its copy with a
    few characters changed: still kept, and the folder folds it."""
    text = "helicopter " * 3_000 + "a" * 7_000
    copy = text[:-5] + "bbbbb"
    hists = np.hstack([_histogram(text)])
    assert _within_reach(
        hists, np.array([len(text)], dtype=np.int32), _histogram(copy), len(copy), SIMILARITY
    ) == [0]
    folder = ForwardFolder()
    assert folder.original_source(0.0, "obs-1", text) == "obs-1"
    assert folder.original_source(1.0, "relay", copy) == "obs-1"
