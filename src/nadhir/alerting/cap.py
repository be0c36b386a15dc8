"""CAP 1.2 (OASIS Common Alerting Protocol) messages: writing, validating and reading.

Every line of ``alerts.jsonl`` becomes one CAP message for its site::

    composer = CapComposer(sites)
    for alert in alerts:                 # in issue order
        message = composer.compose(alert)
        xml = to_xml(message)            # UTF-8 bytes
        validate(xml)                    # raises CapValidationError

How an alert maps to CAP:

- ``action`` gives ``msgType``: ``alert`` -> ``Alert``, ``update`` -> ``Update``,
  ``all_clear`` -> ``Cancel``. An update or all-clear ``references`` every
  earlier message of the site's episode (an episode ends with its all-clear, or
  20 minutes after its last message, as in the scenario format).
- ``level`` gives urgency, severity and certainty: ``imminent`` ->
  Immediate / Extreme / Likely (response Shelter); ``early`` -> Expected /
  Severe / Possible (response Prepare); an all-clear -> Past / Minor /
  Unlikely (response AllClear).
- Two ``info`` blocks, Arabic (``ar``) then English (``en``), category
  Security, with headline, description (threat type, arrival time and
  direction when known), instruction and ``nadhir:*`` parameters that let a
  Nadhir alert be recovered from its CAP form (:func:`alert_from_cap`).
- ``area``: the site's polygon when it has one, else a circle
  ``"lat,lon radius_km"``; a geocode ``nadhir:site`` carries the site id.
- Times carry the local offset (``2025-05-02T06:05:44+03:00``); UTC is
  written ``-00:00`` as CAP requires.

:func:`validate` checks a message against the OASIS schema shipped in
``nadhir/data/cap/CAP-v1.2.xsd`` and the rules of the CAP 1.2 text that the
schema cannot express (identifier characters, ``references`` triples, closed
polygons, coordinate ranges, circle syntax). :func:`read_cap` reads CAP
1.2 from other systems into a :class:`CapMessage`.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, cast
from xml.parsers import expat

from nadhir.alerting.text import (
    DEFAULT_TZ,
    THREAT_NAMES,
    Language,
    TextConfig,
    long_text,
    resolve_tz,
    site_name,
)
from nadhir.domain import (
    AIRCRAFT_TYPES,
    Alert,
    AlertAction,
    AlertLevel,
    Problems,
    Site,
)
from nadhir.domain.timefmt import clamp_time, utc_datetime

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_NS = f"{{{CAP_NS}}}"
EPISODE_STALE_S = 1200.0  # an episode without all-clear ends 20 minutes after its last message

MSG_TYPES: dict[AlertAction, str] = {"alert": "Alert", "update": "Update", "all_clear": "Cancel"}
# (urgency, severity, certainty, responseType)
LEVEL_CODES: dict[str, tuple[str, str, str, str]] = {
    "imminent": ("Immediate", "Extreme", "Likely", "Shelter"),
    "early": ("Expected", "Severe", "Possible", "Prepare"),
    "all_clear": ("Past", "Minor", "Unlikely", "AllClear"),
}

_EVENT = {
    "en": ("Air attack warning", "Air attack all clear"),
    "ar": ("إنذار غارة جوية", "زوال خطر الغارة الجوية"),
}
_INSTRUCTION: dict[str, dict[str, str]] = {
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
_HEADLINE: dict[str, dict[str, str]] = {
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
_BAD_ID_CHARS = re.compile(r"[\s,<&]")
_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
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
    if not _CAP_TIME.match(value):
        raise CapError(f"bad CAP time {text!r}: expected YYYY-MM-DDThh:mm:ss with a ±hh:mm offset")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise CapError(f"bad CAP time {text!r}: {exc}") from exc


def _local(t: float, tz_name: str) -> datetime:
    # Clamped a day inside datetime's range, so the offset of any time zone fits.
    return utc_datetime(round(clamp_time(t))).astimezone(resolve_tz(tz_name))


# ---- composing ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapConfig:
    """Who sends the messages and how they are stamped."""

    sender: str = "nadhir@nadhir.invalid"
    sender_name_en: str = "Nadhir early warning"
    sender_name_ar: str = "نذير - الإنذار المبكر"
    tz: str = DEFAULT_TZ
    status: str = "Actual"  # "Exercise" or "Test" for drills and scheduled test alarms
    identifier_prefix: str = "nadhir"
    valid_s: float = EPISODE_STALE_S  # how long an alert or update stays in force
    all_clear_valid_s: float = 1800.0
    web: str | None = None
    contact: str | None = None

    def __post_init__(self) -> None:
        if not self.sender or _BAD_ID_CHARS.search(self.sender):
            raise ValueError(f"CAP sender {self.sender!r} must be non-empty with no spaces, commas, < or &")
        if self.status not in ("Actual", "Exercise", "System", "Test", "Draft"):
            raise ValueError(f"unknown CAP status {self.status!r}")
        resolve_tz(self.tz)


def _coord(value: float) -> float:
    return round(value, 5)


def site_area(site: Site, lang: Language) -> CapArea:
    """The CAP area of a site: its polygon (closed) if it has one, else a circle of its radius."""
    geocodes = (("nadhir:site", site.id),)
    desc = site_name(site, lang)
    if site.polygon and len(site.polygon) >= 3:
        ring = [(_coord(lat), _coord(lon)) for lon, lat in site.polygon]
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        if len(ring) >= 4:
            return CapArea(desc, polygons=(tuple(ring),), geocodes=geocodes)
    radius_km = round(max(site.radius_m, 0.0) / 1000.0, 3)
    return CapArea(desc, circles=((_coord(site.lat), _coord(site.lon), radius_km),), geocodes=geocodes)


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


class CapComposer:
    """Turns alerts, fed in issue order, into CAP messages, keeping each site's episode for ``references``."""

    def __init__(self, sites: Iterable[Site], config: CapConfig | None = None) -> None:
        self.sites = {s.id: s for s in sites}
        self.config = config or CapConfig()
        self._text = TextConfig(tz=self.config.tz)
        self._episodes: dict[str, tuple[float, list[CapReference]]] = {}
        self._count = 0

    def episode_references(self, site: str, t: float) -> tuple[CapReference, ...]:
        """The messages of the site's open episode at ``t`` (empty when none is open)."""
        open_episode = self._episodes.get(site)
        if open_episode is None or t - open_episode[0] > EPISODE_STALE_S:
            return ()
        return tuple(open_episode[1])

    def compose(self, alert: Alert, *, seq: int | None = None) -> CapMessage:
        """The CAP message of one alert; ``seq`` (default: a running count) goes into the identifier.

        Where the threat comes from and heads is the alert's own :attr:`~nadhir.domain.Alert.approach`.
        """
        site = self.sites.get(alert.site)
        if site is None:
            raise CapError(f"alert for unknown site {alert.site!r}")
        if alert.action not in MSG_TYPES:
            raise CapError(f"unknown alert action {alert.action!r}")
        if alert.level not in ("early", "imminent"):
            raise CapError(f"unknown alert level {alert.level!r}")
        if alert.threat not in AIRCRAFT_TYPES:
            raise CapError(f"unknown threat type {alert.threat!r}")
        if not math.isfinite(alert.t) or (alert.eta is not None and not math.isfinite(alert.eta)):
            raise CapError("alert times must be finite")
        self._count += 1
        n = self._count if seq is None else seq
        cfg = self.config
        sent = _local(alert.t, cfg.tz)
        stamp = utc_datetime(round(alert.t)).strftime("%Y%m%dT%H%M%SZ")
        identifier = f"{cfg.identifier_prefix}-{_ID_SAFE.sub('_', site.id)}-{stamp}-{n}"
        references = self.episode_references(site.id, alert.t) if alert.action != "alert" else ()
        infos = tuple(self._info(alert, site, lang, sent) for lang in ("ar", "en"))
        message = CapMessage(
            identifier=identifier,
            sender=cfg.sender,
            sent=sent,
            status=cfg.status,
            msg_type=MSG_TYPES[alert.action],
            scope="Public",
            references=references,
            infos=infos,
        )
        if alert.action == "all_clear":
            self._episodes.pop(site.id, None)
        elif alert.action == "alert" or not references:
            self._episodes[site.id] = (alert.t, [message.reference()])
        else:
            self._episodes[site.id] = (alert.t, [*references, message.reference()])
        return message

    def _info(self, alert: Alert, site: Site, lang: Language, sent: datetime) -> CapInfo:
        cfg = self.config
        key = "all_clear" if alert.action == "all_clear" else alert.level
        urgency, severity, certainty, response = LEVEL_CODES[key]
        threat = THREAT_NAMES[lang][alert.threat]
        name = site_name(site, lang)
        onset = None
        if alert.action != "all_clear" and alert.eta is not None:
            onset = _local(alert.eta, cfg.tz)
        if alert.action == "all_clear":
            expires = _local(alert.t + cfg.all_clear_valid_s, cfg.tz)
        else:
            end = alert.t + cfg.valid_s
            if alert.eta is not None:
                end = max(end, alert.eta + 600.0)
            expires = _local(end, cfg.tz)
        params: list[tuple[str, str]] = [
            ("nadhir:site", site.id),
            ("nadhir:action", alert.action),
            ("nadhir:level", alert.level),
            ("nadhir:threat", alert.threat),
            ("nadhir:confidence", f"{round(alert.confidence, 3):g}"),
        ]
        if alert.eta is not None:
            params.append(("nadhir:eta", format_cap_time(_local(alert.eta, cfg.tz))))
        if alert.track is not None:
            params.append(("nadhir:track", alert.track))
        approach = alert.approach
        if approach is not None and approach.heading_deg is not None:
            params.append(("nadhir:heading_deg", str(_round_half_up(approach.heading_deg) % 360)))
        if approach is not None and approach.from_deg is not None:
            params.append(("nadhir:from_deg", str(_round_half_up(approach.from_deg) % 360)))
        return CapInfo(
            language=lang,
            categories=("Security",),
            event=_EVENT[lang][1 if alert.action == "all_clear" else 0],
            response_types=(response,),
            urgency=urgency,
            severity=severity,
            certainty=certainty,
            effective=sent,
            onset=onset,
            expires=expires,
            sender_name=cfg.sender_name_ar if lang == "ar" else cfg.sender_name_en,
            headline=_HEADLINE[lang][key].format(threat=threat, site=name),
            description=long_text(alert, site, lang, self._text),
            instruction=_INSTRUCTION[lang][key],
            web=cfg.web,
            contact=cfg.contact,
            parameters=tuple(params),
            areas=(site_area(site, lang),),
        )


