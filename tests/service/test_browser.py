"""The console, kiosk and replay viewer in a real browser (Debian's chromium, driven by Playwright).

The server is the real thing: uvicorn on a loopback port running ``nadhir serve --demo``'s app,
replaying the bundled scenario through live intake. Screenshots go to ``test-artifacts/``.
Without chromium these tests skip, or fail when ``NADHIR_REQUIRE_SERVICES=1`` (CI installs it).
"""

from __future__ import annotations

import math
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from service_helpers import TOKENS, make_settings, serving

from nadhir.service import live as live_engine
from nadhir.service.app import DemoOptions, Service, create_app
from services import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SPEED = 120.0

playwright_sync = pytest.importorskip("playwright.sync_api")


@dataclass
class Live:
    base: str
    operator: str
    service: Service

    def api(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.operator}"}
        return httpx.request(method, self.base + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    settings = make_settings(tmp_path_factory.mktemp("browser"))
    app = create_app(settings, demo=DemoOptions(speed=SPEED))
    with serving(app) as base:
        yield Live(base, TOKENS["operator"][1], app.state.service)


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Page:
    """A page that records every request it makes and every script error."""

    def __init__(self, browser: object, live: Live) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.live = live

    def external(self) -> list[str]:
        return [
            u
            for u in self.requests
            if urlsplit(u).hostname not in ("127.0.0.1", "localhost") and not u.startswith("data:")
        ]

    def wait_js(self, expression: str, timeout_s: float = 15.0) -> None:
        """Poll a JavaScript expression until true (wait_for_function evals, which the CSP forbids)."""
        deadline = time.monotonic() + timeout_s
        failed: Exception | None = None
        while True:
            try:
                if self.page.evaluate(expression):
                    return
            except playwright_sync.Error as exc:
                # A page loading again (signing in reloads it) has no context, or not its elements
                # yet, for a moment: polled again, and said if it never comes right.
                failed = exc
            assert time.monotonic() < deadline, f"timed out waiting for {expression} (last error: {failed})"
            self.page.wait_for_timeout(100)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name))


def test_console_loads_offline_and_shows_live_tracks(browser: object, live: Live) -> None:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/console/#token={live.operator}")
    page.page.wait_for_selector("svg#map path.base-road", timeout=15_000)
    page.page.wait_for_selector("#conn.on", timeout=15_000)
    # The demo is live: tracks come and go, so look until the map and the API show one at the same moment.
    deadline = time.monotonic() + 60
    shared: set[str] = set()
    while not shared and time.monotonic() < deadline:
        page.page.wait_for_selector("svg#map g.track .track-icon", timeout=60_000)
        track_ids = page.page.eval_on_selector_all("svg#map g.track", "els => els.map(e => e.dataset.track)")
        api_tracks = {t["track"] for t in live.api("GET", "/api/v1/tracks").json()}
        shared = set(track_ids) & api_tracks
        if not shared:
            time.sleep(0.5)
    assert shared, "the map never showed a track the service holds"
    assert int(page.page.inner_text("#tracks-count")) >= 1
    assert page.page.locator("svg#map g.site").count() == 27
    assert page.page.locator("svg#map .prediction").count() >= 1
    page.shot("console.png")
    # Arabic: right to left, Arabic names on the map.
    page.page.click("#lang")
    assert page.page.get_attribute("html", "dir") == "rtl"
    assert page.page.get_attribute("html", "lang") == "ar"
    page.wait_js("document.querySelector('svg#map').textContent.includes('إدلب')")
    page.shot("console-ar.png")
    page.page.click("#lang")
    assert page.page.get_attribute("html", "dir") == "ltr"
    assert page.errors == []
    assert page.external() == [], page.external()


