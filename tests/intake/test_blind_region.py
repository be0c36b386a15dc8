"""Blind set 3: messages from a region the reader was not developed on (Wadi al-Karam).

Scored through the same code as ``benchmarks/parse_accuracy.py`` against the gazetteer of
``sim-wadi-karam-5``; the floors sit a little below what the reader reaches (docs/benchmarks.md,
Message parsing), so that a regression fails here.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from benchmark_module import load_benchmark
from nadhir.domain import AIRCRAFT_TYPES
from nadhir.intake.text import MessageReader

ROOT = Path(__file__).resolve().parents[2]
BLIND = Path(__file__).resolve().parent / "blind_wadi_karam.jsonl"
SCENARIO = ROOT / "tests" / "data" / "scenarios" / "sim-wadi-karam-5"
FLOORS = {
    "aircraft": 0.95,
    "place": 0.95,
    "heading": 0.95,
    "count": 0.9,
    "action": 0.95,
    "toward": 0.8,
    "origin": 0.85,
    "no heading invented": 0.95,
    "no count invented": 0.95,
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("parse_accuracy")


@pytest.fixture(scope="module")
def reader() -> MessageReader:
    return MessageReader.from_scenario(SCENARIO)


def test_blind_set_is_labelled_against_the_region_gazetteer(bench: ModuleType, reader: MessageReader) -> None:
    rows = bench.load_corpus(BLIND)
    assert len(rows) >= 70
    assert len({r["text"] for r in rows}) == len(rows)
    for row in rows:
        assert row["source"] == "blind-wadi-karam"
        assert row["aircraft"] in AIRCRAFT_TYPES
        for key in ("place_id", "toward_id", "origin_id"):
            assert row.get(key) is None or reader.gazetteer.get(row[key]) is not None, (key, row)
    assert sum(r["place_id"] is None for r in rows) >= 5


def test_blind_region_accuracy_stays_above_the_floors(bench: ModuleType, reader: MessageReader) -> None:
    scores = bench.score(reader, bench.load_corpus(BLIND))
    for name, floor in FLOORS.items():
        s = scores[name]
        assert s.total > 0, name
        assert s.accuracy >= floor, (name, s.hits, s.total, s.misses)