def alert_from_cap(message: CapMessage) -> Alert | None:
    """The Nadhir alert a message was made from (None when it carries no ``nadhir:*`` parameters)."""
    for info in message.infos:
        site = info.parameter("nadhir:site")
        action = info.parameter("nadhir:action")
        level = info.parameter("nadhir:level")
        threat = info.parameter("nadhir:threat")
        if site is None or action is None or level is None or threat is None:
            continue
        if action not in MSG_TYPES or level not in ("early", "imminent") or threat not in AIRCRAFT_TYPES:
            raise CapError(
                f"message {message.identifier}: bad nadhir parameters {action!r}/{level!r}/{threat!r}"
            )
        eta = info.parameter("nadhir:eta")
        conf = info.parameter("nadhir:confidence")
        try:
            confidence = float(conf) if conf is not None else 0.0
        except ValueError as exc:
            raise CapError(f"message {message.identifier}: bad nadhir:confidence {conf!r}") from exc
        return Alert(
            t=message.sent.timestamp(),
            action=action,
            site=site,
            level=cast(AlertLevel, level),
            threat=threat,
            eta=None if eta is None else parse_cap_time(eta).timestamp(),
            confidence=confidence,
            track=info.parameter("nadhir:track"),
        )
    return None


# ---- XML writing --------------------------------------------------------------


