"""A delivery's life, as records: what is stored, what is claimed, what became of it, and the backoff.

A delivery is one message to one recipient on one channel, with an
idempotency key that stays the same on every attempt. Its life:

``pending`` --claim--> ``sent`` --ack--> ``acked``
                         |  \\--no ack by the next attempt time--> claimed again (backoff doubles)
                         |--permanent error--> ``failed``
                         \\--past its expiry when due--> ``expired``

The transitions are made in the database by :class:`nadhir.delivery.outbox.Outbox`;
this module holds the states, the outcomes that move a delivery between
them, and the alert's identity and deliverable form. No I/O.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, replace
from typing import Literal

from nadhir.domain import Alert
from nadhir.domain.timefmt import MAX_TIME

DeliveryState = Literal["pending", "sent", "acked", "failed", "expired", "cancelled"]
OPEN_STATES: tuple[DeliveryState, ...] = ("pending", "sent")
OutcomeKind = Literal["acked", "duplicate", "error", "failed", "expired", "cancelled"]


def deliverable(alert: Alert) -> Alert:
    """The alert with times every channel can write, or ValueError if it has no time of its own.

    An arrival time that is not a number is dropped (the alert goes out without one); one beyond
    the dates a message can carry is held at the last of them (:data:`~nadhir.domain.timefmt.MAX_TIME`),
    one before the POSIX epoch at the epoch (nothing here happened before it). The policy's
    decision (site, level, action) is never changed: only how its times are written.
    """
    if not math.isfinite(alert.t):
        raise ValueError(f"alert for {alert.site!r} has no valid time ({alert.t!r})")
    eta = alert.eta
    if eta is None or 0.0 <= eta <= MAX_TIME:
        return alert
    return replace(alert, eta=None if math.isnan(eta) else min(MAX_TIME, max(0.0, eta)))


def alert_identity(alert: Alert) -> str:
    """What an alert is, for its idempotency keys: its site's episode, its number in it, its decision.

    An alert from the policy carries its episode (the start time) and its number in that episode;
    those, with the site, the action and the level, name it. They are what an engine that takes
    over re-derives from the last snapshot and the stream: the alert's own time can move by a tick,
    its track can be numbered anew and its arrival estimate can shift, and none of them is in the
    identity, so the re-derived alert's deliveries have the keys already stored and already played
    (a siren keeps the keys it has played). The action and level are in it: were the re-derived
    alert a different decision, it is a new message and goes out. An alert without an episode
    (read back from a file) is named by its time and content, as before.
    """
    if alert.episode is not None:
        return f"{alert.site}|ep={alert.episode!r}|#{alert.seq}|{alert.action}|{alert.level}"
    return f"{alert.site}|{alert.t!r}|{alert.action}|{alert.level}|{alert.threat}|{alert.track}"


def alert_key(alert: Alert) -> str:
    """The stable identity of an alert (storing the same alert twice stores it once); see
    :func:`alert_identity`."""
    return "alert-" + hashlib.sha256(alert_identity(alert).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay after attempt ``n`` before the next: ``initial * factor**(n-1)``, capped, with jitter."""

    initial_s: float = 1.0
    factor: float = 2.0
    max_s: float = 60.0
    jitter: float = 0.1  # +- this share, so that many retries do not arrive together

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        base = min(self.max_s, self.initial_s * self.factor ** max(0, attempt - 1))
        if self.jitter <= 0:
            return base
        r = (rng or random).uniform(-self.jitter, self.jitter)
        return base * (1.0 + r)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to store: channel, recipient, idempotency key, payload, when to give up (and not to
    start before, for scheduled messages such as test alarms)."""

    channel: str
    target: str
    key: str
    payload: str
    expires: float  # POSIX seconds
    not_before: float | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed delivery, ready to send (``attempt`` counts this attempt)."""

    id: int
    key: str
    channel: str
    target: str
    payload: str
    attempt: int
    expires: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a delivery: acked, duplicate (acked before), error (retry), failed, expired,
    cancelled (not to be sent: a siren test at a site under alert)."""

    key: str
    kind: OutcomeKind
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """A delivery as stored, for inspection."""

    key: str
    channel: str
    target: str
    state: DeliveryState
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    key: str
    at: float
    event: str
    attempt: int
    detail: str | None


_DONE_STATE: dict[OutcomeKind, DeliveryState] = {
    "acked": "acked",
    "duplicate": "acked",
    "failed": "failed",
    "expired": "expired",
    "cancelled": "cancelled",
}
