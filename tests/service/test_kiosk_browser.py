"""The kiosk's safety in a real browser (Debian's chromium, driven by Playwright): a real alert always
wins over a test, a lost connection covers the screen, the footer and the threat line are always there.

The browser, the page helper and the demo server are those of ``test_browser.py``; the demo (tracks
at 120 times real speed) serves the test of a threat's direction. The other tests run their own
plain services on the wall clock, where an alert lasts as long as the test needs, and the connection
test stops its server and starts a fresh one on the same port.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from service_helpers import TOKENS, Served, make_settings
from test_browser import Live, Page, browser, live

from nadhir.service.app import Service, create_app
from nadhir.service.feed import FEED, FeedMessage
from nadhir.service.settings import Settings

# test_browser's fixtures, found by pytest under these names: this module gets its own demo server.
SHARED_FIXTURES = (browser, live)

# Records every state the kiosk shows and every sound it starts, from now on (the page's own
# 250 ms render would hide a short flash of "test" from a test that only looked now and then).
RECORD = """() => {
  window.__seen = [];
  const note = () => window.__seen.push([document.body.dataset.state, document.body.dataset.sound,
    document.getElementById('headline-en').textContent]);
  new MutationObserver(note).observe(document.body, { attributes: true, subtree: true, childList: true,
    characterData: true });
  note();
}"""
SEEN = "() => window.__seen"


class Server(Served):
    """The service under uvicorn in a thread, on a port that can be used again after a stop."""

    def __init__(self, settings: Settings, port: int = 0) -> None:
        self.app = create_app(settings)
        super().__init__(self.app, port, grace_s=1)
        self.service: Service = self.app.state.service

    def api(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {TOKENS['operator'][1]}"}
        return httpx.request(method, self.base + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        super().stop()
        assert not self.thread.is_alive(), "server did not stop"


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.thread.is_alive():
            server.stop()


def _alert(
    server: Server, site: str, level: str = "imminent", aircraft: str = "jet", ahead_s: float = 60
) -> None:
    now = server.api("GET", "/api/v1/health").json()["clock"]
    body = {"level": level, "aircraft": aircraft, "eta_s": now + ahead_s}
    raised = server.api("POST", f"/api/v1/operator/sites/{site}/alert", json=body)
    assert raised.status_code == 200, raised.text


def _scheduled_test(server: Server, site: str) -> None:
    """A test alarm's message on the kiosk's feed, as the service sends it at a scheduled test's hour."""
    data = {"t": time.time(), "site": site, "by": "scheduled", "duration_s": 15, "scheduled": True}
    server.service.bus.publish(FEED, FeedMessage("test_alarm", data, site))


def test_a_test_alarm_never_shows_over_a_real_alert(
    browser: object, live: Live, servers: list[Server], tmp_path: Path
) -> None:
    site = "maarrat-misrin"
    server = Server(make_settings(tmp_path))
    servers.append(server)
    page = Page(browser, live)
    page.page.goto(f"{server.base}/kiosk/{site}")
    page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    _alert(server, site)
    page.page.wait_for_selector("body[data-state=imminent]", state="attached", timeout=15_000)
    page.page.evaluate(RECORD)
    # The server refuses the operator's test where a real alert is open, and names the site.
    refused = server.api("POST", f"/api/v1/operator/sites/{site}/test-alarm")
    assert refused.status_code == 409, refused.text
    assert site in refused.json()["detail"] and "imminent" in refused.json()["detail"]
    everywhere = server.api("POST", "/api/v1/operator/sites/all/test-alarm")
    assert everywhere.status_code == 409 and site in everywhere.json()["detail"]
    # A test that reaches the kiosk anyway (a scheduled test whose hour came as the alert opened):
    # the kiosk keeps the warning, its text and its siren.
    _scheduled_test(server, site)
    page.page.wait_for_timeout(1500)
    seen = page.page.evaluate(SEEN)
    assert seen and all(s == "imminent" and sound == "siren" for s, sound, _ in seen), seen
    assert all("TEST" not in headline for _, _, headline in seen), seen
    page.shot("kiosk-test-refused.png")
    assert page.errors == [] and page.external() == []
    page.page.close()


