import json
from pathlib import Path

from nadhir.domain import Reporter
from nadhir.intake.trust import UNKNOWN_SOURCE_TRUST, TrustBook
from nadhir.scenarios.reader import load_scenario
from nadhir.scenarios.run import replay_scenario

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def test_known_sources_start_from_their_listed_trust_unknown_ones_low() -> None:
    book = TrustBook([Reporter(id="obs-1", kind="observer", trust=0.8)])
    assert book.trust("obs-1") == 0.8
    assert book.trust("stranger") == UNKNOWN_SOURCE_TRUST < 0.5


def test_trust_rises_with_corroboration_and_falls_without() -> None:
    book = TrustBook()
    for _ in range(10):
        book.corroborated("honest")
        book.contradicted("liar")
    assert book.trust("honest") > 0.7
    assert book.trust("liar") < 0.05
    assert book.trust("liar") >= 0.0 and book.trust("honest") <= 1.0


def test_spoofer_alone_causes_no_alert(tmp_path: Path) -> None:
    """Only the idlib-twists spoofer's messages, nothing to corroborate them: no siren, no phone alert."""
    src = DATA / "idlib-twists"
    spoofer = json.loads((src / "truth.json").read_text(encoding="utf-8"))["meta"]["spoofer"]
    root = tmp_path / "spoofer-only"
    root.mkdir()
    for name in ("sites.geojson", "gazetteer.json", "reporters.json"):
        (root / name).write_bytes((src / name).read_bytes())
    kept = []
    for line in (src / "events.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and event.get("reporter") == spoofer:
            kept.append(line)
    assert len(kept) >= 10
    (root / "events.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    result = replay_scenario(load_scenario(root), keep=True)
    assert result.summary.events == len(kept)
    assert result.alerts == []
