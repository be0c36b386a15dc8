"""Alert policy: from per-site threats to ``alert`` / ``update`` / ``all_clear``.

Two levels: ``early`` (phones and channels: an aircraft may be coming) is
sent as soon as the evidence points at a site; ``imminent`` (sirens: take
shelter now) needs a higher probability and an arrival within the time the
site's people need to reach shelter plus a margin, and a threat that
independent witnesses support: one source alone, however many messages,
kinds of evidence or positions it sends, never sounds sirens (see
``Threat.witnesses``; docs/intake.md). Hysteresis keeps alerts
from flapping: raising a level is immediate, lowering it or clearing waits
until the threat has stayed low for a hold time. It holds across episodes
too: for a while after an all-clear a site is re-armed, and a new episode
there is held longer before its own all-clear (it may also be made to need
a stronger threat to open; off by default). Updates are sent only when
something people act on changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from nadhir.alerting.siren_model import EpisodeView, SirenMemory, SirenModel
from nadhir.domain import AircraftType, Alert, AlertLevel, Site, Threat, ThreatCue
from nadhir.domain.readiness import SiteReadiness
from nadhir.geo.distance import haversine_m

# Seconds a site's people need to reach shelter, by kind, when the site does not say.
DEFAULT_SHELTER_S: dict[str, float] = {"hospital": 300.0, "school": 180.0, "camp": 240.0, "shelter": 60.0}
TOWN_SHELTER_S = 120.0
# An arrival time further than this from the policy's clock is no arrival time (a slip of unit, a
# corrupt value from some path): the policy treats the threat as one with no arrival time. Alerts
# carry only times that can be written, stored and printed (an alert that cannot be is lost).
MAX_ETA_OFFSET_S = 24 * 3600.0


def plausible_eta(eta: float | None, t: float) -> float | None:
    """``eta`` if it is a finite time within ``MAX_ETA_OFFSET_S`` of ``t``, else None."""
    if eta is None or not math.isfinite(eta) or abs(eta - t) > MAX_ETA_OFFSET_S:
        return None
    return eta


# Told of every call the rules make for sirens, with the siren model's features (for training it).
SirenRecorder = Callable[[float, str, list[float]], None]


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Thresholds of the alert policy. Defaults are the documented operating point."""

    early_probability: float = 0.4
    imminent_probability: float = 0.55
    clear_probability: float = 0.15
    # Imminent when the arrival is within this many seconds beyond the site's shelter time.
    imminent_margin_s: dict[str, float] = field(
        default_factory=lambda: {"jet": 180.0, "helicopter": 240.0, "drone": 240.0, "unknown": 200.0}
    )
    # Which track cues may sound sirens. A reported or heard strike always may. Measured on the public
    # scenarios with ideal tracks (docs/benchmarks.md), sirens on an aircraft's approach or overflight
    # were false three times in four: aircraft cross many towns on the way to one target. An aircraft
    # circling a town, working it, is the cue that holds up; approaches warn phones (``early``).
    siren_cues: tuple[ThreatCue, ...] = ("circling",)
    # A drone's orbit says little about when it will strike (it loiters for long), so drones alone
    # warn phones.
    siren_aircraft: tuple[AircraftType, ...] = ("jet", "helicopter", "unknown")
    # An approach this sure by one of those aircraft also sounds the sirens; None: never. Off by
    # default: it buys first-pass sirens at many false ones (the trade-off plot's siren axis).
    approach_siren_probability: float | None = None
    # Sirens need a threat that at least this many independent witnesses support (Threat.witnesses:
    # each listed source, and all unlisted ones together as one). One source alone, whatever it
    # sends, warns phones at most.
    siren_witnesses: int = 2
    # A strike reported nearby warns phones even from one little-known source (whose report alone
    # never sounds sirens): people near a strike want to know, and more passes usually follow.
    impact_early_probability: float = 0.2
    # A strike reported at a site has already fallen: a siren that starts then cannot warn of it,
    # only of a further pass. With this set, a strike report sounds *new* sirens at a site (its
    # episode not yet at sirens) only while an aircraft still threatens the site at least this much
    # (AlertPolicy.aircraft_threats, set by the pipeline); else it warns phones. None: always.
    impact_siren_aircraft: float | None = None
    # ... and only an aircraft threat with one of these cues counts (one merely "nearby", or a lost
    # contact's fading threat, says no pass is coming at the site).
    impact_siren_cues: tuple[ThreatCue, ...] = ("approach", "overhead", "circling", "nearby")
    # ... and only within this many seconds of the newest report there (None: for as long as the
    # report threatens the site, 360 s): after that, an aircraft that comes to threaten the site
    # sounds sirens by its own cues, not by the strike already reported.
    impact_siren_window_s: float | None = None
    # Sites whose people need long to move (hospitals) are warned at a lower probability: their
    # phones (early) sooner still, since staff start moving patients on the first word.
    vulnerable_kinds: tuple[str, ...] = ("hospital",)
    vulnerable_factor: float = 0.8
    vulnerable_early_factor: float = 0.6
    hold_s: float = 180.0  # a threat must stay low this long before an all-clear or a downgrade
    passed_hold_s: float = 60.0  # ... or this long when the aircraft is seen moving away
    # Helicopters and drones linger: they hover low, out of sight and earshot, and come back for
    # another pass minutes later (jets pass through). A phones-only episode that one of them
    # threatened is held this long after the threat fades, unless the aircraft is seen leaving.
    # Not a siren episode: from its first siren every minute of an episode counts as siren time.
    lingering_aircraft: tuple[AircraftType, ...] = ("helicopter", "drone")
    lingering_hold_s: float = 600.0
    # The holds above are for an aircraft out of view: it may be near, unseen. With ``seen_hold_s``
    # set, a phones-only episode whose aircraft the tracker still sees (observed within the last
    # minute), and whose path no longer threatens the site, ends this long after the threat fades:
    # the aircraft is known to be elsewhere, and should it turn back, raising never waits. Off
    # (None) by default: measured on issue 17's tuning set (docs/benchmarks.md, tenth session,
    # "where the alert-minutes go"), 150 s takes the public synthetic alert-minutes 2.35 -> 2.14 x
    # the oracle's, but costs lead (issue 5's pair 0.47 -> 0.41, bar 0.45): the long holds also
    # carry a site's warning from one helicopter's pass to the next aircraft's.
    seen_hold_s: float | None = None
    # ... and, with ``seen_hold_floor`` set, counted from when the site was last threatened at all
    # (by any aircraft, at least this much; a receding one does not count), not from when the
    # threat fell under the clear threshold. Why (docs/benchmarks.md, twelfth session, "holds"):
    # the seen hold lost lead where its episode ended while aircraft were still about the site,
    # faintly: a drone loitering 4-8 km off ("nearby", 0.1-0.15), a jet 8 km off; the next pass or
    # another aircraft's strike then came minutes after the all-clear. None: from the clear
    # threshold, as before. Off by default: 0.13 (with seen_hold_s 150 and the siren model at 0.15)
    # meets issue 17's six public-synthetic bars and gives back half the lead the seen hold cost
    # (12 pairs cut -> 6), but issue 5's pair keeps 0.44 (bar 0.45): its Ariha pair's lead was
    # carried by the 600 s lingering hold across helicopters 15-35 km off, which no floor keeps.
    seen_hold_floor: float | None = None
    # An update goes out only when something people act on changes: the level, the kind of aircraft,
    # or the time left before it arrives by this much (a time already past reads "now": a threat
    # whose arrival stays "now" while the clock runs, as a strike's does, changes nothing).
    eta_update_s: float = 90.0
    min_update_interval_s: float = 30.0
    # Hysteresis across episodes. For this long after an all-clear at a site a new episode there is
    # a re-alert: people were just told it was over. A re-alert is held at least ``rearm_hold_s``
    # after its threat fades, whatever the aircraft seems to do (not the minute of one seen leaving):
    # raids come in waves, and each all-clear between two of them is one more re-alert. Measured on
    # the public and 36 simulated scenarios (docs/benchmarks.md, "Flapping"): re-alerts within 5 min
    # fall as the hold grows and alert-minutes rise, warnings never fall; 300 s keeps idlib-basic
    # under issue 2's 3x alert-minutes. A phones-only re-alert may also be made to need a threat
    # ``rearm_margin`` above the site's early threshold (reported strikes and sirens never wait):
    # off, since 0.05 already lost lead (lead/oracle adsb-idlib 0.09 -> 0.06, idlib-twists 0.58 -> 0.56).
    rearm_s: float = 600.0
    rearm_hold_s: float = 300.0
    rearm_margin: float = 0.0
    heartbeat_s: float = 600.0  # re-send a live episode before the 20-minute staleness rule ends it
    # Circling sirens (docs/benchmarks.md, twelfth session, "circling"). An orbit is flown round one
    # target, but its cue reaches every site under its path: a jet's orbit of up to 6 km, or a second
    # pass projected from far out, calls for sirens at towns the aircraft is 5-16 km from, and on
    # issue 17's tuning set such sirens were false 4 times in 5 (jets 5 km and more from the site 20
    # of 25, helicopters 3 km and more 9 of 12, against 37 of 61 nearer). With an entry here for a
    # kind of aircraft, its ``circling`` cue sounds sirens only while the track is within that many
    # metres of the site (Threat.distance_m); farther, it warns phones. Off (empty) by default: at jets
    # 5 km, helicopters 2 km the tuning set's false sirens fall 0.69 -> 0.68 only, and sirens >= 60 s
    # on the public five 0.72 -> 0.71 (strike reports raise three sirens in four).
    circling_siren_m: dict[str, float] = field(default_factory=dict)
    # With ``circling_dwell_s`` set, a ``circling`` cue sounds sirens only once the same track has
    # been the site's strongest threat with that cue for this many seconds, unbroken (93 of the
    # tuning set's 98 circling sirens came within 30 s of the cue's first step). None: at once. Off by
    # default: 30 s takes the public five's false sirens 0.53 -> 0.49, but by turning true circling
    # sirens into late strike-report ones (sirens >= 60 s: tuning set 0.54 -> 0.53, report set 0.58
    # -> 0.57).
    circling_dwell_s: float | None = None
    # With ``circling_spread_m`` set, one orbit sounds new sirens round one target only: a track's
    # ``circling`` cue does not sound sirens at a site while another site more than this many metres
    # away has an open siren episode that the same track's circling raised (a hospital inside the
    # struck town is the same target; a town across the orbit is not). On the tuning set at 2.5 km
    # the circling sirens it removes were false 16 times in 19; false sirens 0.69 -> 0.68, nothing
    # else moves (imminent-minutes fall). None (default): every site it circles.
    circling_spread_m: float | None = None
    # Which sites a phones-only episode opens for (docs/benchmarks.md, thirteenth session, "idle
    # minutes"). Each is a gate on opening only: an open episode runs and ends as before, so no
    # warning already given is cut short. Sirens and reported strikes never wait. With an entry
    # here for a kind of aircraft, its track's threat opens a phones-only episode only while the
    # track is within that many metres of the site (Threat.distance_m); farther, the site waits.
    early_reach_m: dict[str, float] = field(default_factory=dict)
    # With an entry in ``early_sites_per_track`` for a kind of aircraft, one track of that kind
    # opens new phones-only episodes only at the that-many sites it calls for most this step
    # (probability over the site's early threshold, among the sites where it is the strongest
    # threat): a path crosses several towns' reach at once, and one of them, or none, is its
    # target; the others open if it comes on to them. Empty (default): every site it threatens.
    early_sites_per_track: dict[str, float] = field(default_factory=dict)
    # With an entry in ``early_first_factor`` too, the site such a track calls for most (the first
    # of its ranking) opens already at this times its early threshold: the likeliest target is
    # warned sooner, the others wait. Empty (default): at the threshold.
    early_first_factor: dict[str, float] = field(default_factory=dict)


