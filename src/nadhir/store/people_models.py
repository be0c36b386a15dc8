"""Tables of people's subscriptions and scheduled test alarms (see :mod:`nadhir.store.people`).

- ``subscriptions``: one person reached on one channel (SMS number, Telegram
  chat) for some sites and/or a point and a radius, in a language.
- ``test_alarms``: scheduled siren tests; their siren commands and
  announcements are deliveries in the outbox, under the key prefix ``key``.

Built by migration ``0003_people``; same declarative base and naming
convention as :mod:`nadhir.store.models`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from nadhir.store.models import Base


class SubscriptionRow(Base):
    """One person's subscription."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_channel_address", "channel", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)  # the subscription's id, as people and tools name it
    channel: Mapped[str]  # sms | telegram
    address: Mapped[str]  # E.164 phone number or Telegram chat id
    lang: Mapped[str]  # ar | en
    sites: Mapped[list[Any]]  # [site id, ...]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    radius_m: Mapped[float | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None]


class TestAlarmRow(Base):
    """A scheduled, announced siren test."""

    __tablename__ = "test_alarms"
    __test__ = False  # not a pytest test class, whatever its name

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)  # key prefix of its outbox deliveries
    at: Mapped[datetime]  # when the sirens sound
    duration_s: Mapped[int] = mapped_column(Integer)
    sites: Mapped[list[Any]]  # [site id, ...]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None]
    sirens: Mapped[int] = mapped_column(Integer)  # siren commands planned
    announcements: Mapped[int] = mapped_column(Integer)  # announcements planned
    cancelled_at: Mapped[datetime | None]
