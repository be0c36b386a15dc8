"""Test alarms: a scheduled, announced siren test, planned as deliveries for the outbox."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterable

from nadhir.delivery.states import NewDelivery
from nadhir.domain import Site
from nadhir.domain.people import Language
from nadhir.domain.timefmt import utc_datetime
from nadhir_siren.protocol import SirenCommand


def test_alarm_key(sites: Iterable[Site], at: float) -> str:
    """The key prefix of a test alarm's deliveries: its time and its sites (so that two tests at the
    same time for different sites are both kept, and the same test planned twice is stored once)."""
    stamp = utc_datetime(round(at)).strftime("%Y%m%dT%H%M%SZ")
    ids = "|".join(sorted(s.id for s in sites))
    return f"test-{stamp}-{hashlib.sha256(ids.encode()).hexdigest()[:8]}"


def plan_test_alarm(
    sites: Iterable[Site],
    at: float,
    *,
    duration_s: int = 15,
    announce_to: Iterable[tuple[str, str]] = (),
    people: Iterable[tuple[str, str, Language]] = (),
    tz: str = "Asia/Damascus",
    now: float | None = None,
) -> list[NewDelivery]:
    """A scheduled, announced siren test: the announcement goes out now, the sirens sound at ``at``.

    Every siren of the given sites gets a ``test`` command due at ``at`` (it
    may start up to 5 minutes late, never earlier); ``announce_to`` lists
    ``(channel, target)`` pairs (a Telegram channel, a partner's webhook, ...)
    that are told in Arabic and English when the test will sound and that no
    action is needed; ``people`` lists ``(channel, address, language)`` of
    subscribers, told in their language (an SMS within the segment limit).
    Keys depend only on the sites, the time and the recipient, so planning
    the same test twice stores it once.
    """
    from nadhir.alerting.text import TextConfig, test_alarm_text

    now = time.time() if now is None else now
    if at < now:
        raise ValueError("a test alarm cannot be scheduled in the past")
    if not 1 <= duration_s <= 300:
        raise ValueError("a test alarm lasts 1 to 300 seconds")
    site_list = list(sites)
    if not site_list:
        raise ValueError("a test alarm needs at least one site")
    key_base = test_alarm_key(site_list, at)
    out: list[NewDelivery] = []
    for site in site_list:
        for siren in site.sirens:
            cmd = SirenCommand(
                f"{key_base}-{siren}"[:96], "test", duration_s, math.floor(at), math.floor(at) + 300
            )
            out.append(NewDelivery("siren", siren, cmd.key, cmd.encode(), cmd.expires, not_before=at))
    cfg = TextConfig(tz=tz)
    about = {"at": round(at), "duration_s": duration_s, "sites": [s.id for s in site_list]}

    def payload(text: str) -> str:
        return json.dumps({"text": text, "test_alarm": about}, ensure_ascii=False)

    def key(channel: str, target: str) -> str:
        return f"{key_base}-announce-{hashlib.sha256(f'{channel}|{target}'.encode()).hexdigest()[:12]}"

    full = {lang: test_alarm_text(site_list, at, duration_s, lang, cfg, sms=False) for lang in ("ar", "en")}
    bilingual = payload(f"{full['ar']}\n\n{full['en']}")
    for channel, target in announce_to:
        out.append(NewDelivery(channel, target, key(channel, target), bilingual, at))
    for channel, address, lang in people:
        text = test_alarm_text(site_list, at, duration_s, lang, cfg, sms=channel == "sms")
        out.append(NewDelivery(channel, address, key(channel, address), payload(text), at))
    return out
