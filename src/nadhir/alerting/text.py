"""Alert text for people, in Arabic and English, sized for SMS.

Every alert line becomes a short message that says what threatens which
place, when it is expected (local clock time and minutes from now) and from
where it comes, and what to do::

    NADHIR: TAKE SHELTER NOW. Warplane approaching Idlib from the SW, heading NE,
    expected 06:15 (in 7 min).

    نذير: احتموا الآن. طيران حربي يقترب من إدلب قادما من الجنوب الغربي ...

SMS counts: a message whose characters are all in the GSM 03.38 default
alphabet (with its extension table, whose characters take two septets) is
sent as GSM-7: 160 septets in one segment, 153 per segment when it is split.
Anything else (Arabic, most emoji) goes as UCS-2: 70 UTF-16 code units in one
segment, 67 per segment when split. An escape pair or a surrogate pair is
never split across segments. :func:`compose_text` tries ever shorter wordings
and keeps the longest that fits in :attr:`TextConfig.max_segments`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nadhir.domain import AircraftType, Alert, Site
from nadhir.domain.people import LANGUAGES, Language
from nadhir.domain.timefmt import utc_datetime

SmsEncoding = Literal["gsm7", "ucs2"]

DEFAULT_TZ = "Asia/Damascus"

THREAT_NAMES: dict[Language, dict[AircraftType, str]] = {
    "en": {"jet": "warplane", "helicopter": "helicopter", "drone": "drone", "unknown": "aircraft"},
    "ar": {"jet": "طيران حربي", "helicopter": "طيران مروحي", "drone": "طائرة مسيرة", "unknown": "طيران"},
}

_POINTS_EN = {
    "N": "north", "NE": "north-east", "E": "east", "SE": "south-east",
    "S": "south", "SW": "south-west", "W": "west", "NW": "north-west",
}  # fmt: skip
_POINTS_AR = {
    "N": "الشمال", "NE": "الشمال الشرقي", "E": "الشرق", "SE": "الجنوب الشرقي",
    "S": "الجنوب", "SW": "الجنوب الغربي", "W": "الغرب", "NW": "الشمال الغربي",
}  # fmt: skip


def resolve_tz(name: str) -> tzinfo:
    """A time zone from an IANA name (``Asia/Damascus``), ``UTC``, or a fixed offset ``+03:00``."""
    text = name.strip()
    if text.upper() in ("UTC", "Z"):
        return UTC
    if len(text) == 6 and text[0] in "+-" and text[3] == ":" and text[1:3].isdigit() and text[4:].isdigit():
        minutes = int(text[1:3]) * 60 + int(text[4:])
        return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: give an IANA name such as Asia/Damascus, "
            "UTC, or an offset such as +03:00"
        ) from exc


@dataclass(frozen=True, slots=True)
class TextConfig:
    """How alert text is written: local time zone, SMS size limit, digits."""

    tz: str = DEFAULT_TZ
    max_segments: int = 2
    brand_en: str = "NADHIR"
    brand_ar: str = "نذير"

    def __post_init__(self) -> None:
        if self.max_segments < 1:
            raise ValueError("max_segments must be at least 1")
        resolve_tz(self.tz)


# ---- SMS sizing -------------------------------------------------------------

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_GSM7_BASIC_SET = frozenset(GSM7_BASIC) - {"\x1b"}
_GSM7_EXT_SET = frozenset(GSM7_EXTENSION)

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class SmsSize:
    """How a text travels as SMS: its encoding, its length in septets or UTF-16 units, and segments."""

    encoding: SmsEncoding
    units: int
    segments: int


def sms_encoding(text: str) -> SmsEncoding:
    """``gsm7`` when every character is in the GSM default alphabet or its extension, else ``ucs2``."""
    for ch in text:
        if ch not in _GSM7_BASIC_SET and ch not in _GSM7_EXT_SET:
            return "ucs2"
    return "gsm7"


def _pack(sizes: list[int], single: int, multi: int) -> int:
    """Segments for a run of indivisible character sizes."""
    total = sum(sizes)
    if total == 0:
        return 1
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments


def sms_size(text: str) -> SmsSize:
    """Encoding, units and segment count of a text sent as one (possibly concatenated) SMS."""
    if sms_encoding(text) == "gsm7":
        sizes = [2 if ch in _GSM7_EXT_SET else 1 for ch in text]
        return SmsSize("gsm7", sum(sizes), _pack(sizes, GSM7_SINGLE, GSM7_MULTI))
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsSize("ucs2", sum(sizes), _pack(sizes, UCS2_SINGLE, UCS2_MULTI))


def sms_segments(text: str) -> int:
    """How many SMS segments the text takes."""
    return sms_size(text).segments


def truncate_to_segments(text: str, max_segments: int) -> str:
    """The longest prefix of ``text`` (ending in an ellipsis when cut) that fits the segment limit."""
    if sms_segments(text) <= max_segments:
        return text
    ellipsis = "..." if sms_encoding(text) == "gsm7" else "…"
    lo, hi = 0, len(text)
    while lo < hi:  # largest n with text[:n] + ellipsis fitting
        mid = (lo + hi + 1) // 2
        if sms_segments(text[:mid].rstrip() + ellipsis) <= max_segments:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ellipsis


# ---- wording ----------------------------------------------------------------


def _minutes_ar(n: int) -> str:
    if n == 1:
        return "دقيقة"
    if n == 2:
        return "دقيقتين"
    if 3 <= n <= 10:
        return f"{n} دقائق"
    return f"{n} دقيقة"


def _arrival(alert: Alert, tz: tzinfo, lang: Language) -> str | None:
    if alert.eta is None or not math.isfinite(alert.eta):
        return None
    clock = utc_datetime(alert.eta).astimezone(tz).strftime("%H:%M")
    minutes = math.floor((alert.eta - alert.t) / 60.0 + 0.5)
    if lang == "en":
        when = "now" if minutes <= 0 else f"in {minutes} min"
        return f"expected {clock} ({when})"
    when = "الآن" if minutes <= 0 else f"خلال {_minutes_ar(minutes)}"
    return f"متوقع {clock} ({when})"


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_name(text: str | None) -> str:
    """A name fit for a message: control characters dropped, white space collapsed."""
    return " ".join(_UNPRINTABLE.sub(" ", text or "").split())


def site_name(site: Site, lang: Language) -> str:
    """The site's name in a language (the English name when there is no Arabic one, else its id)."""
    if lang == "ar":
        arabic = clean_name(site.name_ar)
        if arabic:
            return arabic
    return clean_name(site.name) or site.id


