"""SMS through an HTTP gateway."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from nadhir.delivery.channels.http import (
    DEFAULT_WORKERS,
    outcome_for_exception,
    outcome_for_status,
    send_each,
)
from nadhir.delivery.states import Delivery, Outcome


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
            return outcome_for_exception(d.key, exc)
        return outcome_for_status(d.key, r.status_code, r.text[:200])

    def close(self) -> None:
        self.client.close()
