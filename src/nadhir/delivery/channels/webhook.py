"""Signed webhooks to partners.

Webhooks are signed with HMAC-SHA256 over ``TIMESTAMP.BODY``::

    X-Nadhir-Signature: t=1746155144,v1=5f0c...e1
    X-Nadhir-Delivery: <idempotency key, the same on every retry>

A partner verifies with :func:`verify_signature`: the timestamp must be within
the tolerance (default 5 minutes) of its clock, the signature must match, and
(with a :class:`ReplayGuard`) a signature seen before within the window is a
replay and is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx

from nadhir.delivery.channels.http import (
    DEFAULT_WORKERS,
    outcome_for_exception,
    outcome_for_status,
    send_each,
)
from nadhir.delivery.states import Delivery, Outcome

SIGNATURE_HEADER = "X-Nadhir-Signature"
DELIVERY_HEADER = "X-Nadhir-Delivery"
DEFAULT_TOLERANCE_S = 300.0


class SignatureError(ValueError):
    """A webhook request whose signature does not hold (bad, stale, replayed or missing)."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``TIMESTAMP.BODY`` under ``secret``."""
    return hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, timestamp: int, body: bytes) -> str:
    """The value of the ``X-Nadhir-Signature`` header."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


class ReplayGuard:
    """Signatures already accepted within the tolerance window (older ones are forgotten). Thread-safe."""

    def __init__(self, window_s: float = DEFAULT_TOLERANCE_S) -> None:
        self.window_s = window_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def check_and_remember(self, signature: str, timestamp: float, now: float) -> None:
        with self._lock:
            if len(self._seen) > 1000:
                old = now - 2 * self.window_s
                self._seen = {s: t for s, t in self._seen.items() if t >= old}
            if signature in self._seen:
                raise SignatureError("replayed request: this signature was already accepted")
            self._seen[signature] = timestamp


def verify_signature(
    secrets: bytes | Sequence[bytes],
    header: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    guard: ReplayGuard | None = None,
) -> int:
    """Check a webhook request; returns its timestamp or raises :class:`SignatureError` saying why.

    ``secrets`` may list several (current and previous) to allow rotating the secret.
    """
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, eq, value = item.strip().partition("=")
        if not eq:
            raise SignatureError(f"malformed {SIGNATURE_HEADER} header")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError) as exc:
        raise SignatureError(f"{SIGNATURE_HEADER} header has no valid t= timestamp") from exc
    given = parts.get("v1", [])
    if not given:
        raise SignatureError(f"{SIGNATURE_HEADER} header has no v1= signature")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError(
            f"timestamp {timestamp} is {now - timestamp:+.0f} s from now, beyond ±{tolerance_s:.0f} s"
        )
    keys = [secrets] if isinstance(secrets, bytes) else list(secrets)
    expected = [sign(k, timestamp, body) for k in keys]
    match = next((g for g in given for e in expected if hmac.compare_digest(g, e)), None)
    if match is None:
        raise SignatureError("signature does not match the body and timestamp")
    if guard is not None:
        guard.check_and_remember(match, timestamp, now)
    return timestamp


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner that receives webhooks."""

    url: str
    secret: bytes


class WebhookChannel:
    """POSTs each delivery's payload (JSON) to its partner's URL, signed; 2xx acknowledges it."""

    def __init__(
        self,
        partners: Mapping[str, Partner],
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        client: httpx.Client | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.partners = dict(partners)
        self.clock = clock
        self.client = client or httpx.Client(timeout=timeout_s)
        self.workers = workers

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        return send_each(batch, self._send_one, self.workers)

    def _send_one(self, d: Delivery) -> Outcome:
        partner = self.partners.get(d.target)
        if partner is None:
            return Outcome(d.key, "failed", f"no webhook partner {d.target!r}")
        body = d.payload.encode("utf-8")
        ts = int(self.clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature_header(partner.secret, ts, body),
            DELIVERY_HEADER: d.key,
        }
        try:
            r = self.client.post(partner.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return outcome_for_exception(d.key, exc)
        return outcome_for_status(d.key, r.status_code, r.text[:200])

    def close(self) -> None:
        self.client.close()