def _variants(alert: Alert, site: Site, lang: Language, tz: tzinfo, cfg: TextConfig) -> list[str]:
    """Wordings of one alert, longest and fullest first; the direction is the alert's own approach."""
    threat = THREAT_NAMES[lang][alert.threat]
    name = site_name(site, lang)
    arrival = _arrival(alert, tz, lang)
    approach = alert.approach
    frm = None if approach is None else approach.from_point
    hdg = None if approach is None else approach.heading_point
    if lang == "en":
        brand = cfg.brand_en
        update = " update" if alert.action == "update" else ""
        if alert.action == "all_clear":
            return [
                f"{brand}: ALL CLEAR for {name}: the {threat} threat has passed. Stay alert.",
                f"{brand}: ALL CLEAR for {name}: the {threat} threat has passed.",
                f"{brand}: ALL CLEAR for {name}.",
            ]
        if alert.level == "imminent":
            head, verb, tail = f"{brand}{update}: TAKE SHELTER NOW.", f"{threat.capitalize()} approaching", ""
        else:
            head, verb = f"{brand} warning{update}:", f"{threat.capitalize()} may approach"
            tail = " Be ready to shelter."
        parts_full = [f"{verb} {name}"]
        if frm:
            parts_full.append(f"from the {_POINTS_EN[frm]}")
        if hdg:
            parts_full.append(f"heading {_POINTS_EN[hdg]}")
        if arrival:
            parts_full.append(arrival)
        parts_short = [f"{verb} {name}"]
        if frm:
            parts_short.append(f"from {frm}")
        if hdg:
            parts_short.append(f"hdg {hdg}")
        if arrival:
            parts_short.append(arrival)
        bare = [f"{verb} {name}", *([arrival] if arrival else [])]
        return [
            f"{head} {', '.join(parts_full)}.{tail}",
            f"{head} {', '.join(parts_short)}.{tail}",
            f"{head} {', '.join(parts_short)}.",
            f"{head} {', '.join(bare)}.",
        ]
    brand = cfg.brand_ar
    update = "تحديث: " if alert.action == "update" else ""
    if alert.action == "all_clear":
        return [
            f"{brand}: زال خطر {threat} عن {name}. ابقوا على حذر.",
            f"{brand}: زال خطر {threat} عن {name}.",
            f"{brand}: زال الخطر عن {name}.",
        ]
    if alert.level == "imminent":
        head, verb, tail = f"{brand}: {update}احتموا الآن.", f"{threat} يقترب من {name}", ""
    else:
        head, verb, tail = (
            f"{brand}: {update}تحذير.",
            f"{threat} قد يتجه نحو {name}",
            " كونوا مستعدين للاحتماء.",
        )
    full = [verb]
    if frm:
        full.append(f"قادما من {_POINTS_AR[frm]}")
    if hdg:
        full.append(f"باتجاه {_POINTS_AR[hdg]}")
    if arrival:
        full.append(arrival)
    no_heading = [verb, *([f"من {_POINTS_AR[frm]}"] if frm else []), *([arrival] if arrival else [])]
    bare = [verb, *([arrival] if arrival else [])]
    return [
        f"{head} {'، '.join(full)}.{tail}",
        f"{head} {'، '.join(full)}.",
        f"{head} {'، '.join(no_heading)}.",
        f"{head} {'، '.join(bare)}.",
    ]


