"""Delivery channels for people and partners: signed webhooks, an SMS gateway, the Telegram Bot API.

Each channel sends claimed outbox deliveries (:class:`nadhir.delivery.outbox.Delivery`)
and says at once what became of each: ``acked`` on success, ``failed`` when
retrying cannot help (the recipient does not exist, the request is refused),
``error`` when a later attempt may succeed (timeouts, 5xx, rate limits).

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
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from nadhir.delivery.outbox import Delivery, Outcome

SIGNATURE_HEADER = "X-Nadhir-Signature"
DELIVERY_HEADER = "X-Nadhir-Delivery"
DEFAULT_TOLERANCE_S = 300.0
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def _outcome_for_status(key: str, status: int, detail: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome(key, "acked", f"HTTP {status}")
    if status >= 500 or status in RETRYABLE_STATUS:
        return Outcome(key, "error", f"HTTP {status}: {detail}"[:300])
    return Outcome(key, "failed", f"HTTP {status}: {detail}"[:300])


def _outcome_for_exception(key: str, exc: Exception) -> Outcome:
    return Outcome(key, "error", f"{type(exc).__name__}: {exc}"[:300])


DEFAULT_WORKERS = 1  # one request at a time unless asked (the live service asks for more)


def send_each(batch: Sequence[Delivery], one: Callable[[Delivery], Outcome], workers: int) -> list[Outcome]:
    """``one`` for every delivery, ``workers`` HTTP requests at a time (in order of the batch).

    Each request waits mostly on the network: a few in flight multiply the
    rate at which a fan-out of thousands leaves, within what gateways allow
    (those that refuse more answer 429, which is retried).
    """
    if workers <= 1 or len(batch) <= 1:
        return [one(d) for d in batch]
    with ThreadPoolExecutor(max_workers=min(workers, len(batch))) as pool:
        return list(pool.map(one, batch))


# ---- webhooks -----------------------------------------------------------------


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
            return _outcome_for_exception(d.key, exc)
        return _outcome_for_status(d.key, r.status_code, r.text[:200])

    def close(self) -> None:
        self.client.close()


# ---- SMS through an HTTP gateway ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmsGatewayConfig:
    """How to call an SMS gateway's HTTP API.

    ``fields`` is the request body template: each value may use ``{to}``,
    ``{text}``, ``{key}`` (the idempotency key) and ``{sender}``. It is sent as
    JSON (``body="json"``) or as a form (``body="form"``). ``headers`` are
    added as given (for example ``Authorization: Bearer ...``).
    """

    url: str
    fields: Mapping[str, str] = field(default_factory=lambda: {"to": "{to}", "text": "{text}", "id": "{key}"})
    body: str = "json"
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    sender: str = "NADHIR"
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.body not in ("json", "form"):
            raise ValueError(f"SMS gateway body must be 'json' or 'form', not {self.body!r}")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"SMS gateway URL must be http(s): {self.url!r}")
        for name, template in self.fields.items():
            try:
                template.format(to="", text="", key="", sender="")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"SMS gateway field {name!r}: bad template {template!r} ({exc})") from exc


class SmsChannel:
    """Sends SMS through the configured gateway; the delivery's target is the phone number.

    The payload is JSON ``{"text": ...}``; a gateway answer of 2xx acknowledges it.
    """

    def __init__(self, config: SmsGatewayConfig, *, client: httpx.Client | None = None,
                 workers: int = DEFAULT_WORKERS) -> None:  # fmt: skip
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout_s)
        self.workers = workers

    def request_fields(self, d: Delivery) -> dict[str, str]:
        text = json.loads(d.payload)["text"]
        values = {"to": d.target, "text": text, "key": d.key, "sender": self.config.sender}
        return {name: template.format(**values) for name, template in self.config.fields.items()}

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        return send_each(batch, self._send_one, self.workers)

    def _send_one(self, d: Delivery) -> Outcome:
        cfg = self.config
        try:
            fields = self.request_fields(d)
        except (ValueError, KeyError, TypeError) as exc:
            return Outcome(d.key, "failed", f"bad SMS payload: {exc}")
        kwargs: dict[str, Any] = {"json": fields} if cfg.body == "json" else {"data": fields}
        try:
            r = self.client.request(cfg.method, cfg.url, headers=dict(cfg.headers), **kwargs)
        except httpx.HTTPError as exc:
            return _outcome_for_exception(d.key, exc)
        return _outcome_for_status(d.key, r.status_code, r.text[:200])

    def close(self) -> None:
        self.client.close()


# ---- Telegram Bot API ------------------------------------------------------------------


class TelegramChannel:
    """``sendMessage`` through the Telegram Bot API to a channel (``@name`` or ``-100...``) or a subscriber.

    The delivery's target is the ``chat_id``; the payload is JSON ``{"text": ...}``.
    An answer ``{"ok": true}`` acknowledges it; 429 (too many requests) and
    5xx are retried; 400/403 (chat not found, bot blocked by the user) fail.
    """

    def __init__(self, token: str, *, api_base: str = "https://api.telegram.org", timeout_s: float = 10.0,
                 client: httpx.Client | None = None, workers: int = DEFAULT_WORKERS) -> None:  # fmt: skip
        if not token or "/" in token:
            raise ValueError("a Telegram bot token is needed (as given by @BotFather)")
        self.url = f"{api_base.rstrip('/')}/bot{token}/sendMessage"
        self.client = client or httpx.Client(timeout=timeout_s)
        self.workers = workers

    def send(self, batch: Sequence[Delivery]) -> list[Outcome]:
        return send_each(batch, self._send_one, self.workers)

    def _send_one(self, d: Delivery) -> Outcome:
        try:
            text = json.loads(d.payload)["text"]
        except (ValueError, KeyError, TypeError) as exc:
            return Outcome(d.key, "failed", f"bad Telegram payload: {exc}")
        body = {"chat_id": d.target, "text": text, "disable_web_page_preview": True}
        try:
            r = self.client.post(self.url, json=body)
            answer = r.json()
        except httpx.HTTPError as exc:
            return _outcome_for_exception(d.key, exc)
        except ValueError:
            return Outcome(d.key, "error", f"HTTP {r.status_code}: answer is not JSON")
        if isinstance(answer, dict) and answer.get("ok") is True:
            message_id = (answer.get("result") or {}).get("message_id")
            return Outcome(d.key, "acked", f"message {message_id}")
        code = answer.get("error_code", r.status_code) if isinstance(answer, dict) else r.status_code
        description = answer.get("description", "") if isinstance(answer, dict) else ""
        if code == 429:
            retry = (
                ((answer.get("parameters") or {}).get("retry_after")) if isinstance(answer, dict) else None
            )
            return Outcome(d.key, "error", f"Telegram 429: retry after {retry} s")
        return _outcome_for_status(d.key, int(code), f"Telegram: {description}")

    def close(self) -> None:
        self.client.close()
