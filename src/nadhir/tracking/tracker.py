"""The tracker loop: predict, associate, update, initiate, merge, delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from nadhir.tracking.associator import Associator
from nadhir.tracking.bearing_rate import BearingRateGate
from nadhir.tracking.course_fix import AlongCourse, CourseFixer
from nadhir.tracking.deleter import Deleter
from nadhir.tracking.initiator import MAX_FORMATION, Initiator
from nadhir.tracking.measurements import BearingFix, Measurement, PositionFix
from nadhir.tracking.merger import Merger
from nadhir.tracking.motion import SOUND_LIKELIHOOD
from nadhir.tracking.track import Track
from nadhir.tracking.updater import Predictor, Updater

# An acoustic class is a weaker type cue than a spotter's eyes; temper its likelihood.
SOUND_TYPE_WEIGHT = 0.35


@dataclass(frozen=True, slots=True)
class Ended:
    """The tracks one step of the tracker ended: deleted ones, and the ids of duplicates merged away.

    A merged duplicate lives on in the track it joined (its evidence and
    estimate folded in); a deleted track is gone, and its end says
    something of its sources (see the pipeline's trust learning).
    """

    deleted: list[Track] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)


class Tracker:
    """Multi-target tracker over sightings and acoustic bearings.

    Tracks live in an insertion-ordered dict keyed by id, so every loop over
    them runs in the same order on every run; nothing iterates over a set.
    """

    def __init__(
        self,
        predictor: Predictor | None = None,
        updater: Updater | None = None,
        initiator: Initiator | None = None,
        deleter: Deleter | None = None,
        merger: Merger | None = None,
        bearing_rate: BearingRateGate | None = None,
        course_fix: AlongCourse | None = None,
    ) -> None:
        self.predictor = predictor or Predictor()
        self.updater = updater or Updater()
        self.associator = Associator(self.updater, bearing_rate)
        self.initiator = initiator or Initiator()
        self.deleter = deleter or Deleter()
        self.merger = merger or Merger()
        self.tracks: dict[str, Track] = {}
        # Opt-in: bearings crossing a track's course ahead of it pull the track along its course.
        self.course_fixer = CourseFixer(course_fix) if course_fix is not None else None

    def step(self, t: float, batch: Sequence[Measurement]) -> Ended:
        """Process simultaneous measurements at time ``t``; returns the tracks it ended.

        Every track is first predicted to ``t``. Sightings go first, then
        bearings, so that a bearing heard at the same instant as a sighting
        can join the track that sighting just started.
        """
        self.predictor.predict_all(list(self.tracks.values()), t)
        touched: dict[str, None] = {}
        sightings = [m for m in batch if isinstance(m, PositionFix)]
        if any(m.t != t for m in sightings):
            # A window's batch (Stepper.window_s): a report made before t is that much later at t.
            sightings = [m if m.t == t else replace(m, delay_s=m.delay_s + (t - m.t)) for m in sightings]
        sounds = [m for m in batch if isinstance(m, BearingFix)]
        if sightings:
            self._sightings(sightings, touched)
        if sounds:
            self._bearings(sounds, touched)
        ring = self.updater.ring
        for track_id in touched:
            live = self.tracks.get(track_id)
            if live is not None:
                if ring is not None:
                    ring.apply(live)
                live.remember()
        return self._advance(t, touched)

    # -- sightings --------------------------------------------------------------------------

    def _sightings(self, group: Sequence[PositionFix], touched: dict[str, None]) -> None:
        tracks = list(self.tracks.values())
        assignment = self.associator.assign_sightings(tracks, group)
        # Sightings of one aircraft go into its track together, in rounds of distinct tracks.
        rounds: list[list[tuple[Track, PositionFix, int]]] = []
        depth: dict[str, int] = {}
        for m, j in zip(group, assignment, strict=True):
            if j is None:
                for new in self.initiator.from_sighting_group(m):
                    self.tracks[new.id] = new
                    touched[new.id] = None
                continue
            if m.count > 1:
                self._formation_sighting(tracks[j], m, touched)
                continue
            track = tracks[j]
            r = depth.get(track.id, 0)
            depth[track.id] = r + 1
            if r == len(rounds):
                rounds.append([])
            rounds[r].append((track, m, max(1, track.count)))
        for pairs in rounds:
            self.updater.update_positions(pairs)
            for track, m, _ in pairs:
                track.update_type(m.type_likelihood)
                self._sighted(track, m)
                touched[track.id] = None

    def _formation_sighting(self, lead: Track, m: PositionFix, touched: dict[str, None]) -> None:
        """A report of several aircraft: it updates the formation's members (added if too few)."""
        members = self._formation_members(lead, m)
        for track in members:
            self.predictor.predict(track, m.t)
            if track is not lead and self.associator.sighting_cost(track, m) is None:
                # A wingman the report no longer fits has lost its aircraft: it rejoins the
                # formation where the report (and the lead's estimate) puts it.
                track.set_models(lead.mu.copy(), lead.xs.copy(), lead.ps.copy())
                track.t = lead.t
                track.type_probs = lead.type_probs.copy()
            else:
                self.updater.update_position(track, m, members=max(m.count, track.count))
                track.update_type(m.type_likelihood)
            self._sighted(track, m)
            touched[track.id] = None

    def _sighted(self, track: Track, m: PositionFix) -> None:
        track.count = max(track.count, m.count)
        track.origin_takeoff = track.origin_takeoff or m.takeoff
        track.sighted = True
        track.last_sighted = m.t
        self._credit(track, m)

    def _formation_members(self, track: Track, m: PositionFix) -> list[Track]:
        """The tracks a sighting of ``m.count`` aircraft describes: ``track`` and its nearest wingmen.

        A report of more aircraft than the formation has tracks adds members,
        each a copy of the assigned track (they are told apart later, if ever,
        by microphones that hear them separately).
        """
        want = max(1, min(m.count, MAX_FORMATION))
        if want == 1:
            return [track]
        # Its wingmen: the formation's other members first, then other tracks the report also
        # fits (an aircraft of the formation that microphones picked up on its own), nearest first.
        mates = [
            o
            for o in self.tracks.values()
            if o.id != track.id
            and (o.group == track.group or self.associator.sighting_cost(o, m) is not None)
        ]
        mates.sort(key=lambda o: (o.group != track.group, float(np.hypot(*(o.x[:2] - track.x[:2])))))
        members = [track, *mates[: want - 1]]
        for old in dict.fromkeys(o.group for o in members if o.group != track.group):
            for o in self.tracks.values():  # two formations found to be one: join them whole
                if o.group == old:
                    o.group = track.group
        while len(members) < want:
            clone = Track(
                id=self.initiator.new_id(),
                t=track.t,
                x=track.x.copy(),
                p=track.p.copy(),
                type_probs=track.type_probs.copy(),
                created=m.t,
                last_update=track.last_update,
                count=want,
                status=track.status,
                hits=track.hits,
                evidence=dict(track.evidence),
                origin_takeoff=track.origin_takeoff,
                sighted=track.sighted,
                group=track.group,
                mu=track.mu.copy(),
                xs=track.xs.copy(),
                ps=track.ps.copy(),
            )
            self.tracks[clone.id] = clone
            members.append(clone)
        return members

    # -- bearings ---------------------------------------------------------------------------

    def _bearings(self, group: Sequence[BearingFix], touched: dict[str, None]) -> None:
        tracks = list(self.tracks.values())
        assignment, gated = self.associator.assign_bearings_gated(tracks, group)
        per_track: dict[int, list[BearingFix]] = {}
        for m, j in zip(group, assignment, strict=True):
            if j is not None:
                per_track.setdefault(j, []).append(m)
        gated_counts = self.associator.last_gated_per_track
        if len(gated_counts) == len(tracks):
            for j, track in enumerate(tracks):
                if gated_counts[j]:
                    track.note_bearings(
                        track.last_bearing_t, group[0].t, int(gated_counts[j]), len(per_track.get(j, ()))
                    )
                    track.last_bearing_t = group[0].t
        fixer = self.course_fixer
        if fixer is not None:
            # A track's leads are read off its state before the bearings' own (sideways) update;
            # a bearing the rate test refused a track (and no other track took) counts for it too.
            along = [(tracks[j], m) for j in sorted(per_track) for m in per_track[j]]
            along += [
                (tracks[j], group[i]) for i, j in self.associator.last_rate_refused if assignment[i] is None
            ]
            leads = [(track, fixer.lead(track, m)) for track, m in along]
        self.updater.update_bearings_many([(tracks[j], per_track[j]) for j in sorted(per_track)])
        if fixer is not None:
            for track, found in leads:
                if found is not None:
                    fixer.apply(track, found)
                    touched[track.id] = None
            fixer.forget_before(group[0].t)
        for j in sorted(per_track):
            track, fixes = tracks[j], per_track[j]
            for m in fixes:
                track.update_type(SOUND_LIKELIHOOD.get(m.sound_class, (1.0, 1.0, 1.0)), SOUND_TYPE_WEIGHT)
                self._credit(track, m)
                swept = self.initiator.from_claimed_bearing(m, track)
                if swept is not None:
                    self.tracks[swept.id] = swept
                    touched[swept.id] = None
            touched[track.id] = None
        fresh = [
            m for m, j, in_gate in zip(group, assignment, gated, strict=True) if j is None and not in_gate
        ]
        for new, fixes in self.initiator.from_bearings(fresh):
            if fixes:
                self.updater.update_bearings(new, fixes)
            self.tracks[new.id] = new
            touched[new.id] = None

    @staticmethod
    def _credit(track: Track, m: Measurement) -> None:
        track.hits += 1
        track.last_update = max(track.last_update, m.t)
        track.add_evidence(m.source, m.evidence)
        if track.ready_to_confirm:
            track.confirm()

    # -- time -------------------------------------------------------------------------------

    def advance(self, t: float) -> Ended:
        """Let time pass to ``t``: predict every track, merge duplicates, delete stale tracks.

        Returns the tracks it ended (merged duplicates live on in the track they joined).
        """
        return self._advance(t, {})

    def _advance(self, t: float, touched: dict[str, None]) -> Ended:
        self.predictor.predict_all(list(self.tracks.values()), t)
        merged = self.merger.merge(self.tracks, touched)
        removed = [track for track in self.tracks.values() if self.deleter.should_delete(track, t)]
        for track in removed:
            del self.tracks[track.id]
        if self.course_fixer is not None:
            for track_id in (*merged, *(track.id for track in removed)):
                self.course_fixer.forget(track_id)
        return Ended(removed, merged)
