"""CAP 1.2 messages as records (:class:`CapMessage` and its parts), and CAP's time format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from nadhir.alerting.text import (
    resolve_tz,
)
from nadhir.domain import (
    AlertAction,
)
from nadhir.domain.timefmt import clamp_time, utc_datetime

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
NS = f"{{{CAP_NS}}}"
EPISODE_STALE_S = 1200.0  # an episode without all-clear ends 20 minutes after its last message

MSG_TYPES: dict[AlertAction, str] = {"alert": "Alert", "update": "Update", "all_clear": "Cancel"}
# (urgency, severity, certainty, responseType)
LEVEL_CODES: dict[str, tuple[str, str, str, str]] = {
    "imminent": ("Immediate", "Extreme", "Likely", "Shelter"),
    "early": ("Expected", "Severe", "Possible", "Prepare"),
    "all_clear": ("Past", "Minor", "Unlikely", "AllClear"),
}

EVENT = {
    "en": ("Air attack warning", "Air attack all clear"),
    "ar": ("إنذار غارة جوية", "زوال خطر الغارة الجوية"),
}
INSTRUCTION: dict[str, dict[str, str]] = {
    "en": {
        "imminent": "Go to a shelter or basement now. Stay away from windows until the all clear.",
        "early": "Be ready to go to shelter. Follow sirens and local warnings.",
        "all_clear": "You may leave shelter. Keep away from unexploded ordnance and damaged buildings.",
    },
    "ar": {
        "imminent": "توجهوا فورا إلى ملجأ أو قبو وابتعدوا عن النوافذ حتى زوال الخطر.",
        "early": "كونوا مستعدين للتوجه إلى الملجأ، وتابعوا صفارات الإنذار والتحذيرات المحلية.",
        "all_clear": "يمكنكم مغادرة الملجأ. ابتعدوا عن الذخائر غير المنفجرة والمباني المتضررة.",
    },
}
HEADLINE: dict[str, dict[str, str]] = {
    "en": {
        "imminent": "Take shelter now: {threat} approaching {site}",
        "early": "Warning: {threat} may approach {site}",
        "all_clear": "All clear for {site}",
    },
    "ar": {
        "imminent": "احتموا الآن: {threat} يقترب من {site}",
        "early": "تحذير: {threat} قد يتجه نحو {site}",
        "all_clear": "زال الخطر عن {site}",
    },
}

# Characters CAP 1.2 forbids in identifiers and senders (spaces, commas and the XML-restricted ones).
BAD_ID_CHARS = re.compile(r"[\s,<&]")
ID_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
# A CAP message nests 5 deep (alert/info/area/geocode/value); XML deeper than this is not CAP.
MAX_XML_DEPTH = 16


class CapError(ValueError):
    """A CAP message could not be read, or an alert could not be put into CAP."""


class CapValidationError(CapError):
    """A CAP message breaks the CAP 1.2 schema or specification."""


# ---- the message as data ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapReference:
    """One earlier message referred to: ``sender,identifier,sent``."""

    sender: str
    identifier: str
    sent: str

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{self.sent}"


@dataclass(frozen=True, slots=True)
class CapArea:
    """An ``area``: a description and any polygons (``(lat, lon)`` rings), circles and geocodes."""

    area_desc: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[tuple[float, float, float], ...] = ()  # (lat, lon, radius_km)
    geocodes: tuple[tuple[str, str], ...] = ()
    altitude: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True, slots=True)
class CapResource:
    """A ``resource`` attached to an ``info`` block."""

    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class CapInfo:
    """An ``info`` block: one language's account of the event."""

    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: tuple[str, ...] = ()
    audience: str | None = None
    event_codes: tuple[tuple[str, str], ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    resources: tuple[CapResource, ...] = ()
    areas: tuple[CapArea, ...] = ()

    def parameter(self, name: str) -> str | None:
        """The value of the first parameter called ``name``, if any."""
        for key, value in self.parameters:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class CapMessage:
    """A CAP 1.2 ``alert`` element."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[CapReference, ...] = ()
    incidents: str | None = None
    infos: tuple[CapInfo, ...] = ()

    def info(self, language: str) -> CapInfo | None:
        """The first ``info`` whose language is ``language`` or starts with ``language-``."""
        for info in self.infos:
            if info.language == language or info.language.startswith(language + "-"):
                return info
        return None

    def reference(self) -> CapReference:
        """How a later message refers to this one."""
        return CapReference(self.sender, self.identifier, format_cap_time(self.sent))


# ---- times ------------------------------------------------------------------


def format_cap_time(dt: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ss±hh:mm`` (UTC as ``-00:00``), as CAP 1.2 requires."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise CapError("CAP times need a time zone")
    offset = dt.utcoffset()
    assert offset is not None
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes > 0 else "-"  # zero offset is "-00:00"
    hh, mm = divmod(abs(minutes), 60)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hh:02d}:{mm:02d}"


def parse_cap_time(text: str) -> datetime:
    """A CAP time into an aware datetime (keeping its offset)."""
    value = text.strip()
    if not CAP_TIME.match(value):
        raise CapError(f"bad CAP time {text!r}: expected YYYY-MM-DDThh:mm:ss with a ±hh:mm offset")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise CapError(f"bad CAP time {text!r}: {exc}") from exc


def local_time(t: float, tz_name: str) -> datetime:
    # Clamped a day inside datetime's range, so the offset of any time zone fits.
    return utc_datetime(round(clamp_time(t))).astimezone(resolve_tz(tz_name))
