"""Messages through the Telegram Bot API."""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx

from nadhir.delivery.channels.http import (
    DEFAULT_WORKERS,
    outcome_for_exception,
    outcome_for_status,
    send_each,
)
from nadhir.delivery.states import Delivery, Outcome


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
            return outcome_for_exception(d.key, exc)
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
        return outcome_for_status(d.key, int(code), f"Telegram: {description}")

    def close(self) -> None:
        self.client.close()
