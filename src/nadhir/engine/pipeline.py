"""The warning pipeline: intake -> tracking -> threat -> alert policy.

One object, pure and synchronous: given events and the time, it returns the
alerts to send and the track states to publish. ``nadhir replay`` and the
live service both drive this same object; only the clock and the edges
differ.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from nadhir.alerting.approach import approach_toward
from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.alerting.siren_model import SirenModel
from nadhir.domain import (
    AcousticDetection,
    Alert,
    Event,
    Impact,
    Observation,
    Place,
    Report,
    Reporter,
    Site,
    Threat,
    TrackState,
)
from nadhir.geo.frame import LocalFrame, unit_to_heading
from nadhir.geo.gazetteer import Gazetteer, site_as_place
from nadhir.intake.interpreter import Rejected, ReportInterpreter, TextReader
from nadhir.intake.trust import TrustBook
from nadhir.threat.assessor import DroneLoiter, ThreatAssessor
from nadhir.threat.corroboration import ImpactCorroboration
from nadhir.threat.impacts import (
    CREDIBLE_TRUST,
    BlastClusters,
    ExplosionBearing,
    ExplosionLocator,
    ImpactSighting,
    ImpactWatch,
)
from nadhir.threat.learned import StrikeModel
from nadhir.threat.lost import LostContactWatch
from nadhir.tracking.bearing_rate import BearingRateGate
from nadhir.tracking.course_fix import AlongCourse
from nadhir.tracking.initiator import Initiator
from nadhir.tracking.lateness import LatenessPrior
from nadhir.tracking.measurements import BearingFix, Measurement, PositionFix
from nadhir.tracking.motion import REPORT_LIKELIHOOD, SOUND_LIKELIHOOD
from nadhir.tracking.ring import RingPrior
from nadhir.tracking.sweep import SweepStart
from nadhir.tracking.track import COAST_AFTER_S, Track
from nadhir.tracking.tracker import Ended, Tracker
from nadhir.tracking.updater import Updater

# One acoustic detection is weak evidence that an aircraft is there (nodes also hear clutter).
ACOUSTIC_EVIDENCE = 0.2
# Stated bearing sigmas of cheap nodes run a little optimistic; widen them this much.
BEARING_SIGMA_FACTOR = 1.2
DEFAULT_BEARING_SIGMA_DEG = 10.0
# The spec asks for a track's state at least every 10 s. Steps come at least every 5 s (the
# replay's tick) but at any offset, so publishing on a 10 s rule left gaps of up to 15 s.
TRACK_PUBLISH_S = 5.0
# A track without news is reassessed this often (news always reassesses it at once). Between
# updates it only dead-reckons: 20 s rather than 10 s saves ~30 % of the assessments with the
# same warnings over 36 simulated scenarios, and the public ones' within 0.02 (docs/benchmarks.md).
REASSESS_S = 20.0
AIRCRAFT_SOUNDS = frozenset({"jet", "helicopter", "drone", "propeller"})


class _Measured(NamedTuple):
    """A track's estimate when it was last measured, in the pipeline's frame."""

    news: tuple[float, int]  # (last_update, hits) then: a new measurement or a merge renews it
    t: float
    x: float
    y: float
    vx: float
    vy: float


@dataclass(slots=True)
class TrackRecord:
    """What the pipeline keeps about one live track; dropped when the tracker ends the track."""

    assessed: tuple[float, list[Threat]] | None = None  # its last threat assessment: (time, threats)
    fresh: tuple[float, list[Threat]] | None = None  # the last one made on news (for lost contact)
    measured: _Measured | None = None  # its estimate when last measured (see track_state)
    published: float | None = None  # when its state was last published
    # The independent witnesses behind its evidence, how many sources that was, and the evidence:
    # sources are only ever added to it, so the count says which are new (see _witnesses).
    witnesses: tuple[int, frozenset[str], dict[str, float]] | None = None


@dataclass
class StepOutput:
    """What one step of the pipeline produced."""

    alerts: list[Alert] = field(default_factory=list)
    tracks: list[TrackState] = field(default_factory=list)
    rejected: list[tuple[Event, str]] = field(default_factory=list)


class Pipeline:
    """Runs every stage for each batch of simultaneous events."""

    def __init__(
        self,
        sites: list[Site],
        places: list[Place],
        reporters: list[Reporter],
        reader_factory: Callable[[Gazetteer], TextReader] | None = None,
        policy_config: PolicyConfig | None = None,
        strike_model: StrikeModel | None = None,
        frame_origin: tuple[float, float] | None = None,
        siren_model: SirenModel | None = None,
        lateness: LatenessPrior | None = None,
        ring: RingPrior | None = None,
        sweep: SweepStart | None = None,
        bearing_rate: BearingRateGate | None = None,
        drone_loiter: DroneLoiter | None = None,
        course_fix: AlongCourse | None = None,
    ) -> None:
        if not sites:
            raise ValueError("a pipeline needs at least one site")
        self.sites = sites
        # The tracker's frame: at the sites' centroid, or where given (a region's engine takes the
        # whole scenario's, so that it tracks as the one-process pipeline does, to the last bit).
        if frame_origin is None:
            frame_origin = (sum(s.lat for s in sites) / len(sites), sum(s.lon for s in sites) / len(sites))
        self.frame = LocalFrame(*frame_origin)
        # Sites first: a site's name wins over a village of the same name.
        self.gazetteer = Gazetteer([*(site_as_place(s) for s in sites), *places])
        self.trust = TrustBook(reporters)
        self.corroboration = ImpactCorroboration()
        reader = reader_factory(self.gazetteer) if reader_factory is not None else None
        self.interpreter = ReportInterpreter(self.gazetteer, reader, self.trust)
        self.tracker = Tracker(
            updater=Updater(lateness, ring),
            initiator=Initiator(sweep),
            bearing_rate=bearing_rate,
            course_fix=course_fix,
        )
        self.assessor = ThreatAssessor(sites, self.frame, model=strike_model, loiter=drone_loiter)
        self.impacts = ImpactWatch(sites)
        self.explosions = ExplosionLocator(self.frame)
        self.lost = LostContactWatch()
        # Opt-in, 0 (off) the default: a step's located blasts within this many metres of each other
        # are added and credited as one (BlastClusters); it changes the impact watch's hit counts.
        self.blast_cluster_m = 0.0
        self.policy = AlertPolicy(sites, policy_config, siren_model)
        self.use_policy(self.policy)
        self.now: float | None = None
        self.records: dict[str, TrackRecord] = {}  # one per live track
        self.threats: dict[str, Threat] = {}
        self._per_track: list[list[Threat]] = []
        self._track_best: dict[str, Threat] = {}
        self._track_backed: dict[str, Threat] = {}  # the strongest corroborated track threat per site
        # The last published state of each track an alert may still name (see _with_approach).
        self.shown: dict[str, TrackState] = {}

    def use_policy(self, policy: AlertPolicy) -> None:
        """Decide with ``policy`` from now on, told what it reads of the pipeline (a service that
        swaps in its own policy calls this, so the new one is not left blind to the tracks)."""
        policy.memory.track_of = self.live_track
        policy.memory.impacts_at = self.impacts.evidence
        policy.track_seen = self.sees
        self.policy = policy

    def live_track(self, track_id: str) -> Track | None:
        """The tracker's live track of this id, if it has one (the siren model reads its quality)."""
        return self.tracker.tracks.get(track_id)

    def sees(self, track_id: str) -> bool:
        """Whether the tracker still sees this track: live, confirmed and observed within
        ``COAST_AFTER_S`` of the pipeline's clock (not coasting). The clock, not the track's own
        time, so that live and replay, which advance tracks at different moments, agree."""
        track, now = self.tracker.tracks.get(track_id), self.now
        if track is None or now is None or track.status != "confirmed":
            return False
        return now - track.last_update <= COAST_AFTER_S

    # -- driving ----------------------------------------------------------------

    def process(self, events: Sequence[Event]) -> StepOutput:
        """Process events that arrived at the same instant; alerts come out in this call."""
        out = StepOutput()
        if not events:
            return out
        t = max(e.t for e in events)
        measurements: list[Measurement] = []
        blasts: list[ImpactSighting] = []  # located blasts whose credit waits (see _credit_blasts)
        spots = BlastClusters(self.frame, self.blast_cluster_m) if self.blast_cluster_m > 0.0 else None
        for event in events:
            if spots and isinstance(event, Impact):
                self._add_blasts(spots.take(), blasts)  # (an impact report joins after the blasts heard)
            if blasts and isinstance(event, Report | Impact):
                self._credit_blasts(blasts)  # (before the event reads a source's trust)
            m = self._measure(event, out, blasts, spots)
            if m is not None:
                measurements.append(m)
        if spots:
            # Gathered (opt-in): the step's blasts join the watch, and are credited, at its end (or
            # before an impact report): the step's reports read the trust as it was before them (a
            # report comes every second or so; taken before each, a blast heard over a few seconds
            # was several spots).
            self._add_blasts(spots.take(), blasts)
        self._credit_blasts(blasts)
        self._on_ended(self.tracker.step(t, measurements))
        self._finish(t, out)
        return out

    def advance(self, t: float) -> StepOutput:
        """Let time pass with no new events (all-clears, coasting tracks)."""
        out = StepOutput()
        if self.now is not None and t <= self.now:
            return out
        self._on_ended(self.tracker.advance(t))
        self._finish(t, out)
        return out

    # -- stages -----------------------------------------------------------------

    def _measure(
        self, event: Event, out: StepOutput, blasts: list[ImpactSighting], spots: BlastClusters | None = None
    ) -> Measurement | None:
        if isinstance(event, Report):
            obs = self.interpreter.interpret(event)
            if isinstance(obs, Rejected):
                out.rejected.append((event, obs.reason))
                return None
            return self._sighting(obs)
        if isinstance(event, AcousticDetection):
            if event.bearing_deg is None:
                return None
            if event.sound_class == "explosion":
                if spots is None:
                    self._explosion(event, blasts)
                else:
                    self._held_explosion(event, spots)
                return None
            if event.sound_class not in AIRCRAFT_SOUNDS:
                return None
            return self._bearing(event)
        if isinstance(event, Impact):
            self._impact(event, out)
        return None

    def _sighting(self, obs: Observation) -> PositionFix:
        x, y = self.frame.to_xy(obs.lat, obs.lon)
        likelihood = REPORT_LIKELIHOOD[obs.aircraft]
        return PositionFix(
            t=obs.t,
            x=x,
            y=y,
            sigma_m=obs.sigma_m,
            source=obs.source,
            evidence=obs.trust,
            type_likelihood=likelihood,
            heading_rad=None if obs.heading_deg is None else math.radians(obs.heading_deg),
            count=obs.count,
            takeoff=obs.action == "takeoff",
        )

    @staticmethod
    def _bearing_sigma_rad(det: AcousticDetection) -> float:
        sigma_deg = det.bearing_sigma_deg if det.bearing_sigma_deg else DEFAULT_BEARING_SIGMA_DEG
        return math.radians(sigma_deg * BEARING_SIGMA_FACTOR)

    def _bearing(self, det: AcousticDetection) -> BearingFix:
        sx, sy = self.frame.to_xy(det.lat, det.lon)
        assert det.bearing_deg is not None
        return BearingFix(
            t=det.t,
            sx=sx,
            sy=sy,
            bearing_rad=math.radians(det.bearing_deg),
            sigma_rad=self._bearing_sigma_rad(det),
            source=det.sensor,
            evidence=ACOUSTIC_EVIDENCE * det.confidence,
            type_likelihood=SOUND_LIKELIHOOD[det.sound_class],
            sound_class=det.sound_class,
        )

    def _explosion(self, det: AcousticDetection, blasts: list[ImpactSighting]) -> None:
        """Locate an explosion heard; a located one is added to the impact watch and to ``blasts``,
        whose credit (see :meth:`_credit_blasts`) waits for the step's next few."""
        located = self.explosions.add(self._explosion_bearing(det))
        if located is not None:
            self._add_blasts([located], blasts)

    def _held_explosion(self, det: AcousticDetection, spots: BlastClusters) -> None:
        """:meth:`_explosion` with the step's blasts gathered by spot (opt-in, :attr:`blast_cluster_m`):
        a bearing pointing at a spot held joins it unlocated, and a located blast is held there, to
        be added when the spots are taken (see :class:`BlastClusters`)."""
        bearing = self._explosion_bearing(det)
        if spots.explains(bearing):
            self.explosions.remember(bearing)
            return
        located = self.explosions.add(bearing)
        if located is not None:
            spots.add(located)

    def _explosion_bearing(self, det: AcousticDetection) -> ExplosionBearing:
        assert det.bearing_deg is not None
        return ExplosionBearing(
            det.t,
            det.sensor,
            det.lat,
            det.lon,
            math.radians(det.bearing_deg),
            self._bearing_sigma_rad(det),
        )

    def _add_blasts(self, located: list[ImpactSighting], blasts: list[ImpactSighting]) -> None:
        """Add located blasts to the impact watch, and the credible ones to ``blasts`` (credit waits)."""
        for blast in located:
            blast = dataclasses.replace(blast, witnesses=self.trust.witnesses(blast.witnesses))
            self.impacts.add(blast)
            if blast.trust >= CREDIBLE_TRUST:
                blasts.append(blast)

    def _impact(self, impact: Impact, out: StepOutput) -> None:
        lat, lon = impact.lat, impact.lon
        if lat is None and impact.place:
            match = self.gazetteer.lookup(impact.place)
            if match is not None:
                lat, lon = match.place.lat, match.place.lon
        if lat is None or lon is None:
            out.rejected.append((impact, f"impact place not in gazetteer: {impact.place!r}"))
            return
        sighting = ImpactSighting(
            impact.t,
            lat,
            lon,
            impact.reporter,
            self.trust.trust(impact.reporter),
            frozenset({self.trust.witness(impact.reporter)}),
        )
        self.impacts.add(sighting)
        self._credit_impact(sighting)

    def _credit_impact(self, impact: ImpactSighting) -> None:
        """A credible impact confirms the sources that tracked an aircraft to it."""
        if impact.trust < CREDIBLE_TRUST:
            return
        x, y = self.frame.to_xy(impact.lat, impact.lon)
        tracks = self.tracker.tracks.values()
        for source in self.corroboration.confirmed_sources(tracks, x, y, impact.t, reporter=impact.source):
            self.trust.corroborated(source)

    def _credit_blasts(self, blasts: list[ImpactSighting]) -> None:
        """The credit of located blasts (:meth:`_credit_impact`'s, each in turn), all at once; empties
        ``blasts``.

        A blast heard by a country's sensors is located again with every bearing that crosses an
        earlier one, about ten times at one instant, and each located blast asked every track
        whether it had passed near. Held until the step's tracks are updated, or a report or an
        impact report is read (they read the trust that credit raises), they are asked together
        (:meth:`ImpactCorroboration.confirmed_sources_many`): the same sources corroborated, in
        the same order, as crediting each when it was located; nothing reads the trust between.
        """
        if not blasts:
            return
        tracks = self.tracker.tracks.values()
        impacts = []
        for blast in blasts:
            x, y = self.frame.to_xy(blast.lat, blast.lon)
            impacts.append((x, y, blast.t, blast.source))
        for sources in self.corroboration.confirmed_sources_many(tracks, impacts):
            for source in sources:
                self.trust.corroborated(source)
        blasts.clear()

    def _on_ended(self, ended: Ended) -> None:
        """Drop the records of ended tracks. Deleted ones: keep their threats as lost contact, and
        learn trust from how they ended (a merged duplicate lives on in the track it joined)."""
        for track_id in ended.merged:
            self.records.pop(track_id, None)
        for track in ended.deleted:
            record = self.records.pop(track.id, None)
            fresh = record.fresh if record is not None else None
            if fresh is not None and track.status == "confirmed":
                self.lost.lose(track.id, fresh[0], track.aircraft, fresh[1])
            sources = list(track.evidence)
            for source in sources:
                if track.status == "confirmed" and len(sources) > 1:
                    self.trust.corroborated(source)
                elif track.status == "tentative" and len(sources) == 1:
                    self.trust.contradicted(source)

    def _finish(self, t: float, out: StepOutput) -> None:
        self.now = t
        per_track = self._tracks_threats(t)
        if len(per_track) != len(self._per_track) or any(
            a is not b for a, b in zip(per_track, self._per_track, strict=True)
        ):
            # Most steps reuse every track's cached threats: the strongest per site is then unchanged.
            self._per_track = per_track
            self._track_best = {}
            self._track_backed = {}
            corroborated = self.policy.corroborated
            for threats in per_track:
                _keep_strongest(self._track_best, threats)
                _keep_strongest(self._track_backed, [th for th in threats if corroborated(th)])
        best = dict(self._track_best)
        _keep_strongest(best, self.lost.threats(t))  # (lost contact is never a siren cue)
        self.impacts.note_threats(t, best.values())
        self.policy.aircraft_threats = dict(best)
        impacts = self.impacts.threats(t)
        _keep_strongest(best, impacts, wins_ties=True)  # a strike outranks a track
        self._prefer_sirens(t, best, impacts)
        self.threats = best
        alerts = self.policy.decide(t, best)
        out.tracks.extend(self._publish(t))
        out.alerts.extend(self._with_approach(alerts, out.tracks))

    def _with_approach(self, alerts: list[Alert], published: list[TrackState]) -> list[Alert]:
        """The alerts with their approach: from the track's state as last published (this step's,
        if it was), the one the map shows and tracks.jsonl holds. A track gone from the tracker
        stays remembered while a lost-contact threat or an alert episode may still name it."""
        for state in published:
            self.shown[state.track] = state
        if len(self.shown) > 2 * len(self.tracker.tracks) + 64:
            named = {*self.tracker.tracks, *self.lost.tracks(), *self.policy.tracks()}
            self.shown = {k: s for k, s in self.shown.items() if k in named}
        out = []
        for alert in alerts:
            shown = self.shown.get(alert.track) if alert.track is not None else None
            site = self.policy.sites.get(alert.site)
            if shown is not None and site is not None:
                alert = dataclasses.replace(alert, approach=approach_toward(shown, site))
            out.append(alert)
        return out

    def _prefer_sirens(self, t: float, best: dict[str, Threat], impacts: list[Threat]) -> None:
        """Where the strongest threat to a site lacks the witnesses for sirens, a weaker one that has
        them and calls for sirens stands for the site instead: a stranger's stronger claim must not
        silence the sirens that corroborated evidence calls for."""
        backed = self._track_backed
        policy = self.policy
        if any(policy.corroborated(th) for th in impacts):
            backed = dict(backed)
            _keep_strongest(backed, [th for th in impacts if policy.corroborated(th)], wins_ties=True)
        for site_id, alt in backed.items():
            held = best.get(site_id)
            if held is None or held is alt or policy.corroborated(held):
                continue
            site = policy.sites.get(site_id)
            if site is not None and policy.desired_level(site, alt, t) == "imminent":
                best[site_id] = alt

    def _tracks_threats(self, t: float) -> list[list[Threat]]:
        """Each live track's threats, reassessed when it has news or its last assessment has aged.

        Between updates a track only dead-reckons, which leaves its threats'
        arrival times (absolute) unchanged; reassessing every step would only
        cost time. The tracks due are assessed together (one pass over the sites).
        """
        per_track: list[list[Threat]] = []
        due: list[tuple[int, Track, TrackRecord, tuple[float, list[Threat]] | None]] = []
        records = self.records
        for track in self.tracker.tracks.values():
            record = records.get(track.id)
            if record is None:
                record = records[track.id] = TrackRecord()
            cached = record.assessed
            if cached is not None and cached[0] >= track.last_update and t - cached[0] < REASSESS_S:
                per_track.append(cached[1])
                continue
            due.append((len(per_track), track, record, cached))
            per_track.append([])
        if due:
            jobs = [(track, self._witnesses(track, record)) for _, track, record, _ in due]
            assessed = self.assessor.assess_many(jobs, t)
            for (k, track, record, cached), threats in zip(due, assessed, strict=True):
                record.assessed = (t, threats)
                if cached is None or cached[0] < track.last_update:
                    # Assessed on news: what the track threatened when it was last observed.
                    record.fresh = (t, threats)
                per_track[k] = threats
        return per_track

    def _witnesses(self, track: Track, record: TrackRecord) -> frozenset[str]:
        """The track's independent witnesses, asked of the trust book only when it has a new source.

        A track heard by a country's sensors has hundreds of sources, and the set was rebuilt
        at every assessment. Who is listed never changes during a run, so the set changes only
        with the sources: sources are only ever added to a track's evidence (a dict, in the
        order they came), so only the new ones are asked of the trust book and joined to the
        set (the same witnesses; the set's order of iteration is not the same, and nothing
        reads it: Threat.witnesses is counted, the impact watch keeps them as sets).
        """
        held = record.witnesses
        evidence = track.evidence
        sources = len(evidence)
        if held is not None and held[2] is evidence:
            if held[0] == sources:
                return held[1]
            if held[0] < sources:
                new = self.trust.witnesses(list(itertools.islice(evidence, held[0], None)))
                witnesses = held[1] | new
                record.witnesses = (sources, witnesses, evidence)
                return witnesses
        witnesses = self.trust.witnesses(evidence)
        record.witnesses = (sources, witnesses, evidence)
        return witnesses

    def _publish(self, t: float) -> list[TrackState]:
        """States of confirmed tracks that changed since last published, or every ``TRACK_PUBLISH_S``."""
        states = []
        records = self.records
        for track in self.tracker.tracks.values():
            record = records.get(track.id)
            if record is None:
                record = records[track.id] = TrackRecord()
            news = (track.last_update, track.hits)
            held = record.measured
            if held is None or held.news != news:
                record.measured = _Measured(news, track.t, *track.position, *track.velocity)
            if not track.publishable:
                continue
            last = record.published
            if last is not None and t - last < TRACK_PUBLISH_S and track.last_update <= last:
                continue
            record.published = t
            states.append(self.track_state(track, t))
        return states

    def track_state(self, track: Track, t: float) -> TrackState:
        """The published state of a track: where the aircraft most likely is at ``t``.

        Between measurements that is the track's estimate when it was last
        measured, flown on straight. The filter's own prediction mixes in its
        turn models, whose rotated velocities average to a shorter one (in
        tests/tracking/test_publishing.py a jet measured at 194 m/s reads
        125 m/s a minute later, 93 m/s after two), and the map would show it
        stopping where it was last seen. The threat model keeps the filter's
        prediction, which allows for a turn or a stop (a coasting prediction
        that keeps speed throughout costs the public scenarios' warnings).
        Publishing this way lowers OSPA by 64 m over 36 simulated scenarios
        and 225 / 62 m on the public ones, alerts unchanged
        (docs/benchmarks.md, Tracking).
        """
        record = self.records.get(track.id)
        held = record.measured if record is not None else None
        if held is not None and t > held.t:
            _, t0, x, y, vx, vy = held
            lat, lon = self.frame.to_latlon(x + vx * (t - t0), y + vy * (t - t0))
            speed = math.hypot(vx, vy)
        else:
            lat, lon = self.frame.to_latlon(*track.position)
            vx, vy = track.velocity
            speed = track.speed
        return TrackState(
            t=t,
            track=track.id,
            lat=lat,
            lon=lon,
            speed_mps=speed,
            heading_deg=unit_to_heading(vx, vy),
            aircraft=track.aircraft,
            sigma_m=track.sigma_m,
            confirmed=track.status == "confirmed",
        )


def _keep_strongest(best: dict[str, Threat], threats: Iterable[Threat], wins_ties: bool = False) -> None:
    """Keep, per site, the most probable threat seen so far."""
    for threat in threats:
        held = best.get(threat.site)
        if (
            held is None
            or threat.probability > held.probability
            or (wins_ties and threat.probability == held.probability)
        ):
            best[threat.site] = threat