def _num(value: float) -> str:
    if not math.isfinite(value):
        raise CapError(f"coordinate {value!r} is not a finite number")
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


# Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _sub(parent: ET.Element, tag: str, text: str | None) -> None:
    if text is not None:
        ET.SubElement(parent, _NS + tag).text = _NOT_XML.sub("", text)


def _pairs(parent: ET.Element, tag: str, pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        el = ET.SubElement(parent, _NS + tag)
        _sub(el, "valueName", name)
        _sub(el, "value", value)


def format_polygon(ring: Sequence[tuple[float, float]]) -> str:
    """``lat,lon lat,lon ...``."""
    return " ".join(f"{_num(lat)},{_num(lon)}" for lat, lon in ring)


def format_circle(circle: tuple[float, float, float]) -> str:
    """``lat,lon radius_km``."""
    lat, lon, radius = circle
    return f"{_num(lat)},{_num(lon)} {_num(radius)}"


def to_element(message: CapMessage) -> ET.Element:
    """The message as an ElementTree element in the CAP 1.2 namespace."""
    root = ET.Element(_NS + "alert")
    _sub(root, "identifier", message.identifier)
    _sub(root, "sender", message.sender)
    _sub(root, "sent", format_cap_time(message.sent))
    _sub(root, "status", message.status)
    _sub(root, "msgType", message.msg_type)
    _sub(root, "source", message.source)
    _sub(root, "scope", message.scope)
    _sub(root, "restriction", message.restriction)
    _sub(root, "addresses", message.addresses)
    for code in message.codes:
        _sub(root, "code", code)
    _sub(root, "note", message.note)
    if message.references:
        _sub(root, "references", " ".join(str(r) for r in message.references))
    _sub(root, "incidents", message.incidents)
    for info in message.infos:
        el = ET.SubElement(root, _NS + "info")
        _sub(el, "language", info.language)
        for category in info.categories:
            _sub(el, "category", category)
        _sub(el, "event", info.event)
        for response in info.response_types:
            _sub(el, "responseType", response)
        _sub(el, "urgency", info.urgency)
        _sub(el, "severity", info.severity)
        _sub(el, "certainty", info.certainty)
        _sub(el, "audience", info.audience)
        _pairs(el, "eventCode", info.event_codes)
        for tag, when in (("effective", info.effective), ("onset", info.onset), ("expires", info.expires)):
            if when is not None:
                _sub(el, tag, format_cap_time(when))
        _sub(el, "senderName", info.sender_name)
        _sub(el, "headline", info.headline)
        _sub(el, "description", info.description)
        _sub(el, "instruction", info.instruction)
        _sub(el, "web", info.web)
        _sub(el, "contact", info.contact)
        _pairs(el, "parameter", info.parameters)
        for res in info.resources:
            r = ET.SubElement(el, _NS + "resource")
            _sub(r, "resourceDesc", res.resource_desc)
            _sub(r, "mimeType", res.mime_type)
            _sub(r, "size", None if res.size is None else str(res.size))
            _sub(r, "uri", res.uri)
            _sub(r, "derefUri", res.deref_uri)
            _sub(r, "digest", res.digest)
        for area in info.areas:
            a = ET.SubElement(el, _NS + "area")
            _sub(a, "areaDesc", area.area_desc)
            for ring in area.polygons:
                _sub(a, "polygon", format_polygon(ring))
            for circle in area.circles:
                _sub(a, "circle", format_circle(circle))
            _pairs(a, "geocode", area.geocodes)
            _sub(a, "altitude", None if area.altitude is None else _num(area.altitude))
            _sub(a, "ceiling", None if area.ceiling is None else _num(area.ceiling))
    return root


def to_xml(message: CapMessage) -> bytes:
    """The message as UTF-8 XML with a declaration, indented, CAP as the default namespace."""
    root = to_element(message)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", default_namespace=CAP_NS)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


# ---- validation -----------------------------------------------------------------


@lru_cache(maxsize=1)
def _schema() -> Any:
    import xmlschema

    source = resources.files("nadhir") / "data" / "cap" / "CAP-v1.2.xsd"
    with resources.as_file(source) as path:
        return xmlschema.XMLSchema10(str(path))


def _refuse_doctype(*_: object) -> int:
    raise CapError("CAP message must not contain a DOCTYPE or entity declarations")


def _qualified(name: str) -> str:
    # expat joins namespace and local name with the separator; ElementTree writes "{ns}local".
    return "{" + name if "}" in name else name


def _parse_xml(xml: bytes | str) -> ET.Element:
    """The element tree of a message, read by expat with every DOCTYPE refused.

    The ban is on parser events, not on bytes: a DOCTYPE or entity declaration is
    refused wherever it is (after a long comment too) and in whatever encoding
    expat decodes (UTF-16 by its byte order mark, or as the XML declaration says),
    before any entity could be expanded. Without a DOCTYPE no entity can be
    declared, so an XML bomb or an external entity cannot even be written; an
    undeclared ``&name;`` is a well-formedness error. Elements nest at most
    :data:`MAX_XML_DEPTH` deep.
    """
    if not isinstance(xml, bytes | bytearray | str):
        raise CapError(f"CAP must be given as bytes or str, not {type(xml).__name__}")
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.UnparsedEntityDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = _refuse_doctype
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise CapError(f"elements nested deeper than {MAX_XML_DEPTH} levels")
        builder.start(_qualified(tag), {_qualified(k): v for k, v in attrs.items()})

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(_qualified(tag))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        # A str is parsed as the text it is (expat is told UTF-8, whatever its declaration says).
        parser.Parse(xml if isinstance(xml, str) else bytes(xml), True)
        return builder.close()
    except CapError:
        raise
    except expat.ExpatError as exc:
        raise CapError(f"not well-formed XML: {exc}") from exc
    except (ValueError, LookupError) as exc:  # e.g. an encoding expat cannot use
        raise CapError(f"not readable XML: {exc}") from exc


def _check_id(what: str, value: str | None, problems: list[str]) -> None:
    if value is None or not value.strip():
        problems.append(f"{what} is empty")
    elif _BAD_ID_CHARS.search(value):
        problems.append(f"{what} {value!r} contains a space, comma, < or &")


def _check_point(where: str, lat_s: str, lon_s: str, problems: list[str]) -> bool:
    try:
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        problems.append(f"{where}: {lat_s},{lon_s} is not a pair of numbers")
        return False
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        problems.append(f"{where}: {lat_s},{lon_s} is out of range (lat -90..90, lon -180..180)")
        return False
    return True


def _spec_problems(root: ET.Element) -> list[str]:
    """Rules of the CAP 1.2 specification that the XML schema does not check."""
    problems: list[str] = []
    _check_id("identifier", root.findtext(_NS + "identifier"), problems)
    _check_id("sender", root.findtext(_NS + "sender"), problems)
    refs = root.findtext(_NS + "references")
    if refs is not None:
        for token in refs.split():
            parts = token.split(",")
            if len(parts) != 3 or not all(parts):
                problems.append(f"references entry {token!r} is not sender,identifier,sent")
            elif not _CAP_TIME.match(parts[2]):
                problems.append(f"references entry {token!r} has a bad sent time")
    for i, info in enumerate(root.findall(_NS + "info"), 1):
        for j, area in enumerate(info.findall(_NS + "area"), 1):
            where = f"info {i} area {j}"
            for polygon in area.findall(_NS + "polygon"):
                pairs = (polygon.text or "").split()
                points = [p.split(",") for p in pairs]
                if len(points) < 4:
                    problems.append(f"{where}: a polygon needs at least 4 points, got {len(points)}")
                    continue
                if any(len(p) != 2 for p in points):
                    problems.append(f"{where}: polygon points must be lat,lon pairs")
                    continue
                if all(_check_point(where, p[0], p[1], problems) for p in points) and (
                    tuple(map(float, points[0])) != tuple(map(float, points[-1]))
                ):
                    problems.append(f"{where}: polygon is not closed (first and last points differ)")
            for circle in area.findall(_NS + "circle"):
                parts = (circle.text or "").split()
                centre = parts[0].split(",") if parts else []
                if len(parts) != 2 or len(centre) != 2:
                    problems.append(f"{where}: circle {circle.text!r} is not 'lat,lon radius_km'")
                    continue
                _check_point(where, centre[0], centre[1], problems)
                try:
                    radius = float(parts[1])
                except ValueError:
                    problems.append(f"{where}: circle radius {parts[1]!r} is not a number")
                    continue
                if not math.isfinite(radius) or radius < 0:
                    problems.append(f"{where}: circle radius {parts[1]!r} must be zero or more")
    return problems


def validate(xml: bytes | str | ET.Element) -> None:
    """Raise :class:`CapValidationError` unless ``xml`` is a valid CAP 1.2 message.

    Checks the shipped OASIS XML schema first, then the specification's rules
    that the schema leaves out. The error lists every problem found.
    """
    root = xml if isinstance(xml, ET.Element) else _parse_xml(xml)
    if root.tag != _NS + "alert":
        raise CapValidationError(
            f"not a CAP 1.2 message: root element is {root.tag!r}, expected 'alert' in namespace {CAP_NS}"
        )
    errors = [f"{err.path or '/'}: {err.reason or err.message}" for err in _schema().iter_errors(root)]
    if errors:
        raise CapValidationError("CAP 1.2 schema violation: " + "; ".join(errors[:10]))
    problems = _spec_problems(root)
    if problems:
        raise CapValidationError("CAP 1.2 rule broken: " + "; ".join(problems))


def render(message: CapMessage) -> bytes:
    """:func:`to_xml`, then :func:`validate`: the bytes that are safe to send."""
    xml = to_xml(message)
    validate(xml)
    return xml


# ---- reading ----------------------------------------------------------------------


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(_NS + tag)
    return None if child is None else (child.text or "").strip()


def _required(el: ET.Element, tag: str, where: str) -> str:
    value = _text(el, tag)
    if value is None or value == "":
        raise CapError(f"{where}: missing <{tag}>")
    return value


def _value_pairs(el: ET.Element, tag: str) -> tuple[tuple[str, str], ...]:
    return tuple(((_text(c, "valueName") or ""), (_text(c, "value") or "")) for c in el.findall(_NS + tag))


def _opt_time(el: ET.Element, tag: str) -> datetime | None:
    value = _text(el, tag)
    return None if not value else parse_cap_time(value)


def _opt_float(el: ET.Element, tag: str, where: str) -> float | None:
    value = _text(el, tag)
    if not value:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise CapError(f"{where}: <{tag}> {value!r} is not a number") from exc


def _read_area(el: ET.Element, where: str) -> CapArea:
    polygons = []
    for polygon in el.findall(_NS + "polygon"):
        ring = []
        for pair in (polygon.text or "").split():
            lat_s, _, lon_s = pair.partition(",")
            try:
                ring.append((float(lat_s), float(lon_s)))
            except ValueError as exc:
                raise CapError(f"{where}: bad polygon point {pair!r}") from exc
        polygons.append(tuple(ring))
    circles = []
    for circle in el.findall(_NS + "circle"):
        text = (circle.text or "").split()
        try:
            lat_s, lon_s = text[0].split(",")
            circles.append((float(lat_s), float(lon_s), float(text[1])))
        except (ValueError, IndexError) as exc:
            raise CapError(f"{where}: bad circle {circle.text!r}") from exc
    return CapArea(
        area_desc=_required(el, "areaDesc", where),
        polygons=tuple(polygons),
        circles=tuple(circles),
        geocodes=_value_pairs(el, "geocode"),
        altitude=_opt_float(el, "altitude", where),
        ceiling=_opt_float(el, "ceiling", where),
    )


def _read_info(el: ET.Element, where: str) -> CapInfo:
    resources_ = []
    for r in el.findall(_NS + "resource"):
        size = _text(r, "size")
        try:
            size_i = int(size) if size else None
        except ValueError as exc:
            raise CapError(f"{where}: resource size {size!r} is not an integer") from exc
        resources_.append(
            CapResource(
                resource_desc=_required(r, "resourceDesc", where),
                mime_type=_required(r, "mimeType", where),
                size=size_i,
                uri=_text(r, "uri"),
                deref_uri=_text(r, "derefUri"),
                digest=_text(r, "digest"),
            )
        )
    categories = tuple((c.text or "").strip() for c in el.findall(_NS + "category"))
    if not categories:
        raise CapError(f"{where}: missing <category>")
    return CapInfo(
        language=_text(el, "language") or "en-US",
        categories=categories,
        event=_required(el, "event", where),
        response_types=tuple((c.text or "").strip() for c in el.findall(_NS + "responseType")),
        urgency=_required(el, "urgency", where),
        severity=_required(el, "severity", where),
        certainty=_required(el, "certainty", where),
        audience=_text(el, "audience"),
        event_codes=_value_pairs(el, "eventCode"),
        effective=_opt_time(el, "effective"),
        onset=_opt_time(el, "onset"),
        expires=_opt_time(el, "expires"),
        sender_name=_text(el, "senderName"),
        headline=_text(el, "headline"),
        description=_text(el, "description"),
        instruction=_text(el, "instruction"),
        web=_text(el, "web"),
        contact=_text(el, "contact"),
        parameters=_value_pairs(el, "parameter"),
        resources=tuple(resources_),
        areas=tuple(_read_area(a, f"{where} area {k}") for k, a in enumerate(el.findall(_NS + "area"), 1)),
    )


def read_cap(xml: bytes | str, *, strict: bool = True) -> CapMessage:
    """Read a CAP 1.2 message from another system.

    With ``strict`` (the default) the message must pass :func:`validate`;
    without it, only what is needed to build a :class:`CapMessage` is checked.
    Raises :class:`CapError` (or :class:`CapValidationError`) saying what is wrong.
    """
    root = _parse_xml(xml)
    if root.tag != _NS + "alert":
        raise CapError(
            f"not a CAP 1.2 message: root element is {root.tag!r}, expected 'alert' in namespace {CAP_NS}"
        )
    if strict:
        validate(root)
    refs = []
    for token in (_text(root, "references") or "").split():
        parts = token.split(",")
        if len(parts) != 3:
            raise CapError(f"references entry {token!r} is not sender,identifier,sent")
        refs.append(CapReference(*parts))
    return CapMessage(
        identifier=_required(root, "identifier", "alert"),
        sender=_required(root, "sender", "alert"),
        sent=parse_cap_time(_required(root, "sent", "alert")),
        status=_required(root, "status", "alert"),
        msg_type=_required(root, "msgType", "alert"),
        scope=_required(root, "scope", "alert"),
        source=_text(root, "source"),
        restriction=_text(root, "restriction"),
        addresses=_text(root, "addresses"),
        codes=tuple((c.text or "").strip() for c in root.findall(_NS + "code")),
        note=_text(root, "note"),
        references=tuple(refs),
        incidents=_text(root, "incidents"),
        infos=tuple(_read_info(el, f"info {i}") for i, el in enumerate(root.findall(_NS + "info"), 1)),
    )


# ---- files ------------------------------------------------------------------------


def cap_filename(seq: int, site: str) -> str:
    """``000042-idlib.xml``: the alert line number and the site id."""
    return f"{seq:06d}-{_ID_SAFE.sub('_', site)}.xml"


def write_cap_files(
    alerts: Iterable[Alert],
    sites: list[Site],
    out_dir: Path,
    *,
    config: CapConfig | None = None,
    problems: Problems | None = None,
) -> int:
    """Write one validated CAP file per alert line into ``out_dir``; returns how many were written.

    Files are named by the alert's 1-based line number and site
    (:func:`cap_filename`). Messages say where the threat comes from and where it
    heads when the alert carries its approach (alerts read back from a file do not). An alert that
    cannot be rendered (unknown site, bad values) is recorded in ``problems``
    (source ``cap``) and skipped; its line number is not reused.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    composer = CapComposer(sites, config)
    written = 0
    for seq, alert in enumerate(alerts, 1):
        try:
            xml = render(composer.compose(alert, seq=seq))
        except CapError as exc:
            if problems is not None:
                problems.add("cap", seq, str(exc))
            continue
        (out_dir / cap_filename(seq, alert.site)).write_bytes(xml)
        written += 1
    return written
