"""The shapes of the HTTP API (and so of its OpenAPI document). Times ending in ``_s`` are POSIX seconds.

Every request body model refuses NaN and Infinity (``allow_inf_nan=False``). The service's JSON
reader refuses them first (:mod:`nadhir.service.bodies`); this keeps a model from taking them
however it is filled.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["early", "imminent"]
Aircraft = Literal["jet", "helicopter", "drone", "unknown"]


class ErrorOut(BaseModel):
    detail: str = Field(description="What was wrong, in words")


class DeliveryHealthOut(BaseModel):
    stored: int = Field(description="Alerts stored in the outbox with their deliveries")
    unstored: int = Field(description="Alerts planned and not yet stored (retried until they are)")
    store_failures: int = Field(description="Attempts to store an alert that failed (logged as errors)")
    plan_failures: int = Field(description="Alerts for which no delivery could be planned (logged)")
    cap_failures: int = Field(description="Alerts sent without a CAP message it could not make (logged)")
    recipient_failures: int = Field(description="Alerts whose people fan-out could not be planned (logged)")
    dropped: int = Field(description="Alerts dropped before the outbox took them (queue full)")
    tests_held: int = Field(
        default=0,
        description="Siren test commands not sounded because a real alert was open at their site (logged)",
    )
    rolled_back: int = Field(
        description="Operator actions undone because their alerts could not be sent on (logged as errors)"
    )


class HealthOut(BaseModel):
    status: Literal["ok", "degraded", "starting", "stopped"] = Field(
        description="ok: the engine runs; degraded: it runs, but steps were set aside (quarantined) in "
        "the last five minutes, so some input was not processed; stopped: its thread stopped (intake "
        "answers 503 until the supervisor has restarted it)"
    )
    reason: str | None = Field(
        default=None, description="Why the engine stopped, or which steps were set aside while degraded"
    )
    restarts: int = Field(default=0, description="Times the engine was restarted after it stopped")
    quarantined: int = Field(default=0, description="Engine steps that raised and were set aside")
    now: float | None = Field(description="The pipeline's time (last event or tick), POSIX seconds")
    clock: float = Field(description="The service clock now, POSIX seconds")
    speed: float = Field(description="Simulated seconds per wall second (1 live; more in the demo)")
    run_id: int | None
    demo: bool
    delivery: DeliveryHealthOut | None = Field(
        default=None,
        description="The alert outbox (null when delivery is off); all but stored and tests_held must stay 0",
    )


class IntakeAccepted(BaseModel):
    id: int = Field(description="Sequence number of this event among those accepted since start")
    kind: Literal["report", "acoustic", "impact"]
    source: str
    t: float = Field(description="The event's time, POSIX seconds")
    received: float = Field(description="When the service took it, POSIX seconds (service clock)")


class SiteStatus(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    level: Level | None = Field(description="The open alert's level, or null when no alert is open")
    probability: float | None = Field(description="Probability that the strongest threat reaches the site")
    eta_s: float | None = Field(description="Expected arrival time, POSIX seconds")
    aircraft: str | None
    track: str | None
    from_: str | None = Field(alias="from", description="Compass point the threat is coming from")
    cue: str | None = Field(
        description="What the threat rests on: approach, overhead, circling, nearby, impact"
    )
    since_s: float | None = Field(description="When the open alert began, POSIX seconds")
    arrived_s: float | None = Field(
        default=None,
        description="When the threat reached the site during the open alert (overhead, or a strike), "
        "POSIX seconds; null while it is still on its way",
    )
    confirmed: bool = Field(description="An operator has confirmed the alert")
    manual: bool = Field(description="An operator raised the alert by hand")


class SiteOut(BaseModel):
    id: str
    name: str
    name_ar: str | None
    kind: str
    lat: float
    lon: float
    radius_m: float
    population: int | None
    sirens: list[str]
    shelter_seconds: float = Field(description="Time its people need to reach shelter")
    status: SiteStatus


class SourceOut(BaseModel):
    id: str
    kind: Literal["observer", "sensor"]
    lat: float | None
    lon: float | None
    last_heard: float | None = Field(description="Time of its last event, POSIX seconds")
    events: int
    rejected: int = Field(description="Of its reports, how many could not be used")
    last_reason: str | None
    trust: float
    health: Literal["ok", "silent", "never"]


class TrackOut(BaseModel):
    track: str
    t: float
    lat: float
    lon: float
    speed_mps: float
    heading_deg: float
    aircraft: Aircraft
    sigma_m: float
    speed_sigma_mps: float | None = Field(
        None, description="1-sigma of the speed along the heading, from the track's covariance (m/s)"
    )
    confirmed: bool = Field(
        description="False for a tentative track: one unconfirmed source, likelier real than not"
    )
    trail: list[list[float]] = Field(description="Past positions, oldest first: [lat, lon]")
    prediction: list[list[float]] = Field(
        description="Expected positions ahead: [seconds ahead, lat, lon, 1-sigma metres]"
    )
    started_s: float | None = Field(
        default=None, description="When the tracker began the track, POSIX seconds"
    )
    shown_s: float | None = Field(
        default=None, description="When the track was first published, POSIX seconds"
    )
    first_input_s: float | None = Field(
        default=None,
        description="The earliest input from the track's sources in the 15 minutes before it began",
    )
    first_input_source: str | None = None


class TrackStateOut(BaseModel):
    t: float
    track: str
    lat: float
    lon: float
    speed_mps: float
    heading_deg: float
    aircraft: Aircraft
    sigma_m: float
    confirmed: bool = Field(
        description="False for a tentative track: one unconfirmed source, likelier real than not"
    )


class AlertOut(BaseModel):
    t: str = Field(description="ISO 8601 UTC, as in alerts.jsonl")
    action: Literal["alert", "update", "all_clear"]
    site: str
    level: Level
    threat: Aircraft
    eta: str | None
    confidence: float
    track: str | None
    t_s: float
    eta_s: float | None
    site_name: str | None = None
    site_name_ar: str | None = None


class RunOut(BaseModel):
    id: int
    name: str
    scenario: str | None
    started_at: float
    finished_at: float | None
    stats: dict[str, Any] | None
    live: bool = Field(description="This is the service's own run, still being written")


class RunSiteOut(BaseModel):
    id: str
    name: str
    name_ar: str | None
    kind: str
    lat: float
    lon: float
    radius_m: float


class RunReplayOut(BaseModel):
    run: RunOut
    start: float | None
    end: float | None
    sites: list[RunSiteOut]
    tracks: list[TrackStateOut]
    alerts: list[AlertOut]


class OperatorAlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    level: Level = "imminent"
    aircraft: Aircraft = "unknown"
    eta_s: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="Expected arrival, POSIX seconds (imminent only): at most a minute before the service "
        "clock and at most 6 hours after it (not milliseconds)",
    )
    note: str | None = Field(default=None, max_length=500)


class OperatorNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    note: str | None = Field(default=None, max_length=500)


class OperatorResult(BaseModel):
    action: Literal["confirm", "cancel", "alert", "test_alarm", "cancel_track"]
    site: str
    by: str
    t: float
    alerts: list[AlertOut] = Field(description="The alerts this action sent")


class OperatorLogEntry(BaseModel):
    t: float
    action: str
    site: str
    by: str
    note: str | None
    alerts: list[AlertOut]
    level: str | None = None
    aircraft: str | None = None
    eta_s: float | None = None
    track: str | None = None


class HeldCancelOut(BaseModel):
    id: str = Field(description="Give it to .../operator/held/{id}/undo to undo the cancel")
    track: str
    by: str
    asked_s: float = Field(description="When it was asked for, service clock, POSIX seconds")
    sites: list[str] = Field(description="The sites the track alerted when it was asked for")
    window_s: float = Field(description="The undo window, wall seconds")
    remaining_s: float = Field(description="Wall seconds left before the all-clears go out")


class UndoOut(BaseModel):
    id: str
    track: str
    undone_by: str


class AuditOut(BaseModel):
    id: int
    at: float = Field(description="Service clock when the action was answered, POSIX seconds")
    who: str = Field(description="role:token name")
    action: str = Field(description="confirm, cancel, alert, test_alarm, cancel_track or undo")
    target: str = Field(description="A site id, 'all', 'track:<id>' or 'held:<id>'")
    result: Literal["accepted", "refused", "held", "applied", "failed"]
    reason: str | None = Field(description="Why it was refused or failed")
    run_id: int | None
    detail: dict[str, Any]


class ShelterInstructions(BaseModel):
    en: list[str]
    ar: list[str]


class KioskOut(BaseModel):
    site: SiteOut
    instructions: ShelterInstructions
    now: float | None
    clock: float
    speed: float
    tz: str = Field(
        description="The site's time zone, for its clock: the settings' alert_tz (Asia/Damascus unless set)"
    )


class StatsOut(BaseModel):
    accepted: int
    processed: int
    queue: int
    stored_events: int
    stored_tracks: int
    stored_alerts: int
    store_errors: int
    rate_limited: dict[str, int]
    feed_subscribers: int
    events_by_kind: dict[str, int]
    rejected: dict[str, int]
    late_events: int
    alerts: int
    episodes: int
    quarantined: int = Field(description="Engine steps (batches, ticks, jobs) that raised, set aside")
    quarantine_errors: int = Field(description="Quarantined steps that could not be stored")
    audit_errors: int = Field(default=0, description="Operator actions whose audit row could not be stored")
    restarts: int = Field(description="Times the engine was restarted after its thread stopped")
    wire_errors: int = Field(description="Feed messages not sent: not valid JSON (NaN, infinity)")
    feed_errors: int = Field(description="Alerts stored and delivered that could not be put on the feed")


class QuarantinedOut(BaseModel):
    """An engine step that raised, set aside with what it was given."""

    id: int
    run_id: int | None
    at: float = Field(description="When it was set aside, POSIX seconds (wall clock)")
    engine_t: float | None = Field(description="The pipeline's time then, POSIX seconds")
    kind: Literal["batch", "tick", "job", "store"]
    error: str
    traceback: str
    items: list[Any] = Field(description="Its input: events in the scenario format (kind, t, ...)")


# Request bodies of the intake endpoints, for the OpenAPI document only: the service itself reads
# them with the scenario reader, so that it accepts exactly the scenario event format.


class ReportIn(BaseModel):
    """An observer's report (``kind: report``)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    kind: Literal["report"] | None = None
    t: str | None = Field(default=None, description="ISO 8601; the time of arrival if absent")
    reporter: str | None = Field(default=None, description="Defaults to the token's own id")
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