@dataclass
class _Episode:
    level: AlertLevel
    started: float
    last_sent: float
    eta: float | None
    threat: AircraftType
    track: str | None
    confidence: float
    quiet_since: float | None = None  # threat below the clear threshold since
    idle_since: float | None = None  # threat below PolicyConfig.seen_hold_floor (or quiet) since
    sirens: bool = False  # reached ``imminent`` at some point
    lingering: bool = False  # threatened by an aircraft that lingers (PolicyConfig.lingering_aircraft)
    lower_since: float | None = None  # threat below the episode's level since
    sent: int = 0  # alerts sent in this episode (the next one is number sent + 1)
    told_threat: AircraftType | None = None  # the kind of aircraft the last line sent named
    rearmed: bool = False  # opened within ``PolicyConfig.rearm_s`` of an all-clear at the site
    circled_by: str | None = None  # the track whose circling cue first raised it to sirens


class AlertPolicy:
    """Keeps one alert episode per site and decides what to send.

    With a ``siren_model`` (:mod:`nadhir.alerting.siren_model`; off by default) every call the
    rules make for sirens is weighed again: one the model gives less than its operating point of
    a strike warns phones only.
    """

    def __init__(
        self, sites: list[Site], config: PolicyConfig | None = None, siren_model: SirenModel | None = None
    ) -> None:
        self.config = config or PolicyConfig()
        self.siren_model = siren_model
        self.siren_recorder: SirenRecorder | None = None
        # Whether the tracker still sees a track (live, observed lately), by its id; set by the
        # pipeline. None: every episode is held as if its aircraft were out of view.
        self.track_seen: Callable[[str], bool] | None = None
        # The strongest aircraft (track or lost-contact) threat per site this step, strike reports
        # left out; set by the pipeline before each decide().
        self.aircraft_threats: dict[str, Threat] = {}
        # The sites' recent history, which the siren model reads; kept only while a model or a
        # recorder needs it.
        self.memory = SirenMemory(sites)
        self.sites = {s.id: s for s in sites}
        self._order = {s.id: k for k, s in enumerate(sites)}
        self._episodes: dict[str, _Episode] = {}
        self._cleared: dict[str, float] = {}  # site -> time of its last all-clear
        # The lowest probability that calls for any level at any site, for the config it was worked
        # out from (recomputed should ``config`` be replaced).
        self._floor: tuple[PolicyConfig, float] | None = None
        # Sites' own terms (a closed hospital: phones only; incubators occupied: warned earlier),
        # set by the service from the health room's facility status. None here: as the kind says.
        self._readiness: dict[str, SiteReadiness] = {}
        # Per site, the track whose circling cue has been its strongest threat, unbroken, and since
        # when (kept only with PolicyConfig.circling_dwell_s).
        self._circling_since: dict[str, tuple[str | None, float]] = {}

    def set_readiness(self, site_id: str, readiness: SiteReadiness | None) -> None:
        """Warn ``site_id`` on its own terms from now on (None or ordinary terms: as its kind says)."""
        if readiness is None or readiness.ordinary:
            self._readiness.pop(site_id, None)
        elif site_id in self.sites:
            self._readiness[site_id] = readiness

    def readiness(self) -> dict[str, SiteReadiness]:
        """The sites warned on their own terms now."""
        return dict(self._readiness)

    def shelter_s(self, site: Site) -> float:
        """Seconds the site's people need to reach shelter (with its readiness' extra lead)."""
        extra = self._readiness[site.id].extra_lead_s if site.id in self._readiness else 0.0
        if site.shelter_seconds is not None:
            return site.shelter_seconds + extra
        return DEFAULT_SHELTER_S.get(site.kind, TOWN_SHELTER_S) + extra

    def _thresholds(self, site: Site) -> tuple[float, float]:
        c = self.config
        if site.kind not in c.vulnerable_kinds:
            return c.early_probability, c.imminent_probability
        return c.early_probability * c.vulnerable_early_factor, c.imminent_probability * c.vulnerable_factor

    def _lowest_probability(self) -> float:
        """No threat below this probability calls for a level at any site (see desired_level)."""
        if self._floor is None or self._floor[0] is not self.config:
            c = self.config
            # A track's likeliest target may open below its early threshold (early_first_factor).
            first = min([1.0, *(f for k, f in c.early_first_factor.items() if k in c.early_sites_per_track)])
            floor = min(
                [
                    c.impact_early_probability,
                    *(p * first for s in self.sites.values() for p in self._thresholds(s)),
                ]
            )
            self._floor = (c, floor)
        return self._floor[1]

    def desired_level(self, site: Site, threat: Threat | None, t: float) -> AlertLevel | None:
        """The level this threat calls for at ``t``, or None.

        Never a level for a probability below all of the site's early and imminent thresholds and
        the impact one: decide() relies on it to skip most sites.
        """
        level = self._rules_level(site, threat, t)
        model = self.siren_model
        if (
            level == "imminent"
            and model is not None
            and threat is not None
            and model.probability(self.siren_features(site, threat, t)) < model.threshold
        ):
            return "early"  # its probability is above the imminent threshold, so the early one
        return level

    def siren_features(self, site: Site, threat: Threat, t: float) -> list[float]:
        """The siren model's features for a call for sirens at ``site`` by ``threat`` at ``t``."""
        ep = self._episodes.get(site.id)
        view = (
            EpisodeView(t - ep.started, ep.sirens, ep.rearmed)
            if ep is not None
            else EpisodeView(
                rearmed=site.id in self._cleared and t - self._cleared[site.id] < self.config.rearm_s
            )
        )
        return self.memory.features(site, threat, t, view)

    def _rules_level(self, site: Site, threat: Threat | None, t: float) -> AlertLevel | None:
        """The level the rules alone call for (desired_level before the siren model)."""
        if threat is None:
            return None
        early_p, imminent_p = self._thresholds(site)
        c = self.config
        siren_cue = (threat.cue == "impact" and self._impact_may_sound(site.id, t)) or (
            threat.aircraft in c.siren_aircraft and threat.cue in c.siren_cues
        )
        if siren_cue and threat.cue == "circling" and not self._circling_may_sound(site, threat, t):
            siren_cue = False
        approach = c.approach_siren_probability
        if approach is not None and threat.cue == "approach" and threat.aircraft in c.siren_aircraft:
            siren_cue, imminent_p = True, max(imminent_p, approach)
        ready = self._readiness.get(site.id)
        if ready is not None and ready.extra_lead_s > 0 and threat.aircraft in c.siren_aircraft:
            # A site whose people take long to move (newborns in incubators, an operation under way)
            # cannot wait for the aircraft to circle it: a sure, corroborated approach sounds its
            # sirens, within its widened window. Its false sirens are the price of those minutes.
            siren_cue = siren_cue or threat.cue in ("approach", "overhead")
        eta = plausible_eta(threat.eta, t)
        if siren_cue and threat.probability >= imminent_p and eta is not None and self.corroborated(threat):
            window = self.shelter_s(site) + self.config.imminent_margin_s.get(threat.aircraft, 200.0)
            if eta - t <= window:
                # A site with no one to shelter (a closed hospital) hears of it by phone only.
                return "imminent" if ready is None or ready.sirens else "early"
        if threat.probability >= early_p:
            return "early"
        if threat.cue == "impact" and threat.probability >= c.impact_early_probability:
            return "early"  # a reported strike nearby, even from one little-known source
        return None

    def _circling_may_sound(self, site: Site, threat: Threat, t: float) -> bool:
        """Whether a ``circling`` cue may sound sirens at ``site`` (PolicyConfig.circling_siren_m,
        circling_spread_m and circling_dwell_s)."""
        c = self.config
        limit = c.circling_siren_m.get(threat.aircraft)
        if limit is not None and threat.distance_m > limit:
            return False
        spread = c.circling_spread_m
        if spread is not None and threat.track is not None:
            ep = self._episodes.get(site.id)
            if ep is None or not ep.sirens:
                for other_id, other in self._episodes.items():
                    if other_id != site.id and other.sirens and other.circled_by == threat.track:
                        o = self.sites[other_id]
                        if haversine_m(site.lat, site.lon, o.lat, o.lon) > spread:
                            return False
        if c.circling_dwell_s is None:
            return True
        since = self._circling_since.get(site.id)
        return since is not None and since[0] == threat.track and t - since[1] >= c.circling_dwell_s

    def _impact_may_sound(self, site_id: str, t: float) -> bool:
        """Whether a strike reported at the site may sound its sirens (PolicyConfig.impact_siren_aircraft)."""
        c = self.config
        least, window = c.impact_siren_aircraft, c.impact_siren_window_s
        if least is None and window is None:
            return True
        ep = self._episodes.get(site_id)
        if ep is not None and ep.sirens:
            return True  # not a new siren: the episode's people are already sheltering
        if window is not None and t - self._newest_impact(site_id) > window:
            return False
        if least is None:
            return True
        aircraft = self.aircraft_threats.get(site_id)
        return (
            aircraft is not None
            and aircraft.probability >= least
            and aircraft.cue in self.config.impact_siren_cues
        )

    def _newest_impact(self, site_id: str) -> float:
        """When the newest strike report threatening the site came (-inf: none known)."""
        evidence = self.memory.impacts_at(site_id) if self.memory.impacts_at is not None else None
        return evidence.newest_t if evidence is not None else -math.inf

    def corroborated(self, threat: Threat) -> bool:
        """Whether enough independent witnesses support the threat for it to sound sirens."""
        return len(threat.witnesses) >= self.config.siren_witnesses

    def decide(self, t: float, threats: dict[str, Threat]) -> list[Alert]:
        """Alerts to send at ``t`` given the strongest threat per site (sites absent: no threat)."""
        out: list[Alert] = []
        if self.config.circling_dwell_s is not None:
            since = self._circling_since
            self._circling_since = {
                site_id: (
                    since[site_id]
                    if site_id in since and since[site_id][0] == threat.track
                    else (threat.track, t)
                )
                for site_id, threat in threats.items()
                if threat.cue == "circling"
            }
        # Only sites with an open episode, or a threat not below the lowest probability that calls
        # for any level, can change; most sites have neither at any moment (on idlib-basic three in
        # four threatened sites have only a faint threat and no episode). They are picked out before
        # sorting and visited in the sites' own order, so the output is the same as visiting all.
        episodes, order = self._episodes, self._order
        floor = self._lowest_probability()
        visit = [
            site_id
            for site_id, threat in threats.items()
            if site_id not in episodes and not threat.probability < floor and site_id in order
        ]
        visit.extend(episodes)
        recorder = self.siren_recorder
        if self.siren_model is not None or recorder is not None:
            self.memory.observe(t, (threats[s] for s in visit if s in threats))
        ranked = self._rankings(threats) if self.config.early_sites_per_track else None
        for site_id in sorted(visit, key=order.__getitem__):
            threat = threats.get(site_id)
            episode = episodes.get(site_id)
            site = self.sites[site_id]
            if (
                recorder is not None
                and threat is not None
                and self._rules_level(site, threat, t) == "imminent"
            ):
                recorder(t, site_id, self.siren_features(site, threat, t))
            want = self.desired_level(site, threat, t)
            if (
                want is None
                and episode is None
                and ranked is not None
                and threat is not None
                and self._first_of_track(site, threat, ranked)
            ):
                want = "early"
            if episode is None:
                rearmed = self._rearmed(site_id, t)
                if want == "early" and threat is not None and rearmed and not self._realerts(site, threat):
                    continue
                if want == "early" and threat is not None and not self._may_open(site, threat, ranked):
                    continue
                if want is not None and threat is not None:
                    self._episodes[site_id] = _Episode(
                        want,
                        t,
                        t,
                        plausible_eta(threat.eta, t),
                        threat.aircraft,
                        threat.track,
                        threat.probability,
                        sirens=want == "imminent",
                        lingering=threat.aircraft in self.config.lingering_aircraft,
                        rearmed=rearmed,
                        circled_by=threat.track if want == "imminent" and threat.cue == "circling" else None,
                    )
                    out.append(self._alert(t, "alert", site_id, self._episodes[site_id]))
                continue
            alert = self._continue(t, site, episode, threat, want)
            if alert is not None:
                out.append(alert)
                if alert.action == "all_clear":
                    del self._episodes[site_id]
                    self._cleared[site_id] = t
        return out

    def _rankings(self, threats: dict[str, Threat]) -> dict[str, list[float]]:
        """Per track, how strongly it calls for phones at each site where it is the strongest threat
        (``_called``), highest first (PolicyConfig.early_sites_per_track)."""
        ranked: dict[str, list[float]] = {}
        sites = self.sites
        for threat in threats.values():
            if threat.track is not None and threat.cue != "impact" and threat.site in sites:
                ranked.setdefault(threat.track, []).append(self._called(sites[threat.site], threat))
        for called in ranked.values():
            called.sort(reverse=True)
        return ranked

    def _may_open(self, site: Site, threat: Threat, ranked: dict[str, list[float]] | None) -> bool:
        """Whether a track's threat calling for phones opens an episode at ``site`` now
        (PolicyConfig.early_reach_m, early_sites_per_track); a strike report always does."""
        c = self.config
        if threat.cue == "impact" or threat.track is None:
            return True
        reach = c.early_reach_m.get(threat.aircraft)
        if reach is not None and threat.distance_m > reach:
            return False
        most = c.early_sites_per_track.get(threat.aircraft)
        if ranked is not None and most is not None:
            called = ranked.get(threat.track, [])
            k = max(1, int(most))
            if len(called) > k and self._called(site, threat) < called[k - 1]:
                return False
        return True

    def _first_of_track(self, site: Site, threat: Threat, ranked: dict[str, list[float]]) -> bool:
        """Whether ``threat`` opens phones at ``site`` below its early threshold as its track's
        likeliest target (PolicyConfig.early_first_factor)."""
        c = self.config
        factor = c.early_first_factor.get(threat.aircraft)
        if factor is None or threat.track is None or threat.cue in ("impact", "receding"):
            return False
        if threat.aircraft not in c.early_sites_per_track:
            return False
        called = self._called(site, threat)
        ranking = ranked.get(threat.track) or [called]
        return called >= factor and called >= ranking[0]

    def _called(self, site: Site, threat: Threat) -> float:
        """How strongly a threat calls for phones at a site: its probability over the site's early
        threshold (a hospital's is lower than its town's, so the same track calls it more)."""
        return threat.probability / max(self._thresholds(site)[0], 1e-9)

    def _rearmed(self, site_id: str, t: float) -> bool:
        """Whether the site had an all-clear within ``rearm_s`` before ``t`` (forgets older ones)."""
        cleared = self._cleared.get(site_id)
        if cleared is None:
            return False
        if t - cleared < self.config.rearm_s:
            return True
        del self._cleared[site_id]
        return False

    def _realerts(self, site: Site, threat: Threat) -> bool:
        """Whether a threat calling for phones opens a new episode at a site just given the all-clear."""
        if threat.cue == "impact":
            return True  # a strike reported there is news, whatever was said before
        return threat.probability >= self._thresholds(site)[0] + self.config.rearm_margin

    def _continue(
        self, t: float, site: Site, ep: _Episode, threat: Threat | None, want: AlertLevel | None
    ) -> Alert | None:
        c = self.config
        # Hysteresis: the episode stays open while the threat is above the (lower) clear threshold.
        quiet = threat is None or threat.probability < c.clear_probability
        ep.quiet_since = (ep.quiet_since or t) if quiet else None
        floor = c.seen_hold_floor
        if floor is None:
            ep.idle_since = ep.quiet_since
        else:
            # (Below the floor is below the clear threshold too: idle implies quiet.)
            idle = (
                threat is None
                or threat.cue == "receding"
                or threat.probability < min(floor, c.clear_probability)
            )
            ep.idle_since = (ep.idle_since or t) if idle else None
        # An aircraft seen moving away ends the episode sooner than one merely lost from view, and
        # one that lingers later; a phones-only episode whose aircraft is still in view and no
        # longer threatens the site, no later than ``seen_hold_s`` (from ``idle_since``).
        if threat is not None and threat.cue == "receding":
            hold = c.passed_hold_s
        elif ep.lingering and not ep.sirens:
            hold = c.lingering_hold_s
        else:
            hold = c.hold_s
        seen = c.seen_hold_s
        if ep.rearmed:
            hold = max(hold, c.rearm_hold_s)
            seen = None if seen is None else max(seen, c.rearm_hold_s)
        if ep.quiet_since is not None and (
            t - ep.quiet_since >= hold
            or (
                seen is not None
                and ep.idle_since is not None
                and t - ep.idle_since >= seen
                and not ep.sirens
                and self._still_seen(ep)
            )
        ):
            return self._alert(t, "all_clear", site.id, ep)
        if threat is None or quiet:
            return self._heartbeat(t, site.id, ep)
        ep.lower_since = (ep.lower_since or t) if (ep.level == "imminent" and want != "imminent") else None
        changed = False
        if want == "imminent" and ep.level == "early":
            ep.level, ep.sirens, changed = "imminent", True, True  # raising never waits
            if threat.cue == "circling":
                ep.circled_by = threat.track
        elif ep.lower_since is not None and t - ep.lower_since >= c.hold_s:
            ep.level, ep.lower_since, changed = "early", None, True
        eta = plausible_eta(threat.eta, t)
        # What people were told against what holds now: the time left (none once it has passed),
        # and the kind of aircraft (a kind no longer known tells them nothing new). Only a threat
        # that calls for a level by itself tells them anything: the faint ones that merely hold the
        # episode open (between the clear and the early thresholds) come and go from track to track.
        eta_moved = (
            want is not None
            and eta is not None
            and ep.eta is not None
            and abs(max(eta - t, 0.0) - max(ep.eta - t, 0.0)) >= c.eta_update_s
        )
        kind_changed = want is not None and threat.aircraft not in (ep.told_threat, "unknown")
        ep.threat, ep.track, ep.confidence = threat.aircraft, threat.track, threat.probability
        ep.lingering = ep.lingering or threat.aircraft in c.lingering_aircraft
        if changed or ((eta_moved or kind_changed) and t - ep.last_sent >= c.min_update_interval_s):
            ep.eta = eta
            return self._alert(t, "update", site.id, ep)
        return self._heartbeat(t, site.id, ep)

    def _still_seen(self, ep: _Episode) -> bool:
        """Whether the aircraft that last threatened the episode's site is still in view."""
        return ep.track is not None and self.track_seen is not None and self.track_seen(ep.track)

    def _heartbeat(self, t: float, site_id: str, ep: _Episode) -> Alert | None:
        if t - ep.last_sent >= self.config.heartbeat_s:
            return self._alert(t, "update", site_id, ep)
        return None

    def _alert(self, t: float, action: str, site_id: str, ep: _Episode) -> Alert:
        ep.last_sent, ep.told_threat = t, ep.threat
        ep.sent += 1
        return Alert(
            t=t,
            action=action,  # type: ignore[arg-type]
            site=site_id,
            level=ep.level,
            threat=ep.threat,
            eta=ep.eta if action != "all_clear" else None,
            confidence=round(min(1.0, max(0.0, ep.confidence)), 3),
            track=ep.track,
            episode=ep.started,
            seq=ep.sent,
        )

    def restore(
        self,
        t: float,
        site_id: str,
        level: AlertLevel,
        started: float,
        eta: float | None,
        aircraft: AircraftType,
        track: str | None,
        confidence: float,
        sirens: bool,
        sent: int = 1,
    ) -> None:
        """Reopen an episode that was open when the service stopped (read back from the store).

        Nothing is sent now: people were told when it was. From ``t`` it is an open episode like any
        other: a threat at the site renews it, and with none it ends in an all-clear once the
        policy's hold has passed (``hold_s``; ``lingering_hold_s`` for a phones-only episode of a
        lingering aircraft), as when a threat fades. Its heartbeat counts from ``t``. ``sent`` is how
        many alerts it already sent: its next alert is number ``sent + 1`` of the episode, so that its
        delivery keys (which derive from ``started`` and that number) are new.
        """
        if site_id not in self.sites:
            raise KeyError(f"unknown site {site_id!r}")
        self._episodes[site_id] = _Episode(
            level,
            started,
            t,
            plausible_eta(eta, t),
            aircraft,
            track,
            confidence,
            sirens=sirens or level == "imminent",
            lingering=aircraft in self.config.lingering_aircraft,
            sent=sent,
            told_threat=aircraft,
        )

    def tracks(self) -> list[str]:
        """The tracks the open episodes' alerts name (an update or all-clear may still name them)."""
        return [ep.track for ep in self._episodes.values() if ep.track is not None]

    def active(self) -> dict[str, AlertLevel]:
        """Sites under alert now, with their level."""
        return {site_id: ep.level for site_id, ep in self._episodes.items()}
