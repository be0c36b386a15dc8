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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from nadhir.alerting.channels import Partner, SmsChannel, TelegramChannel, WebhookChannel
from nadhir.alerting.outbox import Channel
from nadhir.alerting.subscriptions import PeopleRouter, SubscriberIndex, Subscription
from nadhir.alerting.text import TextConfig
from nadhir.service.settings import Settings

log = logging.getLogger(__name__)


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
    if settings.telegram_token:
        channels["telegram"] = TelegramChannel(settings.telegram_token, api_base=settings.telegram_api)
    if settings.sms_gateway is not None:
        channels["sms"] = SmsChannel(settings.sms_gateway)
    if settings.partners:
        channels["webhook"] = WebhookChannel(
            {p.name: Partner(p.url, p.secret.encode("utf-8")) for p in settings.partners}
        )
    return PeopleChannels(
        channels=channels,
        telegram_channels=settings.telegram_channels if settings.telegram_token else (),
        partners=tuple(p.name for p in settings.partners),
        text=TextConfig(tz=settings.alert_tz, max_segments=settings.sms_max_segments),
    )
