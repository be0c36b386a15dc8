"""The people and partner channels of the live service, built from its settings.

- ``telegram``: the bot of ``telegram_token`` posts each alert to the public
  ``telegram_channels`` and messages every subscriber who chose Telegram;
- ``sms``: the ``[sms_gateway]`` sends to every subscriber who chose SMS;
- ``webhook``: each of ``partners`` gets every alert, signed (HMAC-SHA256).

A channel that is not configured gets no deliveries: subscriptions on it are
left out of targeting (and reported once in the log), so nothing waits in the
outbox for a channel nobody sends on.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from nadhir.alerting.text import TextConfig
from nadhir.delivery.channels.sms import SmsChannel
from nadhir.delivery.channels.telegram import TelegramChannel
from nadhir.delivery.channels.webhook import Partner, WebhookChannel
from nadhir.delivery.dispatcher import Channel
from nadhir.delivery.subscriptions import PeopleRouter, SubscriberIndex
from nadhir.domain.people import Subscription
from nadhir.service.settings import Settings

log = logging.getLogger(__name__)

# HTTP requests in flight per channel: a fan-out leaves this many times faster than one at a time;
# gateways that want fewer answer 429, which is retried with backoff.
HTTP_WORKERS = 8


@dataclass
class PeopleChannels:
    """The configured people and partner channels, and who is told of a test alarm."""

    channels: dict[str, Channel] = field(default_factory=dict)
    telegram_channels: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    text: TextConfig = field(default_factory=TextConfig)

    @property
    def person_channels(self) -> frozenset[str]:
        """The channels on which subscribers can be reached (``sms``, ``telegram``)."""
        return frozenset(self.channels) & {"sms", "telegram"}

    @property
    def configured(self) -> bool:
        return bool(self.channels)

    def usable(self, subscriptions: Iterable[Subscription]) -> list[Subscription]:
        """The subscriptions on a configured channel (the others are logged, once per channel)."""
        ok, skipped = [], dict[str, int]()
        for s in subscriptions:
            if s.channel in self.person_channels:
                ok.append(s)
            else:
                skipped[s.channel] = skipped.get(s.channel, 0) + 1
        for channel, n in skipped.items():
            log.warning("%d subscriptions on %s are not served: that channel is not configured", n, channel)
        return ok

    def router(self, subscriptions: Sequence[Subscription]) -> PeopleRouter:
        """The alert router's ``recipients`` for these subscriptions (usable ones only)."""
        index = SubscriberIndex.build(self.usable(subscriptions))
        return PeopleRouter(
            index, telegram_channels=self.telegram_channels, partners=self.partners, text=self.text
        )

    def announce_targets(self) -> list[tuple[str, str]]:
        """Where public announcements (test alarms) go: the Telegram channels and the partners."""
        return [("telegram", c) for c in self.telegram_channels] + [("webhook", p) for p in self.partners]

    def close(self) -> None:
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if callable(close):
                close()


def people_channels(settings: Settings) -> PeopleChannels:
    """The channels the settings configure (none at all is fine: alerts then reach sirens only)."""
    channels: dict[str, Channel] = {}
    n = HTTP_WORKERS
    if settings.telegram_token:
        channels["telegram"] = TelegramChannel(
            settings.telegram_token, api_base=settings.telegram_api, workers=n
        )
    if settings.sms_gateway is not None:
        channels["sms"] = SmsChannel(settings.sms_gateway, workers=n)
    if settings.partners:
        channels["webhook"] = WebhookChannel(
            {p.name: Partner(p.url, p.secret.encode("utf-8")) for p in settings.partners}, workers=n
        )
    return PeopleChannels(
        channels=channels,
        telegram_channels=settings.telegram_channels if settings.telegram_token else (),
        partners=tuple(p.name for p in settings.partners),
        text=TextConfig(tz=settings.alert_tz, max_segments=settings.sms_max_segments),
    )


# ---- subscriptions and test alarms as operators enter them (CLI and API) ------------------------

_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164
_TELEGRAM_CHAT = re.compile(r"^(-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{4,31})$")  # chat id or @channel
_OFFSET = re.compile(r"^\+\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|min|h|d)$")
_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def check_address(channel: str, address: str) -> str:
    """The address, checked for its channel: an E.164 number (``+963933000001``) for SMS, a numeric
    chat id or ``@channelname`` for Telegram. Raises ``ValueError`` saying what is wrong."""
    address = address.strip()
    if channel == "sms":
        if not _PHONE.match(address):
            raise ValueError(f"{address!r} is not a phone number in international form (+963933000001)")
    elif channel == "telegram":
        if not _TELEGRAM_CHAT.match(address):
            raise ValueError(f"{address!r} is not a Telegram chat id (digits) or @channel name")
    else:
        raise ValueError(f"unknown channel {channel!r} (sms or telegram)")
    return address


def make_subscription(
    *,
    channel: str,
    address: str,
    sites: Sequence[str] = (),
    lat: float | None = None,
    lon: float | None = None,
    radius_m: float | None = None,
    lang: str = "ar",
    known_sites: Iterable[str] | None = None,
    sub_id: str | None = None,
) -> Subscription:
    """A checked subscription (a fresh id unless one is given); raises ``ValueError`` saying why not."""
    from nadhir.store.people import new_subscription_id

    address = check_address(channel, address)
    if known_sites is not None:
        known = set(known_sites)
        unknown = [s for s in sites if s not in known]
        if unknown:
            raise ValueError(f"unknown site(s): {', '.join(unknown)}")
    if sub_id is not None and not re.fullmatch(r"[A-Za-z0-9._:@+-]{1,64}", sub_id):
        raise ValueError("a subscription id is 1-64 of letters, digits and . _ : @ + -")
    return Subscription(
        sub_id or new_subscription_id(), channel, address, lang,  # type: ignore[arg-type]
        tuple(dict.fromkeys(sites)), lat, lon, radius_m,
    )  # fmt: skip


def parse_when(text: str, now: float, tz: str) -> float:
    """A time as operators write it: ``+30m`` / ``+2h`` / ``+90s`` from now, ISO 8601 with an offset
    (``2026-11-26T10:00+03:00``), or ISO 8601 without one, taken as local time in ``tz``, or POSIX
    seconds. Raises ``ValueError`` saying what it expected."""
    from nadhir.alerting.text import resolve_tz

    text = text.strip()
    m = _OFFSET.match(text)
    if m:
        return now + float(m.group(1)) * _UNITS[m.group(2)]
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise ValueError(f"{text!r} is not a time")
        return seconds
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"cannot read the time {text!r}: give +30m, +2h, an ISO time such as 2026-11-26T10:00 "
            "(local) or 2026-11-26T10:00+03:00, or POSIX seconds"
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=resolve_tz(tz))
    return when.timestamp()