def test_a_real_alert_replaces_a_test_at_once(
    browser: object, live: Live, servers: list[Server], tmp_path: Path
) -> None:
    site = "kafr-takharim"
    server = Server(make_settings(tmp_path))
    servers.append(server)
    page = Page(browser, live)
    page.page.goto(f"{server.base}/kiosk/{site}")
    page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    _scheduled_test(server, site)
    page.page.wait_for_selector("body[data-state=test]", state="attached", timeout=5_000)
    assert page.page.get_attribute("body", "data-sound") == "test"
    page.page.evaluate(RECORD)
    _alert(server, site)
    # Well before the test's 8 s on screen are over: the alert takes the screen and the tone at once.
    page.page.wait_for_selector("body[data-state=imminent]", state="attached", timeout=4_000)
    page.wait_js("document.body.dataset.sound === 'siren'", timeout_s=2)
    page.page.wait_for_timeout(1000)
    seen = page.page.evaluate(SEEN)
    after = seen[next(i for i, s in enumerate(seen) if s[0] == "imminent") :]
    assert all(s == "imminent" for s, _, _ in after), after
    assert page.errors == [] and page.external() == []
    page.page.close()


WORDS = {
    "N": ("north", "الشمال"), "NE": ("north-east", "الشمال الشرقي"), "E": ("east", "الشرق"),
    "SE": ("south-east", "الجنوب الشرقي"), "S": ("south", "الجنوب"),
    "SW": ("south-west", "الجنوب الغربي"), "W": ("west", "الغرب"), "NW": ("north-west", "الشمال الغربي"),
}  # fmt: skip
KINDS = {
    "jet": ("Jet", "طيران حربي"),
    "helicopter": ("Helicopter", "طائرة مروحية"),
    "drone": ("Drone", "طائرة مسيّرة"),
}


def _threat_line(status: dict[str, object]) -> tuple[str, str] | None:
    """What the kiosk must say of a site's threat with a known type and direction, from its status."""
    aircraft, frm = status["aircraft"], status["from"]
    if not status["level"] or aircraft not in KINDS or frm not in WORDS:
        return None
    (kind_en, kind_ar), (from_en, from_ar) = KINDS[str(aircraft)], WORDS[str(frm)]
    return f"{kind_en} from the {from_en}", f"{kind_ar} من {from_ar}"


def test_the_kiosk_names_the_aircraft_and_its_direction(browser: object, live: Live) -> None:
    """A site the demo threatens from a track: the kiosk says what the server computed. The demo runs
    at 120 times real speed, so a threat may end while the test looks: it then looks at another."""
    page = Page(browser, live)
    agreed: tuple[str, str] | None = None
    deadline = time.monotonic() + 120
    while agreed is None and time.monotonic() < deadline:
        sites = live.api("GET", "/api/v1/sites").json()
        tracked = [s["id"] for s in sites if _threat_line(s["status"])]
        if not tracked:
            time.sleep(0.5)
            continue
        site = tracked[0]
        page.page.goto(f"{live.base}/kiosk/{site}")
        page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
        for _ in range(20):
            before = _threat_line(live.api("GET", f"/api/v1/sites/{site}").json()["status"])
            state = page.page.get_attribute("body", "data-state")
            lines = (page.page.inner_text("#threat-en"), page.page.inner_text("#threat-ar"))
            after = _threat_line(live.api("GET", f"/api/v1/sites/{site}").json()["status"])
            if state in ("early", "imminent") and lines in (before, after):
                agreed = lines
                page.shot("kiosk-threat-direction.png")
                break
            if before is None and after is None:
                break  # this threat is over (or lost its direction): look at another site
            page.page.wait_for_timeout(250)
    assert agreed is not None, "the kiosk never named a threat's aircraft and direction as the server did"
    assert page.errors == [] and page.external() == []


# ---- the connection: heartbeat, lost, back ---------------------------------------------------------


def _visible_footer(page: Page) -> bool:
    """The footer is inside the viewport and nothing covers it."""
    return bool(
        page.page.evaluate(
            """() => {
          const foot = document.getElementById('foot');
          const box = foot.getBoundingClientRect();
          if (box.height <= 0 || box.top < 0 || box.bottom > window.innerHeight) return false;
          const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
          return hit !== null && foot.contains(hit);
        }"""
        )
    )