class AcousticIn(BaseModel):
    """One detection from an acoustic node (``kind: acoustic``)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    kind: Literal["acoustic"] | None = None
    t: str | None = Field(default=None, description="ISO 8601; the time of arrival if absent")
    sensor: str | None = Field(default=None, description="Defaults to the token's own id")
    lat: float
    lon: float
    class_: str = Field(alias="class", description="jet, helicopter, drone, propeller, explosion")
    confidence: float | None = None
    bearing_deg: float | None = None
    bearing_sigma_deg: float | None = None


class ImpactIn(BaseModel):
    """A reported explosion or strike (``kind: impact``)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    kind: Literal["impact"] | None = None
    t: str | None = Field(default=None, description="ISO 8601; the time of arrival if absent")
    reporter: str | None = Field(default=None, description="Defaults to the token's own id")
    lat: float | None = None
    lon: float | None = None
    place: str | None = None


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9._:@+-]{1,64}$", description="Subscription id (default: a new one)"
    )
    channel: Literal["sms", "telegram"]
    address: str = Field(max_length=64, description="E.164 phone number (sms), or chat id / @channel")
    lang: Literal["ar", "en"] = "ar"
    sites: list[str] = Field(default_factory=list, max_length=500, description="Site ids")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_m: float | None = Field(default=None, gt=0, le=500_000, description="With lat and lon: the area")


