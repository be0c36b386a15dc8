import json
from pathlib import Path

from nadhir.domain import Impact, Report, Reporter, Site
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.pipeline import Pipeline
from nadhir.engine.replay import replay_scenario
from nadhir.intake.trust import UNKNOWN_SOURCE_TRUST, UNLISTED_WITNESS, TrustBook

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def test_known_sources_start_from_their_listed_trust_unknown_ones_low() -> None:
    book = TrustBook([Reporter(id="obs-1", kind="observer", trust=0.8)])
    assert book.trust("obs-1") == 0.8
    assert book.trust("stranger") == UNKNOWN_SOURCE_TRUST < 0.5


def test_each_listed_source_is_a_witness_all_unlisted_ones_together_are_one() -> None:
    book = TrustBook(
        [Reporter(id="obs-1", kind="observer", trust=0.8), Reporter(id="ac-1", kind="sensor", trust=0.3)]
    )
    assert book.witness("obs-1") == "obs-1" and book.witness("ac-1") == "ac-1"
    strangers = [f"tg-user-{k}" for k in range(10)]
    assert book.witnesses(strangers) == {UNLISTED_WITNESS}
    assert book.witnesses(["obs-1", "ac-1", *strangers]) == {"obs-1", "ac-1", UNLISTED_WITNESS}
    # Trust a stranger has earned weighs its evidence; it does not make it a witness of its own.
    for _ in range(20):
        book.corroborated("tg-user-0")
    assert book.trust("tg-user-0") > 0.9
    assert book.witnesses(["tg-user-0", "tg-user-1"]) == {UNLISTED_WITNESS}
    assert not book.listed("tg-user-0") and book.listed("obs-1")


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


def _raid(impact_offset_km: float) -> tuple[Pipeline, float, float]:
    """A helicopter reported by a newcomer and a known observer flies north into a town; then an impact.

    Returns the pipeline and the newcomer's trust just before and just after the impact report.
    """
    town = Site(id="town", name="Town", kind="town", lat=35.90, lon=36.60, radius_m=1500.0)
    reporters = [
        Reporter(id="known", kind="observer", trust=0.7),
        Reporter(id="witness", kind="observer", trust=0.8),
    ]
    pipeline = Pipeline([town], [], reporters)
    speed_deg_per_s = 40.0 / 111_000.0  # 40 m/s northward
    start_lat = town.lat - 600 * speed_deg_per_s
    for k in range(11):
        t = 60.0 * k
        lat = start_lat + speed_deg_per_s * t
        pipeline.process(
            [
                Report(t=t, reporter="newcomer", aircraft="helicopter", lat=lat, lon=town.lon, heading="N"),
                Report(t=t + 1, reporter="known", aircraft="helicopter", lat=lat, lon=town.lon, heading="N"),
            ]
        )
    before = pipeline.trust.trust("newcomer")
    impact_lat = town.lat + impact_offset_km / 111.0
    pipeline.process([Impact(t=660.0, reporter="witness", lat=impact_lat, lon=town.lon)])
    return pipeline, before, pipeline.trust.trust("newcomer")


def test_an_impact_where_a_source_tracked_an_aircraft_raises_its_trust() -> None:
    pipeline, before, after = _raid(impact_offset_km=0.5)
    assert before == UNKNOWN_SOURCE_TRUST  # still unconfirmed by anything but the live track
    assert after > before
    # The witness of the impact is not credited for its own report.
    assert pipeline.trust.trust("witness") == 0.8
    # Further reports of the same strike credit the same track's sources only once.
    pipeline.process([Impact(t=670.0, reporter="witness", lat=35.905, lon=36.60)])
    assert pipeline.trust.trust("newcomer") == after


def test_an_impact_far_from_the_track_changes_no_trust() -> None:
    _, before, after = _raid(impact_offset_km=40.0)
    assert after == before