def test_a_kiosk_that_loses_the_server_says_so_on_all_of_its_screen_and_recovers(
    browser: object, live: Live, servers: list[Server], tmp_path: Path
) -> None:
    site = "idlib-maternity-hospital"
    first = Server(make_settings(tmp_path / "first"))
    servers.append(first)
    kiosk = Page(browser, live)
    kiosk.page.set_viewport_size({"width": 800, "height": 600})  # a small tablet
    page = kiosk.page
    page.goto(f"{first.base}/kiosk/{site}")
    page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    assert page.is_hidden("#conn-lost")
    now = first.api("GET", "/api/v1/health").json()["clock"]
    raised = first.api(
        "POST",
        f"/api/v1/operator/sites/{site}/alert",
        json={"level": "imminent", "aircraft": "jet", "eta_s": now + 60},
    )
    assert raised.status_code == 200, raised.text
    page.wait_for_selector("body[data-state=imminent]", state="attached", timeout=15_000)
    assert _visible_footer(kiosk)  # a long alert screen on a small tablet: the footer is still there
    assert "connected" in page.inner_text("#conn")
    # The server goes away: within 10 s the whole screen says so, in both languages, with the fault tone.
    first.stop()
    stopped = time.monotonic()
    page.wait_for_selector("#conn-lost", state="visible", timeout=10_000)
    took = time.monotonic() - stopped
    assert took < 10.0, took
    lost = page.inner_text("#conn-lost")
    assert "Connection lost: warnings may not reach this screen. Follow your lookout and the siren" in lost
    assert "انقطع الاتصال: قد لا تصل الإنذارات إلى هذه الشاشة" in lost
    assert "TAKE SHELTER NOW" in page.inner_text("#conn-last")  # the warning in force stays in force
    assert page.get_attribute("body", "data-sound") == "fault"
    assert page.get_attribute("body", "data-conn") == "lost"
    assert "connection lost" in page.inner_text("#conn")
    assert _visible_footer(kiosk)
    kiosk.shot("kiosk-connection-lost.png")
    # It keeps saying so: still lost, the chime still going, several seconds on.
    page.wait_for_timeout(4000)
    assert page.is_visible("#conn-lost") and page.get_attribute("body", "data-sound") == "fault"
    # A fresh server on the same port, where the site is under an early warning: the kiosk comes back
    # by itself and shows the server's state (not the imminent alert from before the loss).
    second = Server(make_settings(tmp_path / "second"), port=first.port)
    servers.append(second)
    now = second.api("GET", "/api/v1/health").json()["clock"]
    early = second.api(
        "POST",
        f"/api/v1/operator/sites/{site}/alert",
        json={"level": "early", "aircraft": "drone", "eta_s": now + 1200},
    )
    assert early.status_code == 200, early.text
    page.wait_for_selector("#conn-lost", state="hidden", timeout=15_000)
    page.wait_for_selector("body[data-state=early]", state="attached", timeout=5_000)
    assert page.get_attribute("body", "data-conn") == "on"
    assert page.get_attribute("body", "data-sound") == "beeps"
    assert "Drone" in page.inner_text("#threat-en")
    assert kiosk.errors == [] and kiosk.external() == []
    page.close()