def test_operator_cancel_produces_an_all_clear(browser: object, live: Live) -> None:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/console/#token={live.operator}")
    # At 120x a row can go (its alert ends) between finding it and the click, or while the console
    # asks first (then the service answers 409): try again on whichever row is there.
    deadline = time.monotonic() + 90
    while True:
        assert time.monotonic() < deadline, "no cancel went through"
        first = page.page.wait_for_selector("#threatened button[data-act=cancel]:visible", timeout=90_000)
        assert first is not None
        site = first.get_attribute("data-site")
        try:
            first.click(timeout=3_000)
        except playwright_sync.Error:
            continue
        page.page.click("#ask-yes")  # the console asks first
        if any(
            e["action"] == "cancel" and e["site"] == site
            for e in live.api("GET", "/api/v1/operator/log").json()
        ):
            break
        page.wait_js("document.querySelector('#toast').textContent !== ''")
        if any(
            e["action"] == "cancel" and e["site"] == site
            for e in live.api("GET", "/api/v1/operator/log").json()
        ):
            break
    page.page.wait_for_selector(f"#alert-log li[data-site='{site}'][data-cleared]", timeout=15_000)
    page.shot("console-cancel.png")
    history = live.api("GET", "/api/v1/alerts", params={"site": site}).json()
    assert history[-1]["action"] == "all_clear" or any(a["action"] == "all_clear" for a in history)
    log = live.api("GET", "/api/v1/operator/log").json()
    assert any(e["action"] == "cancel" and e["site"] == site for e in log)
    assert page.errors == [] and page.external() == []


def test_kiosk_counts_down_sounds_the_alarm_then_the_all_clear(browser: object, live: Live) -> None:
    site = "idlib-maternity-hospital"
    page = Page(browser, live)
    page.page.goto(f"{live.base}/kiosk/{site}")
    page.page.wait_for_selector("#name-ar:has-text('مشفى التوليد')", timeout=15_000)
    if live.api("GET", f"/api/v1/sites/{site}").json()["status"]["level"]:
        live.api("POST", f"/api/v1/operator/sites/{site}/cancel")
    # Imminent: the arrival is within the hospital's shelter time plus the jet margin (8 minutes).
    now = live.api("GET", "/api/v1/health").json()["clock"]
    raised = live.api(
        "POST",
        f"/api/v1/operator/sites/{site}/alert",
        json={"level": "imminent", "aircraft": "jet", "eta_s": now + 450},
    )
    assert raised.status_code == 200, raised.text
    page.page.wait_for_selector("body[data-state=imminent]", timeout=15_000)
    first = page.page.inner_text("#countdown")
    assert re.fullmatch(r"\d\d:\d\d", first), first
    page.page.wait_for_timeout(500)
    second = page.page.inner_text("#countdown")
    assert re.fullmatch(r"\d\d:\d\d", second) and second != first  # it counts down
    assert page.page.get_attribute("body", "data-sound") == "siren"
    assert "Incubators" in page.page.inner_text("#steps-en")
    assert "الحواضن" in page.page.inner_text("#steps-ar")
    page.shot("kiosk-imminent.png")
    assert live.api("POST", f"/api/v1/operator/sites/{site}/cancel").status_code == 200
    page.page.wait_for_selector("body[data-state=all_clear]", timeout=15_000)
    assert page.page.get_attribute("body", "data-sound") == "allclear"
    assert page.page.inner_text("#headline-en") == "ALL CLEAR"
    page.shot("kiosk-all-clear.png")
    assert page.errors == [] and page.external() == []


def test_replay_viewer_scrubs_a_stored_run(browser: object, live: Live) -> None:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/replay/#token={live.operator}")
    page.page.wait_for_selector("#run option", state="attached", timeout=15_000)
    span = "Number(document.getElementById('time').max) - Number(document.getElementById('time').min)"
    page.wait_js(f"{span} > 60", timeout_s=30)
    # Scrub to where the run has tracks: the time of its first stored track state.
    # The run is live: keep to the states the page loaded (up to its slider's end), and scrub to
    # whole seconds at which a track's latest state is one of them.
    loaded_end = float(page.page.eval_on_selector("#time", "el => el.max"))
    run_id = page.page.eval_on_selector("#run", "s => s.value")
    detail = live.api("GET", f"/api/v1/runs/{run_id}").json()
    shown_at = _moments(detail["tracks"], loaded_end)
    assert shown_at, "the live run has stored track states"

    def scrub(second: int) -> None:
        page.page.eval_on_selector(
            "#time", f"(el) => {{ el.value = '{second}'; el.dispatchEvent(new Event('input')); }}"
        )

    track, at = shown_at[-1]
    scrub(at)
    page.page.wait_for_selector(f"svg#map g.track[data-track={track}]", timeout=10_000)
    assert int(page.page.get_attribute("body", "data-tracks-shown") or 0) > 0
    page.shot("replay.png")
    # A tentative track (published before a second source confirms it) is drawn faint, as such.
    faint_at = _moments(detail["tracks"], loaded_end, tentative=True)
    assert faint_at, "the live run has stored tentative track states"
    track, at = faint_at[-1]
    scrub(at)
    page.page.wait_for_selector(f"svg#map g.track.tentative[data-track={track}]", timeout=10_000)
    assert page.errors == [] and page.external() == []


