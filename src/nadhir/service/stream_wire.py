"""The bytes of the cluster's input stream: events as intake took them, clock and readiness records.

An event travels as the JSON of its record's fields and its kind, rebuilt
field for field (floats round-trip exactly in JSON), so that the engine steps
on exactly the event intake accepted, as replay does on the one it read. A
clock record (``{"t": ...}`` with the ``clock`` kind header) moves a region's
clock on when its stream is quiet (see :mod:`nadhir.service.stream_engine`). A readiness record
(``readiness`` kind) carries the health facilities' own terms for their warning
(:mod:`nadhir.service.stream_readiness`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import typing
from collections.abc import Mapping
from typing import Any

from nadhir.domain import AcousticDetection, Event, Impact, Report
from nadhir.domain.readiness import SiteReadiness

_CLASSES: dict[str, type[Report] | type[AcousticDetection] | type[Impact]] = {
    "report": Report,
    "acoustic": AcousticDetection,
    "impact": Impact,
}
_KINDS = {cls: kind for kind, cls in _CLASSES.items()}
# Each record's fields and the types a value of each may have (``float | None`` -> (float, None)).
_FIELD_TYPES = {
    cls: {name: typing.get_args(t) or (t,) for name, t in typing.get_type_hints(cls).items()}
    for cls in _CLASSES.values()
}


class WireError(ValueError):
    """Bytes on the stream that are not an event or a clock record of this format."""


def event_bytes(event: Event) -> bytes:
    """The event as it travels on the stream."""
    fields = dataclasses.asdict(event)
    fields["kind"] = _KINDS[type(event)]
    return json.dumps(fields, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()


def event_from_bytes(data: bytes) -> Event:
    """The event :func:`event_bytes` wrote; WireError if the bytes are not one.

    Each field is checked against its record's type (a finite number, a text, or none where none
    may be), as intake checked it: the records themselves check nothing, and a time that is a text
    would raise deep in the engine's step instead of being skipped here as a bad message.
    """
    try:
        fields: dict[str, Any] = json.loads(data)
        cls = _CLASSES[fields.pop("kind")]
        hints = _FIELD_TYPES[cls]
        for name, value in fields.items():
            if not _fits(value, hints[name]):
                raise TypeError(f"{name} = {value!r} is not {hints[name]}")
        return cls(**fields)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WireError(f"not an event: {data[:80]!r} ({exc})") from exc


def _fits(value: Any, kinds: tuple[type, ...]) -> bool:
    if value is None:
        return type(None) in kinds
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float) and (float in kinds or (int in kinds and isinstance(value, int))):
        return math.isfinite(value)
    return isinstance(value, str) and str in kinds


def message_id(data: bytes) -> str:
    """The event's id for JetStream's duplicate window: the same event posted twice is stored once."""
    return hashlib.sha256(data).hexdigest()[:32]


def clock_bytes(t: float) -> bytes:
    """A clock record: the region's time has come to ``t``."""
    return json.dumps({"t": t}).encode()


def clock_from_bytes(data: bytes) -> float:
    """The time of a clock record; WireError if the bytes are not one."""
    try:
        t = float(json.loads(data)["t"])
    except (ValueError, KeyError, TypeError) as exc:
        raise WireError(f"not a clock record: {data[:80]!r}") from exc
    if t != t or t in (float("inf"), float("-inf")):
        raise WireError(f"clock record without a finite time: {data[:80]!r}")
    return t


def readiness_bytes(ready: Mapping[str, SiteReadiness]) -> bytes:
    """A readiness record: each site's terms for its warning (sirens, extra lead, why)."""
    sites = {k: [r.sirens, r.extra_lead_s, r.reason] for k, r in sorted(ready.items())}
    return json.dumps({"sites": sites}, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()


def readiness_from_bytes(data: bytes) -> dict[str, SiteReadiness]:
    """The sites' terms of a readiness record; WireError if the bytes are not one."""
    try:
        sites = json.loads(data)["sites"]
        out = {}
        for site_id, (sirens, extra, reason) in sites.items():
            if not isinstance(site_id, str) or not isinstance(sirens, bool) or not isinstance(reason, str):
                raise TypeError(f"site {site_id!r}: {sirens!r}, {reason!r}")
            out[site_id] = SiteReadiness(sirens, float(extra), reason)
        return out
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WireError(f"not a readiness record: {data[:80]!r} ({exc})") from exc