def compose_text(
    alert: Alert,
    site: Site,
    lang: Language,
    config: TextConfig | None = None,
) -> str:
    """The message for one alert in one language, within the configured number of SMS segments."""
    if alert.site != site.id:
        raise ValueError(f"alert is for site {alert.site!r}, not {site.id!r}")
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    cfg = config or TextConfig()
    variants = _variants(alert, site, lang, resolve_tz(cfg.tz), cfg)
    for text in variants:
        if sms_segments(text) <= cfg.max_segments:
            return text
    return truncate_to_segments(variants[-1], cfg.max_segments)


def long_text(
    alert: Alert,
    site: Site,
    lang: Language,
    config: TextConfig | None = None,
) -> str:
    """The fullest wording, with no SMS limit (for CAP descriptions, Telegram and webhooks)."""
    cfg = config or TextConfig()
    return _variants(alert, site, lang, resolve_tz(cfg.tz), cfg)[0]


def test_alarm_text(
    sites: Sequence[Site],
    at: float,
    duration_s: int,
    lang: Language,
    config: TextConfig | None = None,
    *,
    sms: bool = True,
) -> str:
    """The announcement of a scheduled siren test in one language: where, when (local time), how long,
    and that no action is needed. With ``sms`` the text fits :attr:`TextConfig.max_segments` (the
    places are counted instead of named if their names do not fit)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if not sites:
        raise ValueError("a test alarm needs at least one site")
    cfg = config or TextConfig()
    when = utc_datetime(at).astimezone(resolve_tz(cfg.tz)).strftime("%Y-%m-%d %H:%M")
    if lang == "en":
        names = ", ".join(site_name(s, "en") for s in sites)
        variants = [
            f"{cfg.brand_en}: siren TEST in {names} on {when} for {duration_s} s. No action needed.",
            f"{cfg.brand_en}: siren TEST in {len(sites)} places on {when} for {duration_s} s. "
            "No action needed.",
        ]
    else:
        names = "، ".join(site_name(s, "ar") for s in sites)
        variants = [
            f"{cfg.brand_ar}: تجربة صفارات الإنذار في {names} يوم {when} لمدة {duration_s} ثانية. "
            "لا حاجة لأي إجراء.",
            f"{cfg.brand_ar}: تجربة صفارات الإنذار في {len(sites)} مواقع يوم {when} "
            f"لمدة {duration_s} ثانية. لا حاجة لأي إجراء.",
        ]
    if not sms:
        return variants[0]
    for text in variants:
        if sms_segments(text) <= cfg.max_segments:
            return text
    return truncate_to_segments(variants[-1], cfg.max_segments)
