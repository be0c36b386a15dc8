"""Per-field accuracy of the message reader on the labelled corpus.

    .venv/bin/python benchmarks/parse_accuracy.py [--corpus tests/intake/corpus.jsonl]
        [--scenario tests/data/scenarios/idlib-basic] [--errors]

Aircraft and place are scored on every message (a message about a village the
gazetteer does not know must give no place); heading and count only where the
corpus gives one, action only where it is clear. ``--errors`` lists misses.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nadhir.geo.distance import angle_diff_deg
from nadhir.intake.parsed import ParsedMessage
from nadhir.intake.text import MessageReader

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "tests" / "intake" / "corpus.jsonl"
DEFAULT_SCENARIO = ROOT / "tests" / "data" / "scenarios" / "idlib-basic"
HEADING_TOLERANCE_DEG = 1.0


@dataclass
class FieldScore:
    """Hits out of the messages scored for one field, and the misses."""

    hits: int = 0
    total: int = 0
    misses: list[tuple[str, Any, Any]] = field(default_factory=list)

    def add(self, ok: bool, text: str, expected: Any, got: Any) -> None:
        self.total += 1
        if ok:
            self.hits += 1
        else:
            self.misses.append((text, expected, got))

    @property
    def accuracy(self) -> float:
        return self.hits / self.total if self.total else 1.0


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """The labelled messages, one JSON object a line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def heading_ok(expected: float, got: float | None) -> bool:
    return got is not None and abs(angle_diff_deg(got, expected)) <= HEADING_TOLERANCE_DEG


def score(reader: MessageReader, corpus: Iterable[dict[str, Any]]) -> dict[str, FieldScore]:
    """Score every field of the reader's output against the corpus labels."""
    scores = {name: FieldScore() for name in (
        "aircraft", "place", "heading", "count", "action", "toward", "origin",
        "no heading invented", "no count invented")}
    for row in corpus:
        text = row["text"]
        got: ParsedMessage = reader.read(text)
        scores["aircraft"].add(got.aircraft == row["aircraft"], text, row["aircraft"], got.aircraft)
        scores["place"].add(got.place_id == row["place_id"], text, row["place_id"], got.place_id)
        if row.get("heading_deg") is not None:
            scores["heading"].add(heading_ok(row["heading_deg"], got.heading_deg), text, row["heading_deg"],
                                  got.heading_deg)
        elif row.get("toward_id") is None:
            scores["no heading invented"].add(got.heading_deg is None, text, None, got.heading_deg)
        if row.get("count") is not None:
            scores["count"].add(got.count == row["count"], text, row["count"], got.count)
        else:
            scores["no count invented"].add(got.count is None, text, None, got.count)
        if row.get("action") is not None:
            scores["action"].add(got.action == row["action"], text, row["action"], got.action)
        if row.get("toward_id") is not None:
            scores["toward"].add(got.toward_id == row["toward_id"], text, row["toward_id"], got.toward_id)
        if row.get("origin_id") is not None:
            scores["origin"].add(got.origin_id == row["origin_id"], text, row["origin_id"], got.origin_id)
    return scores


def group_of(row: dict[str, Any]) -> list[str]:
    """The groups a message counts in for the breakdown."""
    text = row["text"]
    arabic, latin = bool(re.search("[\u0600-\u06ff]", text)), bool(re.search("[A-Za-z]{2}", text))
    groups = ["mixed script" if arabic and latin else "Arabic" if arabic else "English/Latin"]
    if row["place_id"] is None:
        groups.append("place not in gazetteer / none")
    if re.search("[٠-٩]", text):
        groups.append("Arabic-Indic digits")
    groups.append("from scenario events" if row.get("source", "").startswith("scenario:") else "hand-written")
    return groups


def breakdown(reader: MessageReader, corpus: list[dict[str, Any]]) -> dict[str, dict[str, FieldScore]]:
    """Aircraft and place accuracy by group of message."""
    out: dict[str, dict[str, FieldScore]] = {}
    for row in corpus:
        text = row["text"]
        got = reader.read(text)
        for group in group_of(row):
            scores = out.setdefault(group, {"aircraft": FieldScore(), "place": FieldScore()})
            scores["aircraft"].add(got.aircraft == row["aircraft"], text, row["aircraft"], got.aircraft)
            scores["place"].add(got.place_id == row["place_id"], text, row["place_id"], got.place_id)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--errors", action="store_true", help="list the misses")
    args = parser.parse_args()
    reader = MessageReader.from_scenario(args.scenario)
    corpus = load_corpus(args.corpus)
    scores = score(reader, corpus)
    print(f"corpus: {args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus}"
          f" ({len(corpus)} messages)")
    print(f"{'field':<22}{'accuracy':>9}{'hits':>7}{'scored':>8}")
    for name, s in scores.items():
        print(f"{name:<22}{100 * s.accuracy:>8.1f}%{s.hits:>7}{s.total:>8}")
    print()
    print(f"{'group':<32}{'messages':>9}{'aircraft':>10}{'place':>8}")
    for group, g in sorted(breakdown(reader, corpus).items()):
        print(f"{group:<32}{g['aircraft'].total:>9}{100 * g['aircraft'].accuracy:>9.1f}%"
              f"{100 * g['place'].accuracy:>7.1f}%")
    if args.errors:
        for name, s in scores.items():
            for text, expected, got in s.misses:
                print(f"[{name}] expected {expected!r} got {got!r}: {text}")


if __name__ == "__main__":
    main()
