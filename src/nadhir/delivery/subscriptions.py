"""Subscriptions and geotargeting: who gets an alert by SMS or Telegram, and what partners receive.

People subscribe to sites (``"sites": ["idlib", ...]``) or to a point and a
radius (``"lat", "lon", "radius_m"``), or both. An alert for a site goes to
everyone subscribed to it and to everyone whose circle touches the site's
area (distance between centres <= subscriber radius + site radius).

The index keeps subscriptions in flat arrays: for each site, the sorted
subscriber numbers; for point subscriptions, one KD-tree
(:class:`scipy.spatial.cKDTree`) per radius class over unit vectors on the
sphere, so that a query only meets candidates whose radius is of the same
order, then an exact great-circle check. One million subscribers are
targeted for ten sites well within a second on one core
(``benchmarks/fanout.py``).

A subscriptions file is JSON Lines::

    {"id": "u1", "channel": "sms", "address": "+963933000001", "lang": "ar", "sites": ["idlib"]}
    {"id": "u2", "channel": "telegram", "address": "123456789", "lang": "en",
     "lat": 35.93, "lon": 36.63, "radius_m": 5000}

A line that cannot be used is reported with its number and skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from nadhir.alerting.text import TextConfig, compose_text, long_text
from nadhir.delivery.states import NewDelivery, alert_key
from nadhir.domain import Alert, Problems, Site
from nadhir.domain.formats.output import alert_to_dict
from nadhir.domain.people import (
    LANGUAGES,
    RADIUS_CLASSES_M,
    Subscription,
    subscription_from_json,
)
from nadhir.geo.distance import EARTH_RADIUS_M

EPISODE_VALID_S = 1200.0

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def load_subscriptions(path: Path, problems: Problems | None = None) -> list[Subscription]:
    """Read a JSON Lines subscriptions file; bad lines go to ``problems`` and are skipped."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(subscription_from_json(json.loads(line)))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                if problems is not None:
                    problems.add(path.name, n, str(exc))
    return out


def _xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    la, lo = np.radians(lat), np.radians(lon)
    c = np.cos(la)
    return np.column_stack((c * np.cos(lo), c * np.sin(lo), np.sin(la)))


def _chord(distance_m: float) -> float:
    return 2.0 * math.sin(min(math.pi, distance_m / EARTH_RADIUS_M) / 2.0)


class SubscriberIndex:
    """Who is subscribed to what, for fast targeting. Subscribers are numbered ``0..n-1``."""

    def __init__(self, n: int, site_members: Mapping[str, IntArray], point_idx: IntArray,
                 lat: FloatArray, lon: FloatArray, radius_m: FloatArray) -> None:  # fmt: skip
        self.n = n
        self.site_members = {s: np.unique(np.asarray(m, dtype=np.int64)) for s, m in site_members.items()}
        self._classes: list[tuple[float, cKDTree, IntArray, FloatArray, FloatArray]] = []
        point_idx = np.asarray(point_idx, dtype=np.int64)
        radius_m = np.asarray(radius_m, dtype=np.float64)
        xyz = _xyz(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64))
        lower = 0.0
        for upper in RADIUS_CLASSES_M:
            sel = (radius_m > lower) & (radius_m <= upper)
            if sel.any():
                pts = xyz[sel]
                self._classes.append((upper, cKDTree(pts), point_idx[sel], radius_m[sel], pts))
            lower = upper
        self.subscriptions: list[Subscription] | None = None

    @classmethod
    def build(cls, subscriptions: Sequence[Subscription]) -> SubscriberIndex:
        members: dict[str, list[int]] = {}
        idx, lat, lon, rad = [], [], [], []
        for i, s in enumerate(subscriptions):
            for site in s.sites:
                members.setdefault(site, []).append(i)
            if s.radius_m is not None and s.lat is not None and s.lon is not None:
                idx.append(i)
                lat.append(s.lat)
                lon.append(s.lon)
                rad.append(s.radius_m)
        index = cls(
            len(subscriptions),
            {k: np.asarray(v, dtype=np.int64) for k, v in members.items()},
            np.asarray(idx, dtype=np.int64), np.asarray(lat, dtype=np.float64),
            np.asarray(lon, dtype=np.float64), np.asarray(rad, dtype=np.float64),
        )  # fmt: skip
        index.subscriptions = list(subscriptions)
        return index

    def targets(self, sites: Iterable[Site]) -> IntArray:
        """Sorted numbers of the subscribers an alert for these sites reaches (each once)."""
        parts: list[IntArray] = []
        sites = list(sites)
        for site in sites:
            members = self.site_members.get(site.id)
            if members is not None:
                parts.append(members)
        if self._classes and sites:
            centres = _xyz(np.array([s.lat for s in sites]), np.array([s.lon for s in sites]))
            site_r = np.array([max(s.radius_m, 0.0) for s in sites])
            for upper, tree, idx, radius, pts in self._classes:
                reach = [_chord(upper + r) for r in site_r]
                hits = tree.query_ball_point(centres, reach, return_sorted=False)
                for k, cand in enumerate(hits):
                    if not cand:
                        continue
                    c = np.asarray(cand, dtype=np.int64)
                    # exact: angle between centres <= (subscriber radius + site radius) / R
                    dots = np.clip(pts[c] @ centres[k], -1.0, 1.0)
                    ok = np.arccos(dots) * EARTH_RADIUS_M <= radius[c] + site_r[k]
                    parts.append(idx[c[ok]])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))

    def recipients(self, sites: Iterable[Site]) -> list[Subscription]:
        """The subscriptions an alert for these sites reaches (for an index made by :meth:`build`)."""
        if self.subscriptions is None:
            raise ValueError("this index was built from arrays; use targets()")
        subs = self.subscriptions
        return [subs[i] for i in self.targets(sites)]


