"""Composing CAP 1.2 from Nadhir's alerts (one message per alert line, episodes referenced), recovering
an alert from its CAP form, and writing a replay's CAP files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from nadhir.alerting.cap.document import render
from nadhir.alerting.cap.message import (
    BAD_ID_CHARS,
    EPISODE_STALE_S,
    EVENT,
    HEADLINE,
    ID_SAFE,
    INSTRUCTION,
    LEVEL_CODES,
    MSG_TYPES,
    CapArea,
    CapError,
    CapInfo,
    CapMessage,
    CapReference,
    format_cap_time,
    local_time,
    parse_cap_time,
)
from nadhir.alerting.text import (
    DEFAULT_TZ,
    THREAT_NAMES,
    TextConfig,
    long_text,
    resolve_tz,
    site_name,
)
from nadhir.domain import (
    AIRCRAFT_TYPES,
    Alert,
    AlertLevel,
    Problems,
    Site,
)
from nadhir.domain.people import Language
from nadhir.domain.timefmt import utc_datetime

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
        if not self.sender or BAD_ID_CHARS.search(self.sender):
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
        sent = local_time(alert.t, cfg.tz)
        stamp = utc_datetime(round(alert.t)).strftime("%Y%m%dT%H%M%SZ")
        identifier = f"{cfg.identifier_prefix}-{ID_SAFE.sub('_', site.id)}-{stamp}-{n}"
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
            onset = local_time(alert.eta, cfg.tz)
        if alert.action == "all_clear":
            expires = local_time(alert.t + cfg.all_clear_valid_s, cfg.tz)
        else:
            end = alert.t + cfg.valid_s
            if alert.eta is not None:
                end = max(end, alert.eta + 600.0)
            expires = local_time(end, cfg.tz)
        params: list[tuple[str, str]] = [
            ("nadhir:site", site.id),
            ("nadhir:action", alert.action),
            ("nadhir:level", alert.level),
            ("nadhir:threat", alert.threat),
            ("nadhir:confidence", f"{round(alert.confidence, 3):g}"),
        ]
        if alert.eta is not None:
            params.append(("nadhir:eta", format_cap_time(local_time(alert.eta, cfg.tz))))
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
            event=EVENT[lang][1 if alert.action == "all_clear" else 0],
            response_types=(response,),
            urgency=urgency,
            severity=severity,
            certainty=certainty,
            effective=sent,
            onset=onset,
            expires=expires,
            sender_name=cfg.sender_name_ar if lang == "ar" else cfg.sender_name_en,
            headline=HEADLINE[lang][key].format(threat=threat, site=name),
            description=long_text(alert, site, lang, self._text),
            instruction=INSTRUCTION[lang][key],
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


# ---- files ------------------------------------------------------------------------


def cap_filename(seq: int, site: str) -> str:
    """``000042-idlib.xml``: the alert line number and the site id."""
    return f"{seq:06d}-{ID_SAFE.sub('_', site)}.xml"


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
