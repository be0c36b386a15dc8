"""The replay's fast paths against the reference paths they replace, on a generated scenario.

A country's sensors made the replay slow where each detection or each source was handled one at a
time in Python (issue 16): the acoustic reader (``fast_acoustic``), a track's witnesses asked of
the trust book at every assessment, its existence, and the witnesses of every threat written
into the impact watch at every step. Each fast path must write the same bytes as the reference.
This replays a small generated scenario (1 hour, 300 sensors: many sources per track) both ways
and compares alerts.jsonl and tracks.jsonl byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from nadhir.domain import AcousticDetection, Threat
from nadhir.domain.formats import events as event_format
from nadhir.domain.formats.output import alert_to_dict, json_line, track_line
from nadhir.domain.formats.scenario import load_scenario
from nadhir.engine.factory import build_pipeline
from nadhir.engine.pipeline import Pipeline, TrackRecord
from nadhir.engine.stepper import Stepper
from nadhir.threat.impacts import EXPECTED_THREAT, ImpactSighting, ImpactWatch
from nadhir.tracking.track import Track
from nadhir_lab.simulator import load_region, simulate, write_scenario


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scenario with a dense sensor field: 300 nodes over one region for an hour."""
    root = tmp_path_factory.mktemp("country") / "wadi-karam-1h-300"
    write_scenario(simulate(load_region("wadi-karam"), seed=1, hours=1.0, sensor_count=300), root)
    return root


def _replay(root: Path) -> tuple[bytes, bytes, int, Pipeline]:
    """A replay as ``nadhir replay`` runs it: alerts.jsonl and tracks.jsonl, events read, the pipeline."""
    alerts: list[str] = []
    tracks: list[str] = []
    scenario = load_scenario(root)
    pipeline = build_pipeline(scenario)
    stepper = Stepper(
        pipeline,
        on_alert=lambda a: alerts.append(json_line(alert_to_dict(a))),
        on_track=lambda s: tracks.append(track_line(s)),
    )
    summary = stepper.run(event for _, event in scenario.events())
    return "".join(alerts).encode(), "".join(tracks).encode(), summary.events, pipeline


def _noted(watch: ImpactWatch) -> dict[int, dict[str, float]]:
    """Which witnesses the watch holds as having threatened each site, and when.

    As sets, not in order: a witness set built from a track's evidence in C (every source listed)
    iterates in another order than one built one source at a time, and only what is in it counts
    (the policy reads ``Threat.witnesses`` by its size).
    """
    watch._write_pending()
    return {i: dict(by) for i, by in watch._threatened_by.items()}


def _reference_witnesses(self: Pipeline, track: Track, record: TrackRecord) -> frozenset[str]:
    return self.trust.witnesses(iter(track.evidence))  # an iterator: the trust book's general path


def _reference_existence(self: Track) -> float:
    miss = 1.0
    for w in self.evidence.values():
        miss *= 1.0 - w
    return 1.0 - miss


def _reference_note_threats(self: ImpactWatch, t: float, threats: Iterable[Threat]) -> None:
    for threat in threats:
        if threat.probability >= EXPECTED_THREAT and threat.cue != "impact":
            i = self._index.get(threat.site)
            if i is not None:
                self._threatened_at[i] = t
                if threat.witnesses:
                    self._backers.pop(i, None)  # (the watch's kept backing: built afresh)
                    seen = self._threatened_by.setdefault(i, {})
                    for w in threat.witnesses:
                        seen[w] = t


_explosion = Pipeline._explosion


def _reference_explosion(self: Pipeline, det: AcousticDetection, blasts: list[ImpactSighting]) -> None:
    """A located blast credited at once, alone, as before blasts were credited together."""
    _explosion(self, det, blasts)
    for blast in blasts:
        self._credit_impact(blast)
    blasts.clear()


def test_fast_paths_write_what_the_reference_paths_write(
    country: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = Pipeline._witnesses

    def checked(self: Pipeline, track: Track, record: TrackRecord) -> frozenset[str]:
        """The cached witnesses, checked against the trust book's answer at every assessment."""
        got = cached(self, track, record)
        assert got == _reference_witnesses(self, track, record)
        return got

    with monkeypatch.context() as m:
        m.setattr(Pipeline, "_witnesses", checked)
        fast_alerts, fast_tracks, events, fast = _replay(country)
    with monkeypatch.context() as m:
        m.setattr(event_format, "fast_acoustic", lambda line, times: None)
        m.setattr(Pipeline, "_witnesses", _reference_witnesses)
        m.setattr(Track, "existence", property(_reference_existence))
        m.setattr(ImpactWatch, "note_threats", _reference_note_threats)
        m.setattr(Pipeline, "_explosion", _reference_explosion)
        ref_alerts, ref_tracks, ref_events, ref = _replay(country)
    assert events == ref_events > 2_000
    assert fast_alerts.count(b"\n") > 10 and fast_tracks.count(b"\n") > 100  # something to compare
    assert fast_alerts == ref_alerts
    assert fast_tracks == ref_tracks
    noted = _noted(fast.impacts)
    assert noted and max(len(by) for by in noted.values()) > 20  # many sensors behind one threat
    assert noted == _noted(ref.impacts)
    trust = fast.trust.snapshot()
    before = build_pipeline(load_scenario(country)).trust.snapshot()
    assert sum(v != before.get(k) for k, v in trust.items()) > 10  # trust learned: something to compare
    assert trust == ref.trust.snapshot()
