"""How the message reader does on real observers' words (issue 17).

    .venv/bin/python benchmarks/real_messages.py [--corpus tests/data/messages/real_corpus.jsonl]
        [--scenario tests/data/scenarios/idlib-basic] [--split PART] [--errors]

The corpus is messages quoted in public sources (observatory radio calls, WhatsApp and
Telegram alerts, loudspeaker calls, strike reports, daily sortie summaries), each labelled
with its aircraft type and what it says the aircraft did, and split once, before the reader
was read, into a tuning part and a held-out part. Each blind part was scored once by the
reader of its day; after that it was used to fix the reader, so the next blind part was
collected and labelled before that reader saw it: ``held_out``, ``blind_2``, ``blind_3``,
``blind_4``, ``blind_5`` and ``blind_6`` (Syria, Yemen, Sudan, Lebanon, Ukraine); blind_5
and blind_6 were fixed on together after blind_6's one score; ``blind_7`` (Syria, Lebanon,
Gaza, Yemen, Sudan, Ukraine) was collected and labelled before the reader of blind_6 was read,
scored once, then fixed on; ``blind_8`` (Syria, Yemen, Sudan, Lebanon, Gaza, Israel, Jordan,
the UAE, Ukraine) likewise before the reader of blind_7 was read; ``blind_9`` (Syria,
Lebanon, Yemen, Sudan, Gaza, Israel, Saudi Arabia, Ukraine) before the reader of blind_8 was
read (docs/intake.md, "Real observers' words").
PART is one of those, ``tune`` or ``all``.

Scored:

- **aircraft type**: on every message labelled jet, helicopter, drone or unknown (the
  reader must not invent a type where the message gives none); messages about several
  types at once ("mixed", daily summaries) are left out;
- **action**: on every message. A live sighting's label maps to the reader's action
  (take-off -> ``takeoff``; passing and heading -> ``transit``; ``circling``; ``striking``)
  and is right when the reader reads it as a sighting with that action. A summary of
  past sorties is right only when the reader calls it a ``summary``, and a relayed call to
  take cover only when the reader calls it ``take_cover``: neither is a live sighting,
  and neither may be read as a strike.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nadhir.intake.parsed import ParsedMessage
from nadhir.intake.text import MessageReader

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "tests" / "data" / "messages" / "real_corpus.jsonl"
DEFAULT_SCENARIO = ROOT / "tests" / "data" / "scenarios" / "idlib-basic"
SPLITS = (
    "tune",
    "held_out",
    "blind_2",
    "blind_3",
    "blind_4",
    "blind_5",
    "blind_6",
    "blind_7",
    "blind_8",
    "blind_9",
    "blind_10",
)

# The corpus's action labels, as the reader says them: (message kind, action).
EXPECTED: dict[str, tuple[str, str | None]] = {
    "takeoff": ("sighting", "takeoff"),
    "passing": ("sighting", "transit"),
    "heading": ("sighting", "transit"),
    "circling": ("sighting", "circling"),
    "striking": ("sighting", "striking"),
    "summary": ("summary", None),
    "take_cover": ("take_cover", None),
}
TYPED = frozenset({"jet", "helicopter", "drone", "unknown"})


@dataclass
class Score:
    """Hits out of the messages scored, and the misses."""

    hits: int = 0
    total: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, ok: bool, row: dict[str, Any], expected: str, got: str) -> None:
        self.total += 1
        if ok:
            self.hits += 1
        else:
            self.misses.append((row["id"], expected, got))

    @property
    def accuracy(self) -> float:
        return self.hits / self.total if self.total else 1.0


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """The labelled messages, one JSON object a line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def reading(got: ParsedMessage) -> tuple[str, str]:
    """What the reader made of a message: its kind and its action."""
    return got.kind, got.action


def action_ok(label: str, got: ParsedMessage) -> bool:
    """Whether the reader's kind and action match the corpus's action label."""
    kind, action = reading(got)
    want_kind, want_action = EXPECTED[label]
    if kind != want_kind:
        return False
    return want_action is None or action == want_action


def score(reader: MessageReader, corpus: list[dict[str, Any]]) -> dict[str, Score]:
    """Aircraft-type and action accuracy of the reader on the given messages."""
    scores = {"aircraft": Score(), "action": Score()}
    for row in corpus:
        got = reader.read(row["text"])
        if row["aircraft"] in TYPED:
            scores["aircraft"].add(got.aircraft == row["aircraft"], row, row["aircraft"], got.aircraft)
        kind, action = reading(got)
        scores["action"].add(action_ok(row["action"], got), row, row["action"], f"{kind}/{action}")
    return scores


def by_split(reader: MessageReader, corpus: list[dict[str, Any]]) -> dict[str, dict[str, Score]]:
    """Scores on the tuning part, the held-out part, and all messages."""
    out = {split: score(reader, [r for r in corpus if r["split"] == split]) for split in SPLITS}
    out["all"] = score(reader, corpus)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--split", choices=(*SPLITS, "all"), default=None, help="print one part only")
    parser.add_argument("--errors", action="store_true", help="list the misses")
    args = parser.parse_args()
    reader = MessageReader.from_scenario(args.scenario)
    corpus = load_corpus(args.corpus)
    results = by_split(reader, corpus)
    shown = [args.split] if args.split else [*SPLITS, "all"]
    print(f"real corpus: {len(corpus)} messages; gazetteer {args.scenario.name}")
    print(f"{'part':<10}{'messages':>9}{'type':>9}{'(n)':>6}{'action':>9}{'(n)':>6}")
    for split in shown:
        s = results[split]
        n = s["action"].total
        print(
            f"{split:<10}{n:>9}{100 * s['aircraft'].accuracy:>8.1f}%{s['aircraft'].total:>6}"
            f"{100 * s['action'].accuracy:>8.1f}%{s['action'].total:>6}"
        )
    if args.errors:
        texts = {r["id"]: r["text"] for r in corpus}
        for split in shown:
            for name, s in results[split].items():
                for rid, expected, got in s.misses:
                    print(f"[{split} {name}] {rid} expected {expected} got {got}: {texts[rid]}")


if __name__ == "__main__":
    main()