class SubscriptionOut(BaseModel):
    id: str
    channel: Literal["sms", "telegram"]
    address: str
    lang: Literal["ar", "en"]
    sites: list[str]
    lat: float | None
    lon: float | None
    radius_m: float | None


class SirenTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    sites: list[str] = Field(min_length=1, max_length=500, description='Site ids, or ["all"]')
    at: str = Field(
        max_length=64,
        description="When the sirens sound: +30m, +2h, ISO 8601 (local time without offset), POSIX seconds",
    )
    duration_s: int = Field(default=15, ge=1, le=300)


class SirenTestOut(BaseModel):
    key: str = Field(description="Key prefix of its deliveries; used to cancel it")
    at: float
    duration_s: int
    sites: list[str]
    created_by: str | None
    sirens: int = Field(description="Siren commands planned")
    announcements: int = Field(description="Announcements planned (channels, partners, subscribers)")
    cancelled_at: float | None
    deliveries: dict[str, int] = Field(description="Its deliveries by state")


class CancelledOut(BaseModel):
    key: str
    cancelled: int = Field(description="Deliveries cancelled")


class CapRaised(BaseModel):
    site: str
    level: Level


class CapIntakeOut(BaseModel):
    identifier: str
    sender: str
    duplicate: bool = Field(description="Read in before (same sender and identifier): nothing done again")
    ignored: str | None = Field(description="Why nothing was raised, when nothing was")
    raised: list[CapRaised] = Field(default_factory=list, description="The alerts raised, per site")
    alerts: list[AlertOut] = Field(description="The alerts this sent at once")


class MapFeature(BaseModel):
    """One GeoJSON feature of the base map (its other members pass through as they are)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Feature"]
    geometry: dict[str, Any] | None = Field(description="A GeoJSON geometry")
    properties: dict[str, Any] | None = None


class BasemapOut(BaseModel):
    """The region's base map: a GeoJSON feature collection (other members pass through)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"]
    features: list[MapFeature]
