"""The learned-reader benchmark (issue 17): its first reads, its classifier and its hybrid.

``benchmarks/reader_generalisation.py`` compares the rules as they first read each blind part
with the rules helped by a character n-gram classifier (``benchmarks/action_model.py``). Here:
the recorded first reads are whole and give the first-read figures docs/intake.md records;
the classifier learns, is deterministic and gives probabilities; the hybrid only fills where
the rules found no action (or overrides where it is sure enough) and is scored by
real_messages' own rule.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark_module import load_benchmark
from nadhir.intake.parsed import ParsedMessage

ROOT = Path(__file__).resolve().parents[2]
# Each rolling part's first read as docs/intake.md records it (hits, messages).
RECORDED = {
    "blind_4": (24, 33),
    "blind_5": (28, 32),
    "blind_6": (45, 59),
    "blind_7": (47, 60),
    "blind_8": (47, 71),
    "blind_9": (33, 61),
    "blind_10": (31, 49),
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("reader_generalisation")


@pytest.fixture(scope="module")
def corpus(bench: ModuleType) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = bench.rm.load_corpus(bench.CORPUS)
    return rows


def test_first_reads_are_whole_and_give_the_recorded_figures(
    bench: ModuleType, corpus: list[dict[str, Any]]
) -> None:
    first = bench.rm.load_corpus(bench.FIRST_READS)
    assert set(RECORDED) == set(bench.ROLLING)
    for part, (hits, total) in RECORDED.items():
        ids = {r["id"] for r in corpus if r["split"] == part}
        reads = {r["id"]: (r["kind"], r["action"]) for r in first if r["part"] == part}
        assert set(reads) == ids, part
        assert all(r["commit"] == bench.FIRST_READ_COMMITS[part] for r in first if r["part"] == part)
        got = sum(bench.right(r["action"], reads[r["id"]]) for r in corpus if r["split"] == part)
        assert (got, len(ids)) == (hits, total), part


def test_right_is_real_messages_action_rule(bench: ModuleType, corpus: list[dict[str, Any]]) -> None:
    readings = [("sighting", a) for a in ("takeoff", "transit", "circling", "striking", "unknown")]
    readings += [("summary", "unknown"), ("take_cover", "unknown")]
    for label in bench.rm.EXPECTED:
        for kind, action in readings:
            parsed = ParsedMessage(text="x", kind=kind, action=action)
            assert bench.right(label, (kind, action)) == bench.rm.action_ok(label, parsed)


TRAIN = [
    ("أقلعت طائرتان حربيتان من مطار حماة العسكري", "takeoff"),
    ("helicopter took off from Hama airbase heading NW", "takeoff"),
    ("مروحيتان فوق معرة النعمان باتجاه الشمال", "transit"),
    ("Russian drones have been spotted over Kyiv Oblast heading west", "transit"),
    ("طائرة استطلاع تحوم في سماء سراقب منذ نصف ساعة", "circling"),
    ("a drone circling over Saraqeb for an hour", "circling"),
    ("الطيران الحربي الروسي يشن غارات على أطراف بلدة كفرنبل", "striking"),
    ("warplanes struck the town of Kafr Nabl this morning", "striking"),
    ("ثانيا: 15 طلعة جوية من مطار الشعيرات العسكري بحمص أمس", "summary"),
    ("the Russian warplanes carried out 40 raids yesterday in total", "summary"),
    ("توجهوا فوراً إلى أقرب مكان آمن وابقوا فيه حتى انتهاء الخطر", "take_cover"),
    ("Go to the nearest shelter and stay there until the all-clear.", "take_cover"),
]


@pytest.fixture(scope="module")
def model(bench: ModuleType) -> Any:
    texts, labels = zip(*TRAIN, strict=True)
    return bench.ActionModel.fit(list(texts), list(labels))


def test_the_classifier_learns_its_training_rows_and_is_deterministic(bench: ModuleType, model: Any) -> None:
    texts, labels = zip(*TRAIN, strict=True)
    proba = model.proba(list(texts))
    assert [bench.CLASSES[i] for i in proba.argmax(axis=1)] == list(labels)
    again = bench.ActionModel.fit(list(texts), list(labels))
    assert np.array_equal(again.weights, model.weights) and np.array_equal(again.bias, model.bias)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("abc طائرةحربية 0123،.!"), max_size=60), min_size=1, max_size=5)
)
def test_the_classifier_gives_a_probability_per_class(
    bench: ModuleType, model: Any, texts: list[str]
) -> None:
    proba = model.proba(texts)
    assert proba.shape == (len(texts), len(bench.CLASSES))
    assert np.all(proba >= 0) and np.allclose(proba.sum(axis=1), 1.0)


READINGS = st.sampled_from(
    [("sighting", a) for a in ("takeoff", "transit", "circling", "striking", "unknown")]
    + [("summary", "unknown"), ("take_cover", "unknown")]
)


@settings(max_examples=200, deadline=None)
@given(READINGS, st.lists(st.floats(0.01, 1.0), min_size=7, max_size=7), st.floats(0.0, 1.0))
def test_fill_changes_only_a_sighting_the_rules_found_no_action_in(
    bench: ModuleType, rules: tuple[str, str], weights: list[float], fill: float
) -> None:
    proba = np.array(weights) / sum(weights)
    got = bench.combine(rules, proba, None, fill=fill)
    if rules != ("sighting", "unknown"):
        assert got == rules
    elif proba.max() >= fill:
        assert got == bench.class_reading(bench.CLASSES[int(proba.argmax())])
    else:
        assert got == rules
