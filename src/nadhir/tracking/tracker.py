"""The tracker loop: predict, associate, update, initiate, merge, delete."""

from __future__ import annotations

from collections.abc import Sequence

from nadhir.tracking.associator import Associator
from nadhir.tracking.deleter import Deleter
from nadhir.tracking.initiator import Initiator
from nadhir.tracking.measurements import BearingFix, Measurement, PositionFix
from nadhir.tracking.merger import Merger
from nadhir.tracking.motion import SOUND_LIKELIHOOD
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Predictor, Updater

# An acoustic class is a weaker type cue than a spotter's eyes; temper its likelihood.
SOUND_TYPE_WEIGHT = 0.35


class Tracker:
    """Multi-target tracker over sightings and acoustic bearings.

    Tracks live in an insertion-ordered dict keyed by id, so every loop over
    them runs in the same order on every run.
    """

    def __init__(
        self,
        predictor: Predictor | None = None,
        updater: Updater | None = None,
        initiator: Initiator | None = None,
        deleter: Deleter | None = None,
        merger: Merger | None = None,
    ) -> None:
        self.predictor = predictor or Predictor()
        self.updater = updater or Updater()
        self.associator = Associator(self.predictor, self.updater)
        self.initiator = initiator or Initiator()
        self.deleter = deleter or Deleter()
        self.merger = merger or Merger()
        self.tracks: dict[str, Track] = {}

    def step(self, t: float, batch: Sequence[Measurement]) -> list[Track]:
        """Process simultaneous measurements at time ``t``; returns the tracks deleted.

        Sightings go first, then bearings, so that a bearing heard at the same
        instant as a sighting can join the track that sighting just started.
        """
        touched: set[str] = set()
        sightings = [m for m in batch if isinstance(m, PositionFix)]
        sounds = [m for m in batch if isinstance(m, BearingFix)]
        for group in (sightings, sounds):
            if group:
                self._associate_and_update(group, touched)
        for track in self.tracks.values():
            if track.id in touched:
                track.remember()
        return self.advance(t)

    def _associate_and_update(self, group: Sequence[Measurement], touched: set[str]) -> None:
        tracks = list(self.tracks.values())
        assignment = self.associator.assign(tracks, group)
        for m, j in zip(group, assignment, strict=True):
            if j is not None:
                track = tracks[j]
                self.predictor.predict(track, m.t)
                self._update(track, m)
                touched.add(track.id)
            else:
                new = self._initiate(m)
                if new is not None:
                    self.tracks[new.id] = new
                    touched.add(new.id)

    def advance(self, t: float) -> list[Track]:
        """Let time pass to ``t``: predict every track, merge duplicates, delete stale tracks.

        Returns the deleted tracks (merged duplicates live on in the track they joined).
        """
        for track in self.tracks.values():
            self.predictor.predict(track, t)
        self.merger.merge(self.tracks)
        removed = [track for track in self.tracks.values() if self.deleter.should_delete(track, t)]
        for track in removed:
            del self.tracks[track.id]
        return removed

    def _update(self, track: Track, m: Measurement) -> None:
        if isinstance(m, PositionFix):
            self.updater.update_position(track, m)
            track.update_type(m.type_likelihood)
            track.count = max(track.count, m.count)
            track.origin_takeoff = track.origin_takeoff or m.takeoff
            track.sighted = True
        else:
            self.updater.update_bearing(track, m)
            track.update_type(SOUND_LIKELIHOOD.get(m.sound_class, (1.0, 1.0, 1.0)), SOUND_TYPE_WEIGHT)
        track.hits += 1
        track.last_update = m.t
        track.add_evidence(m.source, m.evidence)

    def _initiate(self, m: Measurement) -> Track | None:
        if isinstance(m, PositionFix):
            return self.initiator.from_sighting(m)
        if isinstance(m, BearingFix):
            return self.initiator.from_bearing(m)
        return None
