"""Plain typed records that flow through the pipeline.

Times are POSIX seconds (float, UTC) everywhere inside the system; they are
turned into ISO 8601 strings only at the edges (see :mod:`nadhir.domain.timefmt`).
Positions are WGS84 degrees. Records are frozen so that a stage can never
change what an earlier stage saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AircraftType = Literal["jet", "helicopter", "drone", "unknown"]
AIRCRAFT_TYPES: tuple[AircraftType, ...] = ("jet", "helicopter", "drone", "unknown")

AlertAction = Literal["alert", "update", "all_clear"]
# Why a site is threatened: a track heading for it, over it now, circling it, wandering near it with
# no known course, or a strike just reported there; "receding" says a track has passed it (p = 0).
ThreatCue = Literal["approach", "overhead", "circling", "nearby", "impact", "receding"]
AlertLevel = Literal["early", "imminent"]

Action = Literal["takeoff", "transit", "circling", "striking", "leaving", "unknown"]


@dataclass(frozen=True, slots=True)
class Site:
    """A place that can be warned: a town, a hospital, a school, a camp."""

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    radius_m: float
    name_ar: str | None = None
    polygon: tuple[tuple[float, float], ...] | None = None  # outer ring as (lon, lat)
    sirens: tuple[str, ...] = ()
    population: int | None = None
    shelter_seconds: float | None = None  # time its people need to reach shelter


@dataclass(frozen=True, slots=True)
class Place:
    """A named place reporters may use: a village, a landmark, an air base."""

    id: str
    name: str
    lat: float
    lon: float
    kind: str = "place"
    name_ar: str | None = None
    aliases: tuple[str, ...] = ()
    radius_m: float = 1500.0  # how far from the point a sighting "over" it may be


@dataclass(frozen=True, slots=True)
class Reporter:
    """A known source: an observer at a lookout post or an acoustic sensor.

    ``speaks_for`` are the places (health facility or displacement site ids) whose field reports
    (status, outcomes, a site's figures) this reporter may send; none by default.
    """

    id: str
    kind: Literal["observer", "sensor"]
    lat: float | None = None
    lon: float | None = None
    trust: float = 0.5
    speaks_for: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """An observer's message as received: free text, structured fields, or both."""

    t: float
    reporter: str
    channel: str | None = None
    text: str | None = None
    aircraft: str | None = None
    count: int | None = None
    lat: float | None = None
    lon: float | None = None
    place: str | None = None
    heading_deg: float | None = None
    heading: str | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class AcousticDetection:
    """One detection from an acoustic node: a class and, usually, a bearing."""

    t: float
    sensor: str
    lat: float
    lon: float
    sound_class: str  # jet, helicopter, drone, propeller, explosion
    confidence: float
    bearing_deg: float | None = None
    bearing_sigma_deg: float | None = None


@dataclass(frozen=True, slots=True)
class Impact:
    """A reported explosion or strike, after the fact."""

    t: float
    reporter: str
    lat: float | None = None
    lon: float | None = None
    place: str | None = None


Event = Report | AcousticDetection | Impact


@dataclass(frozen=True, slots=True)
class Observation:
    """What intake makes of a report: a located sighting ready for tracking.

    ``sigma_m`` is the 1-sigma horizontal uncertainty of the position, which
    depends on how the position was given (coordinates, a named town, a broad
    area). ``heading_deg`` is the reported direction of travel, if any.
    """

    t: float
    source: str
    aircraft: AircraftType
    lat: float
    lon: float
    sigma_m: float
    count: int = 1
    heading_deg: float | None = None
    action: Action = "unknown"
    origin_id: str | None = None
    toward_id: str | None = None
    trust: float = 0.5
    aircraft_confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class TrackState:
    """A track's estimate at one time, as written to ``tracks.jsonl``."""

    t: float
    track: str
    lat: float
    lon: float
    speed_mps: float
    heading_deg: float
    aircraft: AircraftType
    sigma_m: float
    # A tentative track is published once it is likelier real than not; the map marks it, and
    # tracks.jsonl (the spec's format) does not carry the flag.
    confirmed: bool = True


@dataclass(frozen=True, slots=True, init=False)
class Threat:
    """How one track threatens one site: probability of arrival and when.

    ``witnesses`` are the independent witnesses whose evidence the threat
    rests on (see :meth:`nadhir.intake.trust.TrustBook.witness`): every
    listed source by its own id, all unlisted sources together as one. The
    alert policy sounds sirens only for a threat with at least two: one
    source, however many messages, kinds or positions it sends, never does.
    """

    site: str
    track: str | None  # None when the threat comes from impacts rather than a track
    aircraft: AircraftType
    probability: float
    eta: float | None
    distance_m: float
    cue: ThreatCue = "approach"
    witnesses: frozenset[str] = frozenset()

    def __init__(
        self,
        site: str,
        track: str | None,
        aircraft: AircraftType,
        probability: float,
        eta: float | None,
        distance_m: float,
        cue: ThreatCue = "approach",
        witnesses: frozenset[str] = frozenset(),
    ) -> None:
        """The dataclass's own ``__init__``, only faster.

        A frozen dataclass sets each field through ``object.__setattr__``; the slots' own setters
        do the same in 0.42 µs rather than 0.75. Tens of thousands of threats are built per
        replayed hour (every assessment, every faded lost-contact threat, every step), so this is
        ~15-30 ms of a public scenario's replay.
        """
        _set_site(self, site)
        _set_track(self, track)
        _set_aircraft(self, aircraft)
        _set_probability(self, probability)
        _set_eta(self, eta)
        _set_distance_m(self, distance_m)
        _set_cue(self, cue)
        _set_witnesses(self, witnesses)


# The slots' setters (member descriptors), which skip the frozen class's __setattr__.
(
    _set_site,
    _set_track,
    _set_aircraft,
    _set_probability,
    _set_eta,
    _set_distance_m,
    _set_cue,
    _set_witnesses,
) = (
    vars(Threat)[name].__set__
    for name in ("site", "track", "aircraft", "probability", "eta", "distance_m", "cue", "witnesses")
)


@dataclass(frozen=True, slots=True)
class Approach:
    """Where a threat comes from, as the pipeline saw it when it decided the alert.

    Computed once (:func:`nadhir.alerting.approach.approach_toward`) and read by every edge that
    tells people the direction: the SMS and Telegram text, CAP, the kiosk and the console. The
    compass points are those of :func:`nadhir.geo.compass.compass_point` for the degrees beside
    them. The aircraft type and the arrival time are the alert's own (``threat``, ``eta``).
    """

    from_deg: float | None = None  # bearing from the site to the aircraft; None when over the site
    from_point: str | None = None
    heading_deg: float | None = None  # its direction of travel; None when it hovers or barely moves
    heading_point: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """One line of ``alerts.jsonl``: a warning, an update or an all-clear for a site.

    ``approach`` rides along for the messages people read; it is not part of the line (the output
    format does not write it) nor of the alert's equality. Nor are ``episode`` and ``seq``: the
    start time of the site's alert episode and this alert's place in it (1 for the opening alert),
    set by the policy, from which delivery derives its idempotency keys (an alert re-derived by
    another engine after a takeover keeps them, though its time may move by a tick). An alert
    read back from a file has neither (``episode`` None).
    """

    t: float
    action: AlertAction
    site: str
    level: AlertLevel
    threat: AircraftType
    eta: float | None
    confidence: float
    track: str | None
    approach: Approach | None = field(default=None, compare=False)
    episode: float | None = field(default=None, compare=False)
    seq: int = field(default=0, compare=False)


@dataclass(slots=True)
class Problem:
    """An input line that was reported and skipped, and why."""

    source: str
    line: int
    reason: str


@dataclass(slots=True)
class Problems:
    """Collected problems from reading input; never fatal."""

    items: list[Problem] = field(default_factory=list)

    def add(self, source: str, line: int, reason: str) -> None:
        self.items.append(Problem(source, line, reason))

    def __len__(self) -> int:
        return len(self.items)