def _key(kind: str, alert: Alert, target: str) -> str:
    return f"{kind}-{alert_key(alert)[6:]}-{hashlib.sha256(target.encode()).hexdigest()[:12]}"


class PeopleRouter:
    """The people and partner deliveries of an alert (a ``recipients`` for :class:`AlertRouter`).

    - SMS to subscribers, in their language, within the SMS segment limit;
    - Telegram: a bilingual post to each public channel, and a direct message
      to each Telegram subscriber in their language;
    - signed webhooks to partners: JSON with the alert line, the texts and the
      CAP 1.2 message.
    """

    def __init__(
        self,
        index: SubscriberIndex,
        *,
        telegram_channels: Sequence[str] = (),
        partners: Sequence[str] = (),
        text: TextConfig | None = None,
        valid_s: float = EPISODE_VALID_S,
    ) -> None:
        if index.subscriptions is None:
            raise ValueError("PeopleRouter needs an index made by SubscriberIndex.build")
        self.index = index
        self.telegram_channels = list(telegram_channels)
        self.partners = list(partners)
        self.text = text or TextConfig()
        self.valid_s = valid_s

    def __call__(self, alert: Alert, site: Site, cap: bytes | None) -> list[NewDelivery]:
        expires = alert.t + (1800.0 if alert.action == "all_clear" else self.valid_s)
        sms = {lang: compose_text(alert, site, lang, self.text) for lang in LANGUAGES}
        full = {lang: long_text(alert, site, lang, self.text) for lang in LANGUAGES}
        out: list[NewDelivery] = []
        bilingual = json.dumps({"text": full["ar"] + "\n\n" + full["en"]}, ensure_ascii=False)
        for chat in self.telegram_channels:
            out.append(NewDelivery("telegram", chat, _key("tgc", alert, chat), bilingual, expires))
        for sub in self.index.recipients([site]):
            text = sms[sub.lang] if sub.channel == "sms" else full[sub.lang]
            payload = json.dumps({"text": text}, ensure_ascii=False)
            out.append(
                NewDelivery(sub.channel, sub.address, _key(sub.channel, alert, sub.address), payload, expires)
            )
        if self.partners:
            body = json.dumps(
                {
                    "alert": alert_to_dict(alert),
                    "site": {"id": site.id, "name": site.name, "name_ar": site.name_ar, "lat": site.lat,
                             "lon": site.lon, "radius_m": site.radius_m},
                    "text": full,
                    "cap": None if cap is None else cap.decode("utf-8"),
                },
                ensure_ascii=False, separators=(",", ":"),
            )  # fmt: skip
            for partner in self.partners:
                out.append(NewDelivery("webhook", partner, _key("hook", alert, partner), body, expires))
        return out
