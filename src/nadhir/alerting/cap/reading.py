"""Reading CAP 1.2 from other systems into a :class:`~nadhir.alerting.cap.message.CapMessage`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from nadhir.alerting.cap.document import parse_xml, validate
from nadhir.alerting.cap.message import (
    CAP_NS,
    NS,
    CapArea,
    CapError,
    CapInfo,
    CapMessage,
    CapReference,
    CapResource,
    parse_cap_time,
)

# ---- reading ----------------------------------------------------------------------


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(NS + tag)
    return None if child is None else (child.text or "").strip()


def _required(el: ET.Element, tag: str, where: str) -> str:
    value = _text(el, tag)
    if value is None or value == "":
        raise CapError(f"{where}: missing <{tag}>")
    return value


def _value_pairs(el: ET.Element, tag: str) -> tuple[tuple[str, str], ...]:
    return tuple(((_text(c, "valueName") or ""), (_text(c, "value") or "")) for c in el.findall(NS + tag))


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
    for polygon in el.findall(NS + "polygon"):
        ring = []
        for pair in (polygon.text or "").split():
            lat_s, _, lon_s = pair.partition(",")
            try:
                ring.append((float(lat_s), float(lon_s)))
            except ValueError as exc:
                raise CapError(f"{where}: bad polygon point {pair!r}") from exc
        polygons.append(tuple(ring))
    circles = []
    for circle in el.findall(NS + "circle"):
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
    for r in el.findall(NS + "resource"):
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
    categories = tuple((c.text or "").strip() for c in el.findall(NS + "category"))
    if not categories:
        raise CapError(f"{where}: missing <category>")
    return CapInfo(
        language=_text(el, "language") or "en-US",
        categories=categories,
        event=_required(el, "event", where),
        response_types=tuple((c.text or "").strip() for c in el.findall(NS + "responseType")),
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
        areas=tuple(_read_area(a, f"{where} area {k}") for k, a in enumerate(el.findall(NS + "area"), 1)),
    )


def read_cap(xml: bytes | str, *, strict: bool = True) -> CapMessage:
    """Read a CAP 1.2 message from another system.

    With ``strict`` (the default) the message must pass :func:`validate`;
    without it, only what is needed to build a :class:`CapMessage` is checked.
    Raises :class:`CapError` (or :class:`CapValidationError`) saying what is wrong.
    """
    root = parse_xml(xml)
    if root.tag != NS + "alert":
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
        codes=tuple((c.text or "").strip() for c in root.findall(NS + "code")),
        note=_text(root, "note"),
        references=tuple(refs),
        incidents=_text(root, "incidents"),
        infos=tuple(_read_info(el, f"info {i}") for i, el in enumerate(root.findall(NS + "info"), 1)),
    )