def test_a_stopped_engine_is_shown_on_the_console_and_the_kiosks(
    browser: object, live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    console, kiosk = Page(browser, live), Page(browser, live)
    console.page.goto(f"{live.base}/console/#token={live.operator}")
    console.page.wait_for_selector("#conn.on", timeout=15_000)
    kiosk.page.goto(f"{live.base}/kiosk/dana")
    kiosk.page.wait_for_selector("body[data-engine=ok]", state="attached", timeout=15_000)
    assert console.page.is_hidden("#engine-banner") and kiosk.page.is_hidden("#engine-stopped")
    # Break the engine's core: it stops after a few failed ticks, and the supervisor waits.
    supervisor = live.service.supervisor
    assert supervisor is not None
    monkeypatch.setattr(supervisor, "delay_s", 3600.0)
    monkeypatch.setattr(live_engine, "MAX_FAILED_STEPS_IN_A_ROW", 10**6)
    engine = live.service.engine
    assert engine is not None

    def broken(now: float) -> None:
        raise RuntimeError("core broken by the test")

    # First degraded: its ticks fail and are set aside, the engine goes on. The console says so and
    # why; the kiosks, whose warnings still come, are not covered.
    monkeypatch.setattr(engine.core, "tick", broken)
    console.page.wait_for_selector("#engine-degraded", state="visible", timeout=15_000)
    assert "core broken by the test" in console.page.inner_text("#engine-degraded-reason")
    assert console.page.is_hidden("#engine-banner") and kiosk.page.is_hidden("#engine-stopped")
    console.shot("console-engine-degraded.png")
    # Then it stops.
    monkeypatch.setattr(live_engine, "MAX_FAILED_STEPS_IN_A_ROW", 2)
    console.page.wait_for_selector("#engine-banner", state="visible", timeout=15_000)
    assert console.page.is_hidden("#engine-degraded")
    assert "engine stopped" in console.page.inner_text("#engine-banner")
    assert "core broken by the test" in console.page.inner_text("#engine-reason")
    kiosk.page.wait_for_selector("#engine-stopped", state="visible", timeout=15_000)
    assert "ENGINE STOPPED" in kiosk.page.inner_text("#engine-stopped")
    console.shot("console-engine-stopped.png")
    kiosk.shot("kiosk-engine-stopped.png")
    # Restarted: both go back to normal at once.
    supervisor.delay_s = 0.0
    supervisor.wake()
    console.page.wait_for_selector("#engine-banner", state="hidden", timeout=15_000)
    kiosk.page.wait_for_selector("#engine-stopped", state="hidden", timeout=15_000)
    assert live.api("GET", "/api/v1/health").json()["status"] == "ok"
    assert console.errors == [] and kiosk.errors == []


def _moments(states: list[dict[str, object]], end: float, tentative: bool = False) -> list[tuple[str, int]]:
    """(track, whole second) pairs at which the replay viewer shows one of the track's states
    (only tentative ones if asked), up to ``end``, by second.

    The viewer shows, per track, its last state at or before the slider's second, so a state at
    t = 123.4 is on screen from second 124, unless a later state of the track comes by then.
    """
    by_track: dict[str, list[dict[str, object]]] = {}
    for state in states:
        by_track.setdefault(str(state["track"]), []).append(state)
    moments = []
    for track, track_states in by_track.items():
        track_states.sort(key=lambda s: float(s["t"]))  # type: ignore[arg-type]
        for i, state in enumerate(track_states):
            at = math.ceil(float(state["t"]))  # type: ignore[arg-type]
            later = [s for s in track_states[i + 1 :] if float(s["t"]) <= at]  # type: ignore[arg-type]
            if not later and at <= end and not (tentative and state["confirmed"]):
                moments.append((track, at))
    return sorted(moments, key=lambda m: m[1])
