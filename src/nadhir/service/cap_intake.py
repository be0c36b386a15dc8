"""CAP 1.2 from other systems, read into the live service as alerts for our sites.

Another warning system (a national one, a partner's, another Nadhir) posts a
CAP message to ``POST /api/v1/intake/cap``. It is validated against the OASIS
schema, then each ``info`` that is in force becomes an operator-style alert
(:meth:`nadhir.service.operator.OperatorPolicy.raise_manual`) for every one
of our sites its ``area`` covers, so it flows on through the alert policy to
sirens and phones like an operator's alert, and ends the same way:

- which sites: a ``nadhir:site`` geocode naming the site, a polygon that
  contains the site's centre, or a circle that reaches the site's area;
- which level: urgency ``Immediate`` -> ``imminent``; ``Expected`` or
  ``Future`` -> ``early``; anything else, or severity ``Minor``, is not acted on;
- the aircraft from a ``nadhir:threat`` parameter, else ``unknown``; the
  arrival from ``onset`` when it is ahead.

Messages that are not ``Actual`` (tests, exercises), and ``Cancel`` / ``Ack``
/ ``Error`` messages, are read and reported but change nothing: only our
operators end an alert early (a foreign all-clear is no proof that the sky
over our sites is clear). An ``info`` already expired is skipped.

Every time in a message (``sent``, and each info's ``effective``, ``onset`` and
``expires``) must lie within :data:`CAP_PAST_S` before and :data:`CAP_AHEAD_S`
after now, or the whole message is refused (:class:`InvalidInput`, naming the
field and the window): a year-9999 ``onset`` would otherwise become an
imminent alert whose arrival no store, CAP file or delivery can hold.
:class:`CapLedger` keeps a resend from being acted on twice, without ever
calling a failed first attempt a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nadhir.alerting.cap import CapArea, CapInfo, CapMessage
from nadhir.domain import AIRCRAFT_TYPES, AircraftType, AlertLevel, Site
from nadhir.domain.validation import InvalidInput, within
from nadhir.geo.distance import haversine_m

_LEVELS: dict[str, AlertLevel] = {"Immediate": "imminent", "Expected": "early", "Future": "early"}
_RANK: dict[AlertLevel, int] = {"early": 1, "imminent": 2}

# The window of now that every time in a foreign message must fall in. An air-raid warning is about
# the next minutes or hours; a week either way still takes a late relay, a long-lived warning and
# any time zone or daylight-saving slip, and refuses only what is plainly wrong: year 1, year 9999,
# milliseconds read as seconds. It also keeps every time far from what datetimes can hold.
CAP_PAST_S = 7 * 86_400.0
CAP_AHEAD_S = 7 * 86_400.0


@dataclass(frozen=True, slots=True)
class CapAction:
    """One alert to raise for one of our sites."""

    site: str
    level: AlertLevel
    aircraft: AircraftType
    eta: float | None


@dataclass(frozen=True, slots=True)
class CapPlan:
    """What a CAP message means here: the alerts to raise, or why none."""

    identifier: str
    sender: str
    actions: tuple[CapAction, ...]
    ignored: str | None = None


def _inside(lat: float, lon: float, ring: Sequence[tuple[float, float]]) -> bool:
    """Ray casting on (lat, lon) pairs; fine for areas of a few hundred kilometres."""
    inside = False
    n = len(ring)
    for i in range(n):
        (a_lat, a_lon), (b_lat, b_lon) = ring[i], ring[(i + 1) % n]
        if (a_lat > lat) != (b_lat > lat):
            cross = a_lon + (lat - a_lat) * (b_lon - a_lon) / (b_lat - a_lat)
            if lon < cross:
                inside = not inside
    return inside


def sites_in_area(area: CapArea, sites: Sequence[Site]) -> list[Site]:
    """Our sites that a CAP area covers (by geocode, polygon or circle)."""
    named = {value for name, value in area.geocodes if name == "nadhir:site"}
    out = []
    for site in sites:
        if (
            site.id in named
            or any(_inside(site.lat, site.lon, ring) for ring in area.polygons)
            or any(
                haversine_m(lat, lon, site.lat, site.lon) <= radius_km * 1000.0 + site.radius_m
                for lat, lon, radius_km in area.circles
            )
        ):
            out.append(site)
    return out


def _aircraft(info: CapInfo) -> AircraftType:
    value = info.parameter("nadhir:threat")
    return value if value in AIRCRAFT_TYPES else "unknown"


def _timestamp(value: datetime, field: str) -> float:
    try:
        return value.timestamp()
    except (OverflowError, ValueError, OSError) as exc:
        raise InvalidInput(field, "not a time that can be used") from exc


def check_times(message: CapMessage, now: float) -> None:
    """Raise :class:`InvalidInput` unless every time in ``message`` is within the window of ``now``."""
    times: list[tuple[str, datetime | None]] = [("sent", message.sent)]
    for i, info in enumerate(message.infos, 1):
        times += [(f"info {i} effective", info.effective), (f"info {i} onset", info.onset),
                  (f"info {i} expires", info.expires)]  # fmt: skip
    for field, value in times:
        if value is not None:
            within(_timestamp(value, field), now, field, CAP_PAST_S, CAP_AHEAD_S)


def plan_from_cap(message: CapMessage, sites: Sequence[Site], now: float) -> CapPlan:
    """The alerts a CAP message raises at our sites at ``now`` (POSIX seconds).

    Raises :class:`InvalidInput` for a time outside the window (:func:`check_times`).
    """

    def ignore(reason: str) -> CapPlan:
        return CapPlan(message.identifier, message.sender, (), reason)

    check_times(message, now)
    if message.status != "Actual":
        return ignore(f"status {message.status}: only Actual messages raise alerts")
    if message.msg_type not in ("Alert", "Update"):
        return ignore(f"msgType {message.msg_type}: only operators end or acknowledge alerts here")
    best: dict[str, CapAction] = {}
    reasons: list[str] = []
    for info in message.infos:
        if info.expires is not None and info.expires.timestamp() < now:
            reasons.append(f"{info.language}: expired")
            continue
        level = _LEVELS.get(info.urgency)
        if level is None or info.severity == "Minor":
            reasons.append(f"{info.language}: urgency {info.urgency}, severity {info.severity}")
            continue
        onset = info.onset.timestamp() if info.onset is not None else None
        eta = onset if onset is not None and onset > now else None
        covered = [s for area in info.areas for s in sites_in_area(area, sites)]
        if not covered:
            reasons.append(f"{info.language}: its area covers none of our sites")
        for site in covered:
            action = CapAction(site.id, level, _aircraft(info), eta)
            held = best.get(site.id)
            if held is None or _RANK[level] > _RANK[held.level]:
                best[site.id] = action
    if not best:
        return ignore("; ".join(dict.fromkeys(reasons)) or "no info block")
    return CapPlan(message.identifier, message.sender, tuple(best.values()))


class CapLedger:
    """The foreign messages read in, by (sender, identifier): a resend is acted on once.

    A message is recorded only when its alerts were raised: a first attempt that
    failed, or never ran, leaves no record, so its resend is read in afresh rather
    than answered "duplicate". While an attempt is under way the message is
    pending; a resend then is asked to come back (it is neither done twice nor
    called done). Not thread-safe: the service uses it from its event loop only.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._done: dict[tuple[str, str], None] = {}  # in the order they were read in
        self._pending: set[tuple[str, str]] = set()
        self._max = max_entries

    def done(self, key: tuple[str, str]) -> bool:
        """Whether the message was read in and acted on."""
        return key in self._done

    def pending(self, key: tuple[str, str]) -> bool:
        """Whether an attempt to act on the message is under way."""
        return key in self._pending

    def begin(self, key: tuple[str, str]) -> None:
        """An attempt starts."""
        self._pending.add(key)

    def end(self, key: tuple[str, str], ok: bool) -> None:
        """The attempt ended; recorded as read in only if ``ok``."""
        self._pending.discard(key)
        if not ok:
            return
        if len(self._done) >= self._max:  # forget the oldest half; a resend that old is harmless
            for old in list(self._done)[: self._max // 2]:
                del self._done[old]
        self._done[key] = None
