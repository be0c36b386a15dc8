"""Does a learned action classifier, with the rules, read unseen real messages better (issue 17)?

    .venv/bin/python benchmarks/reader_generalisation.py [--l2 0.001] [--no-hand] [--no-loo]
    .venv/bin/python benchmarks/reader_generalisation.py --record   # rebuild the first reads

The real corpus (``tests/data/messages/real_corpus.jsonl``) grew part by part; each blind
part was read once by the rules of its day, then the rules were fixed on it. So the honest
figure for "messages the project never saw" is each part's first read.

**Rolling origin by part.** For k = blind_4 .. blind_10: the classifier
(``benchmarks/action_model.py``) is trained only on what existed before part k (the earlier
parts plus the hand corpora ``tests/intake/corpus.jsonl`` and ``blind_wadi_karam.jsonl``,
whose rows without an action are left out) and tested on part k. The rules are the rules as
they were when part k was added, before any fix on it: the reader of the commit that added
part k alone (:data:`FIRST_READ_COMMITS`), run on part k. Its readings are kept in
``benchmarks/data/first_reads.jsonl`` (``--record`` rebuilds them from git history; they
reproduce the recorded first-read figures 0.73, 0.88, 0.76, 0.78, 0.66, 0.54). Labels are
today's.

Ways of reading (``rules``, ``model``, ``fill``, ``vote@p`` and ``vote@chosen`` were fixed
before anything was scored; ``prior``, a no-skill rival, and ``fill@p``, the form that could
leave the scenarios alone, were added after the first run):

- ``rules``: the rules alone;
- ``model``: the classifier alone;
- ``fill``: the rules, and the classifier's class where the rules read a sighting with no
  action (the rules found none);
- ``prior``: the same with the commonest class of the training parts' labels instead;
- ``fill@p``: ``fill`` only where the classifier's probability is at least p (0.4 .. 0.7);
- ``vote@p``: ``fill``, and the classifier's class also overrides the rules when its
  probability is at least p (p = 0.6, 0.7, 0.8, 0.9 shown);
- ``vote@chosen``: p chosen for part k only from the parts before it (the p with the most
  hits over blind_4 .. blind_{k-1}, each read by its own first-read rules and a classifier
  trained before it; for blind_4, with nothing before it, ``fill``).

**Leave one part out**, for context: today's rules (fitted on every part, so optimistic for
the rules) with a classifier trained on every other part and the hand corpora.

It also counts the report texts of tests/data/scenarios that the rules read with no action,
and how many of them a classifier trained on every part would fill at each p: what a fill
would change outside the corpus. ``--no-hand`` trains on the real parts only.

Scoring is ``benchmarks/real_messages.py``'s action score: a label maps to the reader's
(kind, action) and is right only when both match.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nadhir.domain.formats.scenario import load_scenario
from nadhir.intake.text import MessageReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import real_messages as rm  # noqa: E402  (the scorer beside this file)
from action_model import CLASSES, ActionModel  # noqa: E402  (the classifier beside this file)

CORPUS = ROOT / "tests" / "data" / "messages" / "real_corpus.jsonl"
HAND = (ROOT / "tests" / "intake" / "corpus.jsonl", ROOT / "tests" / "intake" / "blind_wadi_karam.jsonl")
FIRST_READS = ROOT / "benchmarks" / "data" / "first_reads.jsonl"
SCENARIO = "tests/data/scenarios/idlib-basic"
# The commit that added each part alone, before the reader was fixed on it (git log -- tests/data/messages).
FIRST_READ_COMMITS = {
    "blind_4": "595b9ce",
    "blind_5": "24133bb",
    "blind_6": "d64df1b",
    "blind_7": "9fa9d64",
    "blind_8": "910b747",
    "blind_9": "7bf7430",
    "blind_10": "35fd9b8",
}
ROLLING = tuple(FIRST_READ_COMMITS)
VOTES = (0.6, 0.7, 0.8, 0.9)
FILLS = (0.4, 0.5, 0.6, 0.7)
SCENARIOS = ROOT / "tests" / "data" / "scenarios"
# The corpus's labels as the classifier's classes (passing and heading are both the reader's transit).
TO_CLASS = {"passing": "transit", "heading": "transit"}
Reading = tuple[str, str]  # (kind, action)

_DUMP = """
import json, sys
from nadhir.intake.text import MessageReader
reader = MessageReader.from_scenario(sys.argv[1])
for line in sys.stdin:
    row = json.loads(line)
    got = reader.read(row["text"])
    print(json.dumps({"id": row["id"], "kind": getattr(got, "kind", "sighting"), "action": got.action}))