def test_the_footer_shows_the_sites_local_time_and_zone_in_every_state(
    browser: object, live: Live, servers: list[Server], tmp_path: Path
) -> None:
    site = "dana"
    server = Server(make_settings(tmp_path))
    servers.append(server)
    page = Page(browser, live)
    page.page.set_viewport_size({"width": 1024, "height": 600})
    page.page.goto(f"{server.base}/kiosk/{site}")
    page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    page.wait_js("document.getElementById('clock').textContent.length === 8")
    # The settings' alert_tz (Asia/Damascus unless set): the clock is the wall clock there.
    assert "Asia/Damascus (GMT+3)" in page.page.inner_text("#zone")
    shown = page.page.inner_text("#clock")
    local = datetime.now(ZoneInfo("Asia/Damascus"))
    at = datetime.strptime(shown, "%H:%M:%S").replace(year=local.year, month=local.month, day=local.day,
                                                      tzinfo=local.tzinfo)  # fmt: skip
    assert abs((local - at).total_seconds()) % 86400 < 5, (shown, local)
    assert _visible_footer(page)
    for level, ahead in (("early", 1200), ("imminent", 60)):
        now = server.api("GET", "/api/v1/health").json()["clock"]
        body = {"level": level, "aircraft": "jet", "eta_s": now + ahead}
        assert server.api("POST", f"/api/v1/operator/sites/{site}/alert", json=body).status_code == 200
        page.page.wait_for_selector(f"body[data-state={level}]", state="attached", timeout=15_000)
        assert _visible_footer(page), level
        assert server.api("POST", f"/api/v1/operator/sites/{site}/cancel").status_code == 200
        page.page.wait_for_selector("body[data-state=all_clear]", state="attached", timeout=15_000)
        assert _visible_footer(page)
    assert page.errors == []
    page.page.close()


def test_the_clock_follows_the_zone_the_settings_give(
    browser: object, live: Live, servers: list[Server], tmp_path: Path
) -> None:
    server = Server(make_settings(tmp_path, alert_tz="Europe/London"))
    servers.append(server)
    page = Page(browser, live)
    page.page.goto(f"{server.base}/kiosk/dana")
    page.wait_js("document.getElementById('zone').textContent.startsWith('Europe/London')")
    shown = page.page.inner_text("#clock")
    local = datetime.now(ZoneInfo("Europe/London"))
    at = datetime.strptime(shown, "%H:%M:%S").replace(year=local.year, month=local.month, day=local.day,
                                                      tzinfo=local.tzinfo)  # fmt: skip
    assert abs((local - at).total_seconds()) % 86400 < 5, (shown, local)
    page.page.close()


def test_every_kiosk_feed_carries_a_heartbeat(servers: list[Server], tmp_path: Path) -> None:
    server = Server(make_settings(tmp_path))
    servers.append(server)
    sent: list[float] = []  # the heartbeats' own times: when the server sent each
    started = time.monotonic()
    with httpx.stream("GET", f"{server.base}/api/v1/kiosk/dana/sse", timeout=10) as stream:
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "heartbeat":
                sent.append(json.loads(line.removeprefix("data: "))["t"])
            if len(sent) == 4 or time.monotonic() - started > 20:
                break
    assert len(sent) == 4, sent
    # Every 2 s, although the engine's clock messages keep the feed busy every second meanwhile.
    gaps = [b - a for a, b in pairwise(sent)]
    assert all(1.5 < gap < 3.0 for gap in gaps), gaps


def test_the_kiosk_says_plainly_what_it_does_not_know_of_the_threat(
    browser: object, live: Live, servers: list[Server], tmp_path: Path
) -> None:
    server = Server(make_settings(tmp_path))  # no demo: no track, so no direction
    servers.append(server)
    page = Page(browser, live)
    page.page.goto(f"{server.base}/kiosk/dana")
    page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    expected = {
        "jet": ("Jet, direction not known", "طيران حربي، الاتجاه غير معروف"),
        "unknown": ("Aircraft type and direction not known", "نوع الطائرة واتجاهها غير معروفين"),
    }
    for aircraft, (en, ar) in expected.items():
        now = server.api("GET", "/api/v1/health").json()["clock"]
        body = {"level": "imminent", "aircraft": aircraft, "eta_s": now + 60}
        assert server.api("POST", "/api/v1/operator/sites/dana/alert", json=body).status_code == 200
        page.page.wait_for_selector("body[data-state=imminent]", state="attached", timeout=15_000)
        status = server.api("GET", "/api/v1/sites/dana").json()["status"]
        assert (status["aircraft"], status["from"]) == (aircraft, None), status
        assert page.page.inner_text("#threat-en") == en
        assert page.page.inner_text("#threat-ar") == ar
        assert server.api("POST", "/api/v1/operator/sites/dana/cancel").status_code == 200
        page.page.wait_for_selector("body[data-state=all_clear]", state="attached", timeout=15_000)
    assert page.errors == []
    page.page.close()
