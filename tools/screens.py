"""Regenerate the screenshots in ``docs/screens/``: the console (English, Arabic) and a kiosk in each state.

From the repository root::

    python tools/screens.py                 # every screen, into docs/screens/
    python tools/screens.py --only kiosk-imminent --out /tmp/screens

It starts the demo service (``nadhir serve --demo``'s app) on a free loopback port at high speed,
as the browser tests do, drives it with the operator API, and shoots each screen in Debian's
Chromium (headless, through Playwright). Nothing is fetched from elsewhere.

A new kiosk state is one more entry in :data:`KIOSK_STATES`: a name (the file's) and a function
that brings the kiosk page there through the API and returns once the page shows it. They run in
order on one quiet site; a state that ends the service (the connection lost) goes last.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from nadhir.service.app import DemoOptions, create_app
from nadhir.service.settings import Settings, token_spec

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screens"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The kiosk's tone starts without a tap, so its "tap to enable the sound" button stays away.
    "--autoplay-policy=no-user-gesture-required",
]
SPEED = 120.0
CONSOLE_VIEW: ViewportSize = {"width": 1400, "height": 900}
KIOSK_VIEW: ViewportSize = {"width": 1280, "height": 800}  # a tablet on its side
THREAT_ROW = "#threatened button[data-act=cancel]"  # a site under threat (not the "none" line)


# -- the service ---------------------------------------------------------------------------------


@dataclass
class Demo:
    """The demo service, running in this process on a loopback port."""

    base: str
    operator: str
    server: uvicorn.Server
    thread: threading.Thread

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call to the API as the operator."""
        headers = {"Authorization": f"Bearer {self.operator}"}
        return httpx.request(method, self.base + path, headers=headers, timeout=10, **kwargs)

    def clock(self) -> float:
        """The service's clock (scenario time), in epoch seconds."""
        return float(self.api("GET", "/api/v1/health").json()["clock"])

    def stop(self) -> None:
        """Stop the server (the pages lose their feed)."""
        # The kiosk's open feed is cut on purpose: uvicorn would log that as an error, with a trace.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        self.server.should_exit = True
        self.thread.join(15)


@contextmanager
def demo_service(speed: float) -> Iterator[Demo]:
    """The bundled scenario replayed live at ``speed`` times real time, stored in a scratch database."""
    operator = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="nadhir-screens-") as scratch:
        settings = Settings(
            db=f"sqlite:///{Path(scratch) / 'screens.sqlite3'}",
            tokens=(token_spec("operator", "screens", operator),),
        )
        app = create_app(settings, demo=DemoOptions(speed=speed))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the demo service did not start")
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        demo = Demo(f"http://127.0.0.1:{port}", operator, server, thread)
        try:
            yield demo
        finally:
            demo.stop()


# -- shooting ------------------------------------------------------------------------------------