"""


def record(corpus: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read each part with the rules of the commit that added it (from git history)."""
    out: list[dict[str, Any]] = []
    for part, commit in FIRST_READ_COMMITS.items():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "src", SCENARIO], check=True, capture_output=True
        ).stdout
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            rows = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus if r["split"] == part)
            env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
            done = subprocess.run(
                [sys.executable, "-c", _DUMP, str(Path(tmp) / SCENARIO)],
                input=rows,
                capture_output=True,
                text=True,
                check=True,
                env=env,
                cwd=tmp,
            )
        for line in done.stdout.splitlines():
            out.append({**json.loads(line), "part": part, "commit": commit})
    return out


def as_class(label: str) -> str:
    """A corpus action label as one of the classifier's classes."""
    return TO_CLASS.get(label, label)


def class_reading(cls: str) -> Reading:
    """A classifier class as the reader's (kind, action)."""
    if cls in ("summary", "take_cover"):
        return cls, "unknown"
    return "sighting", cls


def right(label: str, got: Reading) -> bool:
    """Whether a reading matches the corpus's action label (real_messages' rule)."""
    want_kind, want_action = rm.EXPECTED[label]
    return got[0] == want_kind and (want_action is None or got[1] == want_action)


def combine(rules: Reading, proba: NDArray[np.float64], vote: float | None, fill: float = 0.0) -> Reading:
    """The hybrid: the rules; the classifier where they found no action (if its probability is
    at least ``fill``), or wherever its probability is at least ``vote``."""
    best = int(np.argmax(proba))
    mine = class_reading(CLASSES[best])
    if rules[0] == "sighting" and rules[1] == "unknown" and proba[best] >= fill:
        return mine
    if vote is not None and proba[best] >= vote:
        return mine
    return rules


def training_rows(
    corpus: list[dict[str, Any]], parts: Iterable[str], hand: bool = True
) -> tuple[list[str], list[str]]:
    """Texts and classes to train on: the given real parts and the hand corpora's rows with an action."""
    keep = set(parts)
    texts = [r["text"] for r in corpus if r["split"] in keep]
    labels = [as_class(r["action"]) for r in corpus if r["split"] in keep]
    for path in HAND if hand else ():
        for row in rm.load_corpus(path):
            if row.get("action") in CLASSES:
                texts.append(row["text"])
                labels.append(row["action"])
    return texts, labels


def evaluate(
    rows: Sequence[dict[str, Any]], rules: Sequence[Reading], proba: NDArray[np.float64], prior: str
) -> dict[str, list[bool]]:
    """Per way of reading, whether each row was read right."""
    out: dict[str, list[bool]] = {"rules": [], "model": [], "prior": [], "fill": []}
    out.update({f"fill@{p}": [] for p in FILLS})
    out.update({f"vote@{p}": [] for p in VOTES})
    for row, got, pr in zip(rows, rules, proba, strict=True):
        label = row["action"]
        out["rules"].append(right(label, got))
        out["model"].append(right(label, class_reading(CLASSES[int(np.argmax(pr))])))
        no_action = got == ("sighting", "unknown")
        out["prior"].append(right(label, class_reading(prior) if no_action else got))
        out["fill"].append(right(label, combine(got, pr, None)))
        for p in FILLS:
            out[f"fill@{p}"].append(right(label, combine(got, pr, None, fill=p)))
        for p in VOTES:
            out[f"vote@{p}"].append(right(label, combine(got, pr, p)))
    return out


def prior_class(corpus: list[dict[str, Any]], parts: Iterable[str]) -> str:
    """The commonest class among the given real parts' labels (the no-skill guess)."""
    keep = set(parts)
    counts = Counter(as_class(r["action"]) for r in corpus if r["split"] in keep)
    return max(CLASSES, key=lambda c: (counts[c], -CLASSES.index(c)))


def rolling(
    corpus: list[dict[str, Any]], first: dict[str, Reading], l2: float, hand: bool = True
) -> dict[str, dict[str, list[bool]]]:
    """Rolling origin: each part k read by its first-read rules and a classifier trained before it."""
    results: dict[str, dict[str, list[bool]]] = {}
    for part in ROLLING:
        before = rm.SPLITS[: rm.SPLITS.index(part)]
        model = ActionModel.fit(*training_rows(corpus, before, hand), l2=l2)
        rows = [r for r in corpus if r["split"] == part]
        proba = model.proba([r["text"] for r in rows])
        res = evaluate(rows, [first[r["id"]] for r in rows], proba, prior_class(corpus, before))
        # vote@chosen: the p with the most hits on the earlier rolling parts (fill before any).
        earlier = [results[p] for p in ROLLING[: ROLLING.index(part)]]
        ways = ["fill", *(f"vote@{p}" for p in VOTES)]
        chosen = (
            max(ways, key=lambda w: (sum(sum(e[w]) for e in earlier), -ways.index(w))) if earlier else "fill"
        )
        res["vote@chosen"] = res[chosen]
        res["chosen"] = [chosen == w for w in ways]  # which, for the report
        results[part] = res
    return results


