from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from nadhir.geo.names import normalise
from nadhir.intake.forwarding import (
    FORWARD_MARKERS,
    FORWARD_WINDOW_S,
    MIN_TEXT_LENGTH,
    SIMILARITY,
    ForwardFolder,
)


def test_relay_copy_is_credited_to_the_original_sender() -> None:
    folder = ForwardFolder()
    text = "⚠️ طيران حربي روسي يحوم فوق الاتارب"
    assert folder.original_source(0.0, "obs-1", text) == "obs-1"
    assert folder.original_source(60.0, "tg-channel-8", "Fwd: " + text) == "obs-1"
    assert folder.original_source(90.0, "tg-channel-9", "منقول: " + text + " ⚠️") == "obs-1"


def test_different_messages_and_old_ones_are_not_folded() -> None:
    folder = ForwardFolder(window_s=300.0)
    assert folder.original_source(0.0, "obs-1", "helicopter over Saraqeb heading north") == "obs-1"
    assert folder.original_source(10.0, "obs-2", "jet over Ariha heading south-west") == "obs-2"
    assert folder.original_source(400.0, "obs-3", "helicopter over Saraqeb heading north") == "obs-3"


def test_short_texts_and_the_same_source_are_left_alone() -> None:
    folder = ForwardFolder()
    assert folder.original_source(0.0, "obs-1", "jet!") == "obs-1"
    assert folder.original_source(1.0, "obs-2", "jet!") == "obs-2"
    assert folder.original_source(2.0, "obs-1", "helicopter over Saraqeb heading north") == "obs-1"
    assert folder.original_source(3.0, "obs-1", "helicopter over Saraqeb heading north") == "obs-1"


class _LoopFolder:
    """The folder as it was: each recent text scored in turn, oldest first."""

    def __init__(self) -> None:
        self._recent: deque[tuple[float, str, str]] = deque()

    def original_source(self, t: float, source: str, text: str) -> str:
        while self._recent and t - self._recent[0][0] > FORWARD_WINDOW_S:
            self._recent.popleft()
        key = " ".join(w for w in normalise(text).split() if w not in FORWARD_MARKERS)
        if len(key) < MIN_TEXT_LENGTH:
            return source
        for _, seen_source, seen_key in self._recent:
            if seen_source != source and fuzz.ratio(key, seen_key) >= SIMILARITY:
                return seen_source
        self._recent.append((t, source, key))
        return source


_WORDS = [
    "jet",
    "helicopter",
    "over",
    "Saraqeb",
    "Ariha",
    "heading",
    "north",
    "south",
    "Fwd:",
    "منقول",
    "طيران",
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 120.0),
            st.integers(0, 6),
            st.lists(st.sampled_from(_WORDS), min_size=1, max_size=7),
            st.sampled_from(["", "!", "s", " ⚠️"]),
        ),
        max_size=120,
    )
)
def test_the_batch_scorer_folds_what_the_loop_folds(
    messages: list[tuple[float, int, list[str], str]],
) -> None:
    fast, loop = ForwardFolder(), _LoopFolder()
    t = 0.0
    for gap, who, words, tail in messages:
        t += gap
        text = " ".join(words) + tail
        assert fast.original_source(t, f"obs-{who}", text) == loop.original_source(t, f"obs-{who}", text)


def test_the_oldest_copy_wins_over_a_closer_later_one() -> None:
    """Two stored texts from different sources, too unlike each other to fold, both near a third:
    the older one is the original, though the newer one is the closer (93.6 against 91.4)."""
    folder = ForwardFolder()
    assert folder.original_source(0.0, "obs-1", "helicopter over Saraqeb heading north") == "obs-1"
    assert (
        folder.original_source(5.0, "obs-2", "helicopter over Saraqeb heading north toward Ariha") == "obs-2"
    )
    assert (
        folder.original_source(9.0, "relay", "Fwd: helicopter over Saraqeb heading north toward") == "obs-1"
    )


def test_with_hundreds_of_recent_texts_the_folder_folds_what_the_loop_folds() -> None:
    """Every observer text of the public scenarios (some 1,400, Arabic and English, relays'
    copies among them), a second apart, so that hundreds are recent at once, as with a country's
    500 observers: the batch scorer folds each as the loop does."""
    import json
    from pathlib import Path

    texts = []
    for path in sorted((Path(__file__).resolve().parents[1] / "data" / "scenarios").glob("*/events.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # (the scenarios hold a few broken lines on purpose)
                if isinstance(event, dict) and event.get("kind") == "report" and event.get("text"):
                    texts.append((str(event.get("reporter")), str(event["text"])))
    assert len(texts) > 1_000
    fast, loop = ForwardFolder(), _LoopFolder()
    folded = 0
    for k, (who, text) in enumerate(texts):
        got = fast.original_source(float(k), who, text)
        assert got == loop.original_source(float(k), who, text)
        folded += got != who
    assert folded > 20  # copies among them, folded both ways
