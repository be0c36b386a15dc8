"""Tables of the durable alert outbox (see :mod:`nadhir.delivery.outbox`).

- ``outbox_alerts``: every alert, stored before anything is sent for it.
- ``outbox_deliveries``: one row per message to one recipient on one channel
  (a siren command, an SMS, a Telegram post, a webhook call), with its
  idempotency key, state, attempts and next attempt time.
- ``outbox_audit``: an append-only log of everything that happened to each
  delivery (stored, attempt, acknowledged, duplicate, error, expired).

Built by migration ``0002_outbox``; same declarative base and naming
convention as :mod:`nadhir.store.models`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from nadhir.store.models import Base


class OutboxAlertRow(Base):
    """An alert as it entered the outbox."""

    __tablename__ = "outbox_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(unique=True)  # stable identity of the alert
    t: Mapped[datetime]
    action: Mapped[str]
    site: Mapped[str]
    level: Mapped[str]
    threat: Mapped[str]
    eta: Mapped[datetime | None]
    confidence: Mapped[float]
    track: Mapped[str | None]
    stored_at: Mapped[datetime]
    cap: Mapped[str | None] = mapped_column(Text)  # the CAP 1.2 XML, when rendered


class OutboxDeliveryRow(Base):
    """One message to one recipient; retried until acknowledged, failed for good, or expired."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (Index("ix_outbox_deliveries_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("outbox_alerts.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(unique=True)  # idempotency key, the same on every attempt
    channel: Mapped[str]
    target: Mapped[str]
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str]  # pending, sent, acked, failed, expired
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxAuditRow(Base):
    """One thing that happened to one delivery."""

    __tablename__ = "outbox_audit"
    __table_args__ = (Index("ix_outbox_audit_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str]
    at: Mapped[datetime]
    event: Mapped[str]  # stored, attempt, sent, acked, duplicate, error, retry, failed, expired
    attempt: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