def leave_one_out(
    corpus: list[dict[str, Any]], l2: float, hand: bool = True
) -> dict[str, dict[str, list[bool]]]:
    """Each part read by today's rules and a classifier trained on every other part."""
    reader = MessageReader.from_scenario(ROOT / SCENARIO)
    results: dict[str, dict[str, list[bool]]] = {}
    for part in rm.SPLITS:
        others = [s for s in rm.SPLITS if s != part]
        model = ActionModel.fit(*training_rows(corpus, others, hand), l2=l2)
        rows = [r for r in corpus if r["split"] == part]
        rules = [rm.reading(reader.read(r["text"])) for r in rows]
        results[part] = evaluate(
            rows, rules, model.proba([r["text"] for r in rows]), prior_class(corpus, others)
        )
    return results


def scenario_fires(
    corpus: list[dict[str, Any]], l2: float, hand: bool = True
) -> tuple[int, int, dict[float, int]]:
    """How many scenario texts (tests/data/scenarios, report text and origin, each under its own
    gazetteer) the rules read as a sighting with no action, of how many, and how many of those
    the classifier trained on every part would fill at each threshold (0 = ``fill``)."""
    model = ActionModel.fit(*training_rows(corpus, rm.SPLITS, hand), l2=l2)
    seen: set[str] = set()
    empty: list[str] = []
    for folder in sorted(SCENARIOS.iterdir()):
        if not (folder / "events.jsonl").exists():
            continue
        reader = MessageReader.from_scenario(folder)
        for _, event in load_scenario(folder).events():
            for text in (getattr(event, "text", None), getattr(event, "origin", None)):
                if isinstance(text, str) and text not in seen:
                    seen.add(text)
                    if rm.reading(reader.read(text)) == ("sighting", "unknown"):
                        empty.append(text)
    best = model.proba(empty).max(axis=1) if empty else np.zeros(0)
    return len(empty), len(seen), {p: int((best >= p).sum()) for p in (0.0, *FILLS)}


def table(title: str, results: dict[str, dict[str, list[bool]]], ways: Sequence[str]) -> list[str]:
    """Action accuracy per part and pooled (hits, then the share), one column per way of reading."""
    lines = [title, f"{'part':<9}{'n':>4}" + "".join(f"{w:>12}" for w in ways)]
    pooled: dict[str, list[bool]] = {w: [] for w in ways}
    for part, res in results.items():
        cells = ""
        for w in ways:
            hits = res[w]
            pooled[w] += hits
            cells += f"{sum(hits):>5} {sum(hits) / len(hits):.3f}".rjust(12)
        lines.append(f"{part:<9}{len(res['rules']):>4}{cells}")
    n = len(pooled["rules"])
    lines.append(
        f"{'pooled':<9}{n:>4}"
        + "".join(f"{sum(pooled[w]):>5} {sum(pooled[w]) / n:.3f}".rjust(12) for w in ways)
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="rebuild the first reads from git history")
    parser.add_argument("--l2", type=float, default=1e-3, help="the classifier's L2 penalty")
    parser.add_argument("--no-loo", action="store_true", help="skip leave-one-part-out")
    parser.add_argument("--no-hand", action="store_true", help="train on the real parts only")
    args = parser.parse_args()
    corpus = rm.load_corpus(CORPUS)
    if args.record:
        FIRST_READS.parent.mkdir(exist_ok=True)
        with FIRST_READS.open("w", encoding="utf-8") as fh:
            for row in record(corpus):
                fh.write(json.dumps(row) + "\n")
    first = {r["id"]: (r["kind"], r["action"]) for r in rm.load_corpus(FIRST_READS)}
    hand = not args.no_hand
    ways = ["rules", "model", "prior", "fill", *(f"fill@{p}" for p in FILLS), *(f"vote@{p}" for p in VOTES)]
    roll = rolling(corpus, first, args.l2, hand)
    print(f"l2 = {args.l2}; hand corpora in training: {'yes' if hand else 'no'}")
    print(
        "\n".join(
            table(
                "rolling origin (first-read rules of each part; classifier trained before it)",
                roll,
                [*ways, "vote@chosen"],
            )
        )
    )
    picks = ["fill", *(f"vote@{p}" for p in VOTES)]
    print(
        "vote@chosen picked: " + ", ".join(f"{p}={picks[r['chosen'].index(True)]}" for p, r in roll.items())
    )
    empty, total, fires = scenario_fires(corpus, args.l2, hand)
    print(
        f"scenario texts the rules read with no action: {empty} of {total}; the classifier would fill "
        + ", ".join(f"{n} at p>={p}" for p, n in fires.items())
    )
    if not args.no_loo:
        print()
        print(
            "\n".join(
                table(
                    "leave one part out (today's rules, fitted on every part: optimistic for rules)",
                    leave_one_out(corpus, args.l2, hand),
                    ways,
                )
            )
        )


if __name__ == "__main__":
    main()
