"""The kiosk's safety in a real browser (Debian's chromium, driven by Playwright): a real alert always
wins over a test, a lost connection covers the screen, the footer and the threat line are always there.

The demo server and the page helpers are those of ``test_browser.py``. The connection tests run
their own servers (plain wall-clock services), which they stop and start again on the same port.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from service_helpers import TOKENS, make_settings
from test_browser import Live, Page, browser, live

from nadhir.service.app import create_app
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


def _alert(live: Live, site: str, level: str = "imminent") -> None:
    now = live.api("GET", "/api/v1/health").json()["clock"]
    raised = live.api(
        "POST",
        f"/api/v1/operator/sites/{site}/alert",
        json={"level": level, "aircraft": "jet", "eta_s": now + 450},
    )
    assert raised.status_code == 200, raised.text


def _quiet(live: Live, site: str) -> None:
    if live.api("GET", f"/api/v1/sites/{site}").json()["status"]["level"]:
        assert live.api("POST", f"/api/v1/operator/sites/{site}/cancel").status_code == 200


def test_a_test_alarm_never_shows_over_a_real_alert(browser: object, live: Live) -> None:
    site = "maarrat-misrin"
    page = Page(browser, live)
    page.page.goto(f"{live.base}/kiosk/{site}")
    page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    _quiet(live, site)
    _alert(live, site)
    page.page.wait_for_selector("body[data-state=imminent]", state="attached", timeout=15_000)
    page.page.evaluate(RECORD)
    # The server refuses the operator's test where a real alert is open, and names the site.
    refused = live.api("POST", f"/api/v1/operator/sites/{site}/test-alarm")
    assert refused.status_code == 409, refused.text
    assert site in refused.json()["detail"] and "imminent" in refused.json()["detail"]
    everywhere = live.api("POST", "/api/v1/operator/sites/all/test-alarm")
    assert everywhere.status_code == 409 and site in everywhere.json()["detail"]
    # A test that reaches the kiosk anyway (a scheduled test whose hour came as the alert opened):
    # the kiosk keeps the warning, its text and its siren.
    data = {"t": time.time(), "site": site, "by": "scheduled", "duration_s": 15, "scheduled": True}
    live.service.bus.publish(FEED, FeedMessage("test_alarm", data, site))
    page.page.wait_for_timeout(1500)
    seen = page.page.evaluate(SEEN)
    assert seen and all(s == "imminent" and sound == "siren" for s, sound, _ in seen), seen
    assert all("TEST" not in headline for _, _, headline in seen), seen
    page.shot("kiosk-test-refused.png")
    assert page.errors == [] and page.external() == []


def test_a_real_alert_replaces_a_test_at_once(browser: object, live: Live) -> None:
    site = "kafr-takharim"
    page = Page(browser, live)
    page.page.goto(f"{live.base}/kiosk/{site}")
    page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    _quiet(live, site)
    data = {"t": time.time(), "site": site, "by": "scheduled", "duration_s": 15, "scheduled": True}
    live.service.bus.publish(FEED, FeedMessage("test_alarm", data, site))
    page.page.wait_for_selector("body[data-state=test]", state="attached", timeout=5_000)
    assert page.page.get_attribute("body", "data-sound") == "test"
    page.page.evaluate(RECORD)
    _alert(live, site)
    # Well before the test's 8 s on screen are over: the alert takes the screen and the tone at once.
    page.page.wait_for_selector("body[data-state=imminent]", state="attached", timeout=4_000)
    page.wait_js("document.body.dataset.sound === 'siren'", timeout_s=2)
    page.page.wait_for_timeout(1000)
    seen = page.page.evaluate(SEEN)
    after = seen[next(i for i, s in enumerate(seen) if s[0] == "imminent") :]
    assert all(s == "imminent" for s, _, _ in after), after
    _quiet(live, site)
    assert page.errors == [] and page.external() == []


def test_the_kiosk_names_the_aircraft_and_its_direction(browser: object, live: Live) -> None:
    page = Page(browser, live)
    # A site the demo threatens from a track: the direction is the server's, as the API gives it.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        sites = live.api("GET", "/api/v1/sites").json()
        tracked = [
            s for s in sites if s["status"]["level"] and s["status"]["from"] and s["status"]["aircraft"]
        ]
        if tracked:
            break
        time.sleep(1)
    assert tracked, "the demo threatened no site from a known direction"
    other = tracked[0]
    page.page.goto(f"{live.base}/kiosk/{other['id']}")
    page.page.wait_for_selector("body[data-conn=on]", state="attached", timeout=15_000)
    page.page.wait_for_selector("#countdown-box", state="visible", timeout=15_000)
    words = {
        "N": ("north", "الشمال"), "NE": ("north-east", "الشمال الشرقي"), "E": ("east", "الشرق"),
        "SE": ("south-east", "الجنوب الشرقي"), "S": ("south", "الجنوب"),
        "SW": ("south-west", "الجنوب الغربي"), "W": ("west", "الغرب"), "NW": ("north-west", "الشمال الغربي"),
    }  # fmt: skip
    kinds = {
        "jet": ("Jet", "طيران حربي"),
        "helicopter": ("Helicopter", "طائرة مروحية"),
        "drone": ("Drone", "طائرة مسيّرة"),
    }
    # The demo moves on: look until the page and the API are seen to agree (the page keeps up in a second).
    lines: tuple[str, str] = ("", "")
    expected: tuple[str, str] | None = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and lines != expected:
        status = live.api("GET", f"/api/v1/sites/{other['id']}").json()["status"]
        page.page.wait_for_timeout(700)
        lines = (page.page.inner_text("#threat-en"), page.page.inner_text("#threat-ar"))
        if status["level"] and status["from"] in words and status["aircraft"] in kinds:
            (kind_en, kind_ar), (from_en, from_ar) = kinds[status["aircraft"]], words[status["from"]]
            expected = (f"{kind_en} from the {from_en}", f"{kind_ar} من {from_ar}")
    assert lines == expected, (lines, expected)
    page.shot("kiosk-threat-direction.png")
    assert page.errors == [] and page.external() == []


# ---- the connection: heartbeat, lost, back ---------------------------------------------------------


class Server:
    """The service under uvicorn in a thread, on a port that can be used again after a stop."""

    def __init__(self, settings: Settings, port: int = 0) -> None:
        self.app = create_app(settings)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "server did not start"
        self.port: int = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {TOKENS['operator'][1]}"}
        return httpx.request(method, self.base + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        assert not self.thread.is_alive(), "server did not stop"


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.thread.is_alive():
            server.stop()


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
    beats: list[float] = []
    started = time.monotonic()
    with httpx.stream("GET", f"{server.base}/api/v1/kiosk/dana/sse", timeout=10) as stream:
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "heartbeat":
                beats.append(time.monotonic() - started)
            if len(beats) == 3 or time.monotonic() - started > 9:
                break
    assert len(beats) == 3, beats
    assert all(b - a < 3.0 for a, b in zip([0.0, *beats], beats, strict=False)), beats


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
