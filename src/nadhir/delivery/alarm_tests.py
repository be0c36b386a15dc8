"""Test alarms: a scheduled, announced siren test, planned as deliveries for the outbox; and the rule
that a test never sounds where a real alert is open (:class:`TestsUnderAlert`)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping

from nadhir.delivery.states import Delivery, NewDelivery
from nadhir.domain import Site
from nadhir.domain.people import Language
from nadhir.domain.timefmt import utc_datetime
from nadhir_siren.protocol import LineError, SirenCommand, parse_line


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


class TestsUnderAlert:
    """A siren test is not sounded where a real alert is open: the people there would hear "test,
    no danger" over a warning that is real. The test is skipped (not played later: it was announced
    for its hour) and the reason is given.

    ``alerts_open()`` gives the sites under alert now with their level (the live policy's open
    episodes). A siren counts as at every site that lists it.
    """

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self, sites: Iterable[Site], alerts_open: Callable[[], Mapping[str, str]]) -> None:
        self.alerts_open = alerts_open
        self.sites_of_siren: dict[str, list[str]] = {}
        for site in sites:
            for siren in site.sirens:
                self.sites_of_siren.setdefault(siren, []).append(site.id)

    def sites_under_alert(self, site_ids: Iterable[str]) -> dict[str, str]:
        """Of these sites, those under a real alert now, with its level."""
        open_now = self.alerts_open()
        return {s: open_now[s] for s in site_ids if s in open_now}

    def siren_reason(self, siren: str) -> str | None:
        """Why a test must not sound on this siren now, or None."""
        under = self.sites_under_alert(self.sites_of_siren.get(siren, ()))
        if not under:
            return None
        named = ", ".join(f"{s} ({level})" for s, level in sorted(under.items()))
        return f"test not sounded: a real alert is open at {named}"

    def reason(self, delivery: Delivery) -> str | None:
        """Why this delivery must not be sent (a siren test where a real alert is open), or None.
        A screen for the siren dispatcher: anything but a siren's ``test`` command passes."""
        if delivery.channel != "siren":
            return None
        try:
            line = parse_line(delivery.payload)
        except LineError:
            return None  # not for this rule to judge: the siren answers ``bad``
        if not isinstance(line, SirenCommand) or line.pattern != "test":
            return None
        return self.siren_reason(delivery.target)