@dataclass
class Shooter:
    """Writes the screens asked for into the output folder, and says so."""

    out: Path
    only: frozenset[str]

    def wants(self, name: str) -> bool:
        return not self.only or name in self.only

    def shoot(self, page: Page, name: str) -> None:
        if not self.wants(name):
            return
        path = self.out / f"{name}.png"
        # Animations stopped: the imminent banner pulses, and a shot would catch either phase.
        page.screenshot(path=str(path), animations="disabled")
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def shows(page: Page, selector: str, timeout_s: float) -> bool:
    """Whether the page shows ``selector`` within the time."""
    try:
        page.wait_for_selector(selector, state="attached", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        return False
    return True


def console_screens(browser: Browser, demo: Demo, shooter: Shooter) -> None:
    """The console while the demo runs: tracks on the map, sites under threat, the alert log."""
    if not (shooter.wants("console-en") or shooter.wants("console-ar")):
        return
    context = browser.new_context(viewport=CONSOLE_VIEW)
    page = context.new_page()
    page.goto(f"{demo.base}/console/#token={demo.operator}")
    page.wait_for_selector("#conn.on", timeout=30_000)
    page.wait_for_selector("#alert-log li", timeout=60_000)
    for name in ("console-en", "console-ar"):
        if name == "console-ar":
            page.click("#lang")
            page.wait_for_selector("html[lang=ar]")
        # A moment with an aircraft on the map and a site under threat (they come and go).
        page.wait_for_selector("svg#map g.track", timeout=120_000)
        page.wait_for_selector(THREAT_ROW, timeout=120_000)
        page.wait_for_timeout(500)  # the map's labels settle
        if not shows(page, THREAT_ROW, 0.1):
            page.wait_for_selector(THREAT_ROW, timeout=120_000)
        shooter.shoot(page, name)
    page.click("#lang")  # the language is kept in the browser's storage: leave it as found
    context.close()


# -- the kiosk's states --------------------------------------------------------------------------


@dataclass
class Kiosk:
    """A kiosk page on one site, and the service behind it."""

    page: Page
    site: str
    demo: Demo

    def state(self) -> str:
        return self.page.get_attribute("body", "data-state") or ""

    def wait_state(self, state: str, timeout_s: float = 15) -> None:
        if not shows(self.page, f"body[data-state={state}]", timeout_s):
            raise RuntimeError(f"kiosk {self.site}: still {self.state()!r}, never {state!r}")

    def operator(self, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.demo.api("POST", f"/api/v1/operator/sites/{self.site}/{action}", json=body)

    def alert(self, level: str, aircraft: str, lead_s: float) -> None:
        answer = self.operator(
            "alert", {"level": level, "aircraft": aircraft, "eta_s": self.demo.clock() + lead_s}
        )
        answer.raise_for_status()
        self.wait_state(level)


class NotQuiet(Exception):
    """The site got a real alert of the demo's own: the states start again at another site."""


def no_warning(kiosk: Kiosk) -> None:
    if not shows(kiosk.page, "body[data-state=clear]", 5):
        raise NotQuiet(kiosk.state())


def sound_test_alarm(kiosk: Kiosk) -> None:
    # Refused (409) where an alert is open, and hidden by one that opens: both mean "not quiet".
    if kiosk.operator("test-alarm").status_code != 200 or not shows(kiosk.page, "body[data-state=test]", 5):
        raise NotQuiet(kiosk.state())


def early(kiosk: Kiosk) -> None:
    kiosk.alert("early", "helicopter", 25 * 60)


def imminent(kiosk: Kiosk) -> None:
    kiosk.alert("imminent", "jet", 7 * 60)
    kiosk.page.wait_for_timeout(1200)  # the countdown has ticked: it shows minutes and seconds


def all_clear(kiosk: Kiosk) -> None:
    kiosk.operator("cancel").raise_for_status()
    kiosk.wait_state("all_clear")


def connection_lost(kiosk: Kiosk) -> None:
    # The server goes away (as when its machine or the network fails). Ten seconds is the time a
    # kiosk has to say so (issue 15): the shot waits for its full-screen notice no longer than that.
    kiosk.demo.stop()
    kiosk.page.wait_for_selector("#conn-lost:not([hidden])", timeout=10_000)
    kiosk.page.wait_for_timeout(500)  # the notice has faded in


KIOSK_STATES: list[tuple[str, Callable[[Kiosk], None]]] = [
    ("kiosk-no-warning", no_warning),
    ("kiosk-test-alarm", sound_test_alarm),
    ("kiosk-early", early),
    ("kiosk-imminent", imminent),
    ("kiosk-all-clear", all_clear),
    ("kiosk-connection-lost", connection_lost),  # ends the service: last
]


def kiosk_screens(browser: Browser, demo: Demo, shooter: Shooter) -> None:
    """A kiosk in each of :data:`KIOSK_STATES`, on a site the demo leaves quiet meanwhile."""
    wanted = [i for i, (name, _) in enumerate(KIOSK_STATES) if shooter.wants(name)]
    if not wanted:
        return
    steps = KIOSK_STATES[: wanted[-1] + 1]  # up to the last one asked for (each builds on the ones before)
    sites: list[dict[str, Any]] = demo.api("GET", "/api/v1/sites").json()
    # Hospitals first (the kiosks are theirs, with their own shelter steps), then the rest.
    candidates = sorted(sites, key=lambda s: s["kind"] != "hospital")
    for site in candidates:
        if site["status"]["level"]:
            continue
        context = browser.new_context(viewport=KIOSK_VIEW)
        kiosk = Kiosk(context.new_page(), site["id"], demo)
        kiosk.page.goto(f"{demo.base}/kiosk/{site['id']}")
        kiosk.page.wait_for_selector("body[data-engine=ok]", state="attached", timeout=15_000)
        try:
            for name, reach in steps:
                reach(kiosk)
                shooter.shoot(kiosk.page, name)
        except NotQuiet as busy:
            print(f"  {site['id']} is not quiet ({busy}): next site", file=sys.stderr)
            context.close()
            continue
        context.close()
        return
    raise RuntimeError("no site stayed quiet long enough for a test alarm")


def main(argv: list[str] | None = None) -> int:
    """Shoot the screens asked for (all by default) into ``--out``."""
    names = ["console-en", "console-ar", *(name for name, _ in KIOSK_STATES)]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default docs/screens)")
    parser.add_argument("--only", nargs="+", choices=names, default=[], help="these screens only")
    parser.add_argument("--speed", type=float, default=SPEED, help="the demo's speed (times real time)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    shooter = Shooter(args.out, frozenset(args.only))
    with demo_service(args.speed) as demo, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            console_screens(browser, demo, shooter)
            kiosk_screens(browser, demo, shooter)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
