"""People who asked to be warned: a subscription (where to reach them, in which language, for which
places) and its JSON form. A plain record, so that the store keeps it and delivery routes by it
without either importing the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Language = Literal["ar", "en"]
LANGUAGES: tuple[Language, ...] = ("ar", "en")
PersonChannel = Literal["sms", "telegram"]
PERSON_CHANNELS: tuple[PersonChannel, ...] = ("sms", "telegram")
# Upper bounds of the radius classes of point subscriptions (metres); one KD-tree per class.
RADIUS_CLASSES_M = (1_000.0, 3_000.0, 10_000.0, 30_000.0, 100_000.0, 500_000.0)
MAX_RADIUS_M = RADIUS_CLASSES_M[-1]


@dataclass(frozen=True, slots=True)
class Subscription:
    """One person's subscription: where to reach them, in which language, for which places."""

    id: str
    channel: PersonChannel
    address: str  # phone number (E.164) or Telegram chat id
    lang: Language = "ar"
    sites: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None

    def __post_init__(self) -> None:
        if self.channel not in PERSON_CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(PERSON_CHANNELS)}, not {self.channel!r}")
        if not self.address:
            raise ValueError("address is empty")
        if self.lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {self.lang!r}")
        point = (self.lat, self.lon, self.radius_m)
        if any(v is not None for v in point):
            if any(v is None for v in point):
                raise ValueError("a point subscription needs lat, lon and radius_m")
            lat, lon, radius = (float(v) for v in point)  # type: ignore[arg-type]
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"position {lat},{lon} out of range")
            if not 0 < radius <= MAX_RADIUS_M:
                raise ValueError(f"radius_m must be in (0, {MAX_RADIUS_M:.0f}]")
        elif not self.sites:
            raise ValueError("subscribe to sites, or to a point and a radius")


def subscription_from_json(obj: Any) -> Subscription:
    """A subscription from one JSON object (raises ``ValueError`` saying what is wrong)."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    sites = obj.get("sites", [])
    if isinstance(sites, str):
        sites = [sites]
    if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
        raise ValueError("sites must be a list of site ids")
    for name in ("id", "channel", "address"):
        if not isinstance(obj.get(name), str | int) or obj.get(name) == "":
            raise ValueError(f"missing {name}")

    def num(name: str) -> float | None:
        v = obj.get(name)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"{name} must be a number")
        return float(v)

    return Subscription(
        id=str(obj["id"]), channel=obj["channel"], address=str(obj["address"]), lang=obj.get("lang", "ar"),
        sites=tuple(sites), lat=num("lat"), lon=num("lon"), radius_m=num("radius_m"),
    )  # fmt: skip
