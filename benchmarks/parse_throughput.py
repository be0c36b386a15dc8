"""Messages per second of the message reader on one core.

    .venv/bin/python benchmarks/parse_throughput.py [--repeat 40] [--corpus ...] [--scenario ...]

Two figures: the corpus read over and over (the reader's per-word caches are
warm, as on a live channel where the same words recur), and every message made
unique by appending a fresh token (new words each time; the word caches are
cleared first, so this is the cold case).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nadhir.intake import tokens as tokens_module
from nadhir.intake.text import MessageReader

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "tests" / "intake" / "corpus.jsonl"
DEFAULT_SCENARIO = ROOT / "tests" / "data" / "scenarios" / "idlib-basic"


def load_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def rate(reader: MessageReader, texts: list[str]) -> tuple[float, float]:
    """Messages per second over ``texts`` (one pass): by CPU time of this process, and by the wall clock.

    The CPU figure is the one that says what one core does; the wall clock also
    counts time the process waited for a busy machine.
    """
    cpu, wall = time.process_time(), time.perf_counter()
    for t in texts:
        reader.read(t)
    return len(texts) / (time.process_time() - cpu), len(texts) / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    reader = MessageReader.from_scenario(args.scenario)
    texts = load_texts(args.corpus)
    rate(reader, texts)  # warm up
    warm_cpu, warm_wall = rate(reader, texts * args.repeat)
    tokens_module.WORD_CACHE.clear()
    unique = [f"{t} #{i}x{n}" for n in range(max(1, args.repeat // 4)) for i, t in enumerate(texts)]
    cold_cpu, cold_wall = rate(reader, unique)
    print(f"corpus: {len(texts)} messages")
    print(f"repeated x{args.repeat}: {warm_cpu:,.0f} messages/s of CPU time ({warm_wall:,.0f}/s wall clock;"
          f" {len(texts) * args.repeat} messages)")
    print(f"unique messages:   {cold_cpu:,.0f} messages/s of CPU time ({cold_wall:,.0f}/s wall clock;"
          f" {len(unique)} messages, word cache cleared first)")


if __name__ == "__main__":
    main()
