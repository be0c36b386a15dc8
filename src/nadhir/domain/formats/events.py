"""The event wire format: one JSON object per report, acoustic detection or impact.

:func:`event_from_dict` is the one reader of an event, for replay files and
for every live edge (HTTP intake, SMS, Telegram): it applies the shared input
rules (:mod:`nadhir.domain.validation`) and raises
:class:`~nadhir.domain.validation.InvalidInput` naming the field and the rule.
The small field readers here serve the scenario files' reader too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import orjson

from nadhir.domain import AcousticDetection, Event, Impact, Problems, Report
from nadhir.domain import validation as rules
from nadhir.domain.timefmt import parse_time
from nadhir.domain.validation import InvalidInput

MAX_ID_CHARS = 200  # ids and names of sites, places, sources and sirens

T = TypeVar("T")


def type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def required_text(obj: dict[str, Any], key: str, max_chars: int = MAX_ID_CHARS) -> str:
    value = obj.get(key)
    if value is None or value == "":
        raise InvalidInput(key, "is required")
    return rules.text(value, key, max_chars)


def text_or(obj: dict[str, Any], key: str, default: str, max_chars: int = MAX_ID_CHARS) -> str:
    """The text at ``key``, or ``default`` when it is absent or empty."""
    value = obj.get(key)
    return default if value is None or value == "" else rules.text(value, key, max_chars)


def lat_lon(obj: dict[str, Any], required: bool) -> tuple[float | None, float | None]:
    lat, lon = obj.get("lat"), obj.get("lon")
    if (lat is None) != (lon is None):
        raise InvalidInput("lat/lon", "lat and lon must come together")
    if lat is None:
        if required:
            raise InvalidInput("lat/lon", "missing lat/lon (both are required)")
        return None, None
    return rules.latitude(lat), rules.longitude(lon)


def optional(obj: dict[str, Any], key: str, check: Callable[[Any, str], T]) -> T | None:
    value = obj.get(key)
    return None if value is None else check(value, key)


def optional_text(obj: dict[str, Any], key: str) -> str | None:
    return rules.optional_text(obj.get(key), key)


KINDS = ("report", "acoustic", "impact")


def event_from_dict(obj: dict[str, Any]) -> Event:
    """Build one event from a decoded JSON object by the input rules.

    Raises :class:`~nadhir.domain.validation.InvalidInput` (a ``ValueError``)
    naming the field and the rule, and nothing else, whatever the object holds.
    """
    kind = obj.get("kind")
    if kind not in KINDS:
        shown = kind[:40] if isinstance(kind, str) else type_name(kind)
        raise InvalidInput("kind", f"unknown kind {shown!r} (one of {', '.join(KINDS)})")
    try:
        t = parse_time(obj.get("t"))
    except ValueError as exc:
        raise InvalidInput("t", str(exc)) from exc
    if kind == "report":
        lat, lon = lat_lon(obj, required=False)
        return Report(
            t=t,
            reporter=text_or(obj, "reporter", "unknown"),
            channel=optional_text(obj, "channel"),
            text=optional_text(obj, "text"),
            aircraft=optional_text(obj, "aircraft"),
            count=optional(obj, "count", rules.count),
            lat=lat,
            lon=lon,
            place=optional_text(obj, "place"),
            heading_deg=optional(obj, "heading_deg", rules.angle),
            heading=optional_text(obj, "heading"),
            origin=optional_text(obj, "origin"),
        )
    if kind == "acoustic":
        lat, lon = lat_lon(obj, required=True)
        assert lat is not None and lon is not None
        confidence = optional(obj, "confidence", _unit)
        return AcousticDetection(
            t=t,
            sensor=required_text(obj, "sensor"),
            lat=lat,
            lon=lon,
            sound_class=text_or(obj, "class", "unknown"),
            confidence=1.0 if confidence is None else confidence,
            bearing_deg=optional(obj, "bearing_deg", rules.angle),
            bearing_sigma_deg=optional(obj, "bearing_sigma_deg", rules.sigma_deg),
        )
    lat, lon = lat_lon(obj, required=False)
    place = optional_text(obj, "place")
    if lat is None and place is None:
        raise InvalidInput("lat/lon/place", "impact without lat/lon or place")
    return Impact(t=t, reporter=text_or(obj, "reporter", "unknown"), lat=lat, lon=lon, place=place)


def _unit(value: Any, field: str) -> float:
    return rules.finite(value, field, 0.0, 1.0)


def parse_events(
    lines: Iterable[str], problems: Problems, label: str = "events"
) -> Iterator[tuple[int, Event]]:
    """Parse JSON lines into events; every bad line is recorded (with its number and why) and skipped.

    Each line goes through :func:`fast_acoustic` first and, unless that returns an event, through
    the reference reader (:func:`~nadhir.domain.validation.load_json`, :func:`event_from_dict`),
    which decides every line the fast path does not, errors included.
    """
    times: dict[str, float] = {}
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fast = fast_acoustic(line, times)
        if fast is not None:
            yield line_no, fast
            continue
        try:
            obj = rules.load_json(line)
            if not isinstance(obj, dict):
                problems.add(label, line_no, "not a JSON object")
                continue
            event = event_from_dict(obj)
        except InvalidInput as exc:
            problems.add(label, line_no, exc.rule if exc.field == "JSON" else str(exc))
            continue
        yield line_no, event


# Acoustic fields the fast path reads; an object with any other key goes to the reference reader.
_ACOUSTIC_KEYS = frozenset(
    {"t", "kind", "sensor", "lat", "lon", "class", "confidence", "bearing_deg", "bearing_sigma_deg"}
)
_TIMES_KEPT = 64  # distinct time strings remembered (a country's sensors share each second)


def fast_acoustic(line: str, times: dict[str, float]) -> AcousticDetection | None:
    """The acoustic detection on a well-formed line, exactly as the reference reader builds it, or None.

    Why it exists: acoustic detections are ~96 % of a country's input and the reference reader
    (the standard library's decoder with its finite-number hook, then a checker per field)
    costs ~4x more per line than orjson plus the checks below, written out for this one kind.
    ``times`` remembers parsed time strings: the sensors heard in one second share its text.

    It returns None, leaving the line to the reference reader, for anything but the plain case:
    not decodable by orjson (NaN, 1e400, lone surrogates), nested deeper than the rules allow,
    not an acoustic object, an unknown key, a value of an unexpected type (an integer orjson may
    have widened to a float among them) or out of range. Every value it accepts is one the
    reference reader accepts, converted the same way (``float``, ``% 360.0``), so the event is
    equal field for field; tests/formats/test_fast_events.py checks it on generated lines.
    """
    if line.count("{") + line.count("[") > rules.MAX_JSON_DEPTH:
        return None
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or obj.get("kind") != "acoustic" or not _ACOUSTIC_KEYS.issuperset(obj):
        return None
    stamp = obj.get("t")
    if type(stamp) is not str:
        return None
    t = times.get(stamp)
    if t is None:
        try:
            t = parse_time(stamp)
        except ValueError:
            return None
        if len(times) >= _TIMES_KEPT:
            times.clear()
        times[stamp] = t
    sensor = obj.get("sensor")
    sound = obj.get("class", "unknown")
    if sound is None or sound == "":
        sound = "unknown"
    if (
        type(sensor) is not str
        or not 0 < len(sensor) <= MAX_ID_CHARS
        or type(sound) is not str
        or len(sound) > MAX_ID_CHARS
    ):
        return None
    lat = _number(obj.get("lat"), -90.0, 90.0)
    lon = _number(obj.get("lon"), -180.0, 180.0)
    if lat is None or lon is None:
        return None
    confidence = obj.get("confidence")
    if confidence is None:
        confidence = 1.0
    else:
        confidence = _number(confidence, 0.0, 1.0)
        if confidence is None:
            return None
    bearing = obj.get("bearing_deg")
    if bearing is not None:
        bearing = _number(bearing, -360.0, 720.0)
        if bearing is None:
            return None
        bearing %= 360.0
    sigma = obj.get("bearing_sigma_deg")
    if sigma is not None:
        sigma = _number(sigma, None, rules.MAX_SIGMA_DEG)
        if sigma is None or sigma <= 0:
            return None
    return AcousticDetection(t, sensor, lat, lon, sound, confidence, bearing, sigma)


def _number(value: Any, lo: float | None, hi: float) -> float | None:
    """A plain float or small int within range as :func:`~nadhir.domain.validation.finite` gives it;
    None for anything else (the reference reader then says why, or accepts what this cannot judge)."""
    kind = type(value)
    if kind is float:
        out: float = value
    elif kind is int and -(2**53) <= value <= 2**53:  # orjson decodes larger integers as floats
        out = float(value)
    else:
        return None
    if out != out or (lo is not None and out < lo) or out > hi:  # NaN never reaches here: safe
        return None
    return out
