"""The SMS-gateway webhook: ``POST /api/v1/intake/sms`` takes one observer's text message.

The gateway posts a form (``application/x-www-form-urlencoded``) or a JSON
object with ``from`` (the sender's number), ``text`` and optionally
``timestamp`` (POSIX seconds or milliseconds, or ISO 8601; the time of arrival
otherwise). It signs the raw body with HMAC-SHA256 under a shared secret and
sends the hex digest in ``X-Nadhir-Signature`` (``sha256=`` in front is
accepted). Known numbers map to observer ids; the message becomes a
:class:`~nadhir.domain.Report` (``channel="sms"``) handed to ``submit``::

    app.include_router(sms_router(engine.submit, secret, {"+963933000001": "obs-3"}))

A message that a field-report reader claims (a facility's status, a ward's
outcomes, a displacement site's figures: :mod:`nadhir.intake.field_reports`)
is taken by that reader instead, and the answer carries the confirmation in
``reply`` for the gateway to send back.

Answers: 202 accepted, 401 bad or missing signature, 403 unknown number,
413 too large, 422 empty text, a bad field or a field report that cannot be
taken (``reply`` says why), 503 intake busy.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from nadhir.domain import Report
from nadhir.domain.validation import InvalidInput, load_json
from nadhir.intake.field_reports import FieldReports
from nadhir.service.live import EngineBusy

log = logging.getLogger(__name__)

PATH = "/api/v1/intake/sms"
SIGNATURE_HEADER = "X-Nadhir-Signature"
CHANNEL = "sms"


class SmsAccepted(BaseModel):
    """The answer to a gateway whose message was taken (the shape of ``POST /api/v1/intake/sms``)."""

    reporter: str = Field(description="The observer the sender's number belongs to")
    channel: str = Field(description="Always sms")
    t: float = Field(description="The message's time, POSIX seconds")
    kind: str = Field("sighting", description="sighting, or the field report's kind")
    reply: str | None = Field(None, description="For a field report: the confirmation to send back")


MAX_BODY_BYTES = 16 * 1024
MAX_TEXT = 1600  # a long concatenated SMS


def sign(secret: str | bytes, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` under ``secret``: what the gateway puts in the header."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def normalise_number(number: str) -> str:
    """``"00963 933-000 001"`` -> ``"+963933000001"``: digits only, with ``+`` for international."""
    number = number.strip()
    digits = re.sub(r"\D", "", number)
    if number.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def _timestamp(value: Any, now: float) -> float:
    if value is None or value == "":
        return now
    if isinstance(value, bool):
        raise ValueError("timestamp must be a number or ISO 8601")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)
            return dt.timestamp()
    if not isinstance(value, int | float):
        raise ValueError("timestamp must be a number or ISO 8601")
    t = float(value)
    if t > 1e11:  # milliseconds, as many gateways send
        t /= 1000.0
    if t != t or t < 0:
        raise ValueError("timestamp out of range")
    return t


def _fields(body: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        try:
            obj = load_json(body)  # the shared rules: bounded nesting, no NaN or Infinity
        except InvalidInput as exc:
            status = 400 if exc.rule.startswith(("not JSON", "not UTF-8")) else 422
            raise HTTPException(status, f"body: {exc.rule}") from exc
        if not isinstance(obj, dict):
            raise HTTPException(422, "the body must be a JSON object")
        return obj
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "body is not UTF-8") from exc


def sms_router(
    submit: Callable[[Report], object],
    shared_secret: str,
    numbers: Mapping[str, str],
    *,
    clock: Callable[[], float] = time.time,
    max_future_s: float = 30.0,
    field_reports: FieldReports | None = None,
) -> APIRouter:
    """A router with ``POST /api/v1/intake/sms``; ``numbers`` maps phone numbers to observer ids.

    ``field_reports`` are asked first; a message none of them claims is a sighting for ``submit``.
    """
    if not shared_secret:
        raise ValueError("the SMS webhook needs a shared secret")
    secret = shared_secret.encode()
    observers = {normalise_number(n): obs for n, obs in numbers.items()}
    router = APIRouter(tags=["intake"])

    @router.post(
        PATH,
        status_code=202,
        response_model=SmsAccepted,
        summary="Take one observer's SMS from the gateway (HMAC-SHA256 signed)",
        responses={
            401: {"description": "Missing or wrong signature"},
            403: {"description": "The sender's number belongs to no observer"},
            422: {"description": "Empty text or a bad field"},
            503: {"description": "Intake is overloaded; retry"},
        },
    )
    async def intake_sms(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"body larger than {MAX_BODY_BYTES} bytes")
        given = request.headers.get(SIGNATURE_HEADER, "").strip()
        if given.lower().startswith("sha256="):
            given = given[len("sha256=") :]
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        if not given or not hmac.compare_digest(given.lower().encode(), expected.encode()):
            raise HTTPException(401, f"missing or wrong {SIGNATURE_HEADER} (HMAC-SHA256 of the body)")
        fields = _fields(body, request.headers.get("content-type", ""))
        sender = fields.get("from")
        if not isinstance(sender, str) or not sender.strip():
            raise HTTPException(422, "from (the sender's number) is required")
        observer = observers.get(normalise_number(sender))
        if observer is None:
            log.info("sms: message from unknown number %s refused", sender)
            raise HTTPException(403, f"number {sender} is not registered to an observer")
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip():
            raise HTTPException(422, "text is empty")
        now = clock()
        try:
            t = _timestamp(fields.get("timestamp"), now)
        except (ValueError, OverflowError, OSError) as exc:
            raise HTTPException(422, f"invalid timestamp: {exc}") from exc
        if t > now + max_future_s:
            raise HTTPException(422, f"timestamp is {t - now:.0f} s in the future (gateway clock wrong?)")
        if field_reports is not None:
            reply = field_reports.route(observer, text.strip()[:MAX_TEXT], t)
            if reply is not None:
                answer = {
                    "reporter": observer,
                    "channel": CHANNEL,
                    "t": t,
                    "kind": reply.kind,
                    "reply": reply.text,
                }
                if not reply.accepted:
                    return JSONResponse({"detail": reply.text, **answer}, status_code=422)
                return JSONResponse(answer, status_code=202)
        report = Report(t=t, reporter=observer, channel=CHANNEL, text=text.strip()[:MAX_TEXT])
        try:
            submit(report)
        except EngineBusy as exc:
            busy = "intake is overloaded; retry shortly"
            raise HTTPException(503, busy, headers={"Retry-After": "1"}) from exc
        return JSONResponse(
            {"reporter": observer, "channel": CHANNEL, "t": t, "kind": "sighting"}, status_code=202
        )

    return router
