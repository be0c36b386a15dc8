"""CAP 1.2 as XML: writing a message, parsing XML safely (no DOCTYPE or entity, bounded nesting) and
validating against the OASIS schema and the rules of the CAP text that the schema cannot express.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any
from xml.parsers import expat

from nadhir.alerting.cap.message import (
    BAD_ID_CHARS,
    CAP_NS,
    CAP_TIME,
    MAX_XML_DEPTH,
    NS,
    CapError,
    CapMessage,
    CapValidationError,
    format_cap_time,
)

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
        ET.SubElement(parent, NS + tag).text = _NOT_XML.sub("", text)


def _pairs(parent: ET.Element, tag: str, pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        el = ET.SubElement(parent, NS + tag)
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
    root = ET.Element(NS + "alert")
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
        el = ET.SubElement(root, NS + "info")
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
            r = ET.SubElement(el, NS + "resource")
            _sub(r, "resourceDesc", res.resource_desc)
            _sub(r, "mimeType", res.mime_type)
            _sub(r, "size", None if res.size is None else str(res.size))
            _sub(r, "uri", res.uri)
            _sub(r, "derefUri", res.deref_uri)
            _sub(r, "digest", res.digest)
        for area in info.areas:
            a = ET.SubElement(el, NS + "area")
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


def parse_xml(xml: bytes | str) -> ET.Element:
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
    elif BAD_ID_CHARS.search(value):
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
    _check_id("identifier", root.findtext(NS + "identifier"), problems)
    _check_id("sender", root.findtext(NS + "sender"), problems)
    refs = root.findtext(NS + "references")
    if refs is not None:
        for token in refs.split():
            parts = token.split(",")
            if len(parts) != 3 or not all(parts):
                problems.append(f"references entry {token!r} is not sender,identifier,sent")
            elif not CAP_TIME.match(parts[2]):
                problems.append(f"references entry {token!r} has a bad sent time")
    for i, info in enumerate(root.findall(NS + "info"), 1):
        for j, area in enumerate(info.findall(NS + "area"), 1):
            where = f"info {i} area {j}"
            for polygon in area.findall(NS + "polygon"):
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
            for circle in area.findall(NS + "circle"):
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
    root = xml if isinstance(xml, ET.Element) else parse_xml(xml)
    if root.tag != NS + "alert":
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
