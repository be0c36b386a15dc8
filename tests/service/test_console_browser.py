"""The operator console in a real browser: actions ask first, cancel everywhere with its undo, live inputs.

Same server and browser as ``test_browser.py`` (its fixtures): the demo replayed through live intake.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from service_helpers import TOKENS, make_settings, serving, wait_for
from test_browser import CHROMIUM, Live, Page, browser  # noqa: F401  (the browser fixture)

from nadhir.service.app import DemoOptions, create_app
from nadhir.service.operator import UNDO_WINDOW_S
from services import skip_or_fail

# Slower than test_browser.py's demo (120x plays the scenario's three hours in 90 s): these tests
# hold a cancel for its 10 s undo window, and need the demo's alerts to last that long.
SPEED = 20.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """test_browser.py's server, at this module's demo speed."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    app = create_app(make_settings(tmp_path_factory.mktemp("console")), demo=DemoOptions(speed=SPEED))
    with serving(app) as base:
        yield Live(base, TOKENS["operator"][1], app.state.service)


def _console(browser: object, live: Live) -> Page:  # noqa: F811
    page = Page(browser, live)
    dialogs: list[str] = []
    page.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.native_dialogs = dialogs  # type: ignore[attr-defined]
    page.page.goto(f"{live.base}/console/#token={live.operator}")
    page.page.wait_for_selector("#conn.on", timeout=15_000)
    return page


def _until(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _operator_actions(live: Live, action: str) -> list[dict[str, object]]:
    return [e for e in live.api("GET", "/api/v1/operator/log").json() if e["action"] == action]


def test_alerts_and_cancels_ask_first_saying_what_sounds_where(browser: object, live: Live) -> None:  # noqa: F811
    page = _console(browser, live)
    p = page.page
    # The manual form has no level until the operator picks one: sending without one sends nothing.
    assert p.input_value("#manual-level") == ""
    site, name = "idlib-maternity-hospital", "Idlib Maternity Hospital"
    if live.api("GET", f"/api/v1/sites/{site}").json()["status"]["level"]:
        live.api("POST", f"/api/v1/operator/sites/{site}/cancel")
    before = len(_operator_actions(live, "alert"))
    p.select_option("#manual-site", site)
    p.click("#manual-send")
    assert "Choose a level" in p.inner_text("#toast")
    assert not p.is_visible("#ask")
    # Imminent asks first, naming the site and that sirens sound; "Go back" sends nothing.
    p.select_option("#manual-level", "imminent")
    p.select_option("#manual-aircraft", "jet")
    p.click("#manual-send")
    p.wait_for_selector("#ask[open]")
    assert p.get_attribute("#ask", "aria-labelledby") == "ask-title"
    assert p.evaluate("document.activeElement.id") == "ask-no"  # Enter alone sounds nothing
    body = p.inner_text("#ask-body")
    assert name in body and "sirens and phones" in body, body
    page.shot("console-ask-imminent.png")
    p.click("#ask-no")
    p.wait_for_selector("#ask", state="hidden")
    assert len(_operator_actions(live, "alert")) == before
    # Asked again and answered yes: the alert goes out.
    p.click("#manual-send")
    p.wait_for_selector("#ask[open]")
    p.click("#ask-yes")
    page.wait_js(f"document.querySelector('#threatened li[data-site=\"{site}\"]') !== null")
    assert len(_operator_actions(live, "alert")) == before + 1
    status = live.api("GET", f"/api/v1/sites/{site}").json()["status"]
    assert status["level"] == "imminent" and status["manual"] is True
    # Its cancel asks too, saying the all-clear tells people they may leave shelter; Escape backs out.
    cancels = len(_operator_actions(live, "cancel"))
    p.click(f"#threatened button[data-act=cancel][data-site='{site}']")
    p.wait_for_selector("#ask[open]")
    assert name in p.inner_text("#ask-body") and "leave shelter" in p.inner_text("#ask-body")
    p.keyboard.press("Escape")
    p.wait_for_selector("#ask", state="hidden")
    assert len(_operator_actions(live, "cancel")) == cancels
    p.click(f"#threatened button[data-act=cancel][data-site='{site}']")
    p.click("#ask-yes")
    _until(lambda: len(_operator_actions(live, "cancel")) == cancels + 1)
    # The log's newest episode at the site (one line, its updates folded in) ends in the all-clear.
    page.wait_js(f"document.querySelector('#alert-log li[data-site=\"{site}\"]')?.dataset.cleared === '1'")
    # A test alarm at every site asks first, saying how many sites.
    p.select_option("#manual-site", "all")
    p.click("#test-alarm")
    p.wait_for_selector("#ask[open]")
    assert "27 sites" in p.inner_text("#ask-body")
    p.click("#ask-no")
    # All of it went through the in-page dialog, never the browser's window.confirm.
    assert page.native_dialogs == []  # type: ignore[attr-defined]
    audit = live.api("GET", "/api/v1/operator/audit").json()
    assert [(r["action"], r["target"], r["result"]) for r in audit[:2]] == [
        ("cancel", site, "accepted"), ("alert", site, "accepted"),
    ]  # fmt: skip
    assert page.errors == [] and page.external() == []


def _cancel_a_track(page: Page, shot: str | None = None) -> tuple[str, float]:
    """Ask to cancel, everywhere, a track some threat row names, and say yes: the track now held.

    The demo runs 120 times faster than life: a row may go before it is clicked, and its track's
    alerts may end while the dialog is open (then the service refuses, and the console says so).
    So this tries again, on whichever row is there, until a cancel is held. Returns the track and
    the time (``time.monotonic()``) just before the operator said yes.
    """
    p = page.page
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, "never managed to hold a cancel of a track"
        button = p.wait_for_selector("#threatened button[data-act=cancel-track]:visible", timeout=120_000)
        assert button is not None
        try:
            button.click(timeout=3_000)
        except Exception:
            continue
        p.wait_for_selector("#ask[open]")
        # The track the dialog names (the row's track when clicked; it may change a moment later).
        named = re.fullmatch(r"Cancel (T\d+) everywhere\?", p.inner_text("#ask-title"))
        assert named is not None, p.inner_text("#ask-title")
        track = named.group(1)
        assert f"{UNDO_WINDOW_S:.0f} s" in p.inner_text("#ask-body") and "leave shelter" in p.inner_text(
            "#ask-body"
        )
        if shot:
            page.shot(shot)
        said_yes = time.monotonic()
        p.click("#ask-yes")
        page.wait_js("document.querySelector('#held .held-row') || "
                     "document.querySelector('#toast').textContent.startsWith('Failed')", 10)  # fmt: skip
        if p.query_selector("#held .held-row") is not None:
            return track, said_yes
        assert re.search("no open alert|no track", p.inner_text("#toast")), p.inner_text("#toast")


def test_cancel_a_track_everywhere_can_be_undone_in_its_window(browser: object, live: Live) -> None:  # noqa: F811
    page = _console(browser, live)
    p = page.page
    track, _ = _cancel_a_track(page, "console-ask-cancel-track.png")
    row = p.wait_for_selector("#held .held-row", timeout=5_000)
    assert row is not None and track in row.inner_text()
    page.shot("console-cancel-held.png")
    held = live.api("GET", "/api/v1/operator/held").json()
    assert [h["track"] for h in held] == [track]
    p.click("#held button.undo")
    p.wait_for_selector("#held .held-row", state="detached", timeout=5_000)
    assert "Undone" in p.inner_text("#toast")
    assert live.api("GET", "/api/v1/operator/held").json() == []
    audit = live.api("GET", "/api/v1/operator/audit").json()
    assert [(r["action"], r["result"]) for r in audit[:2]] == [("undo", "accepted"), ("cancel_track", "held")]
    # Past the window, nothing went out for the undone cancel.
    time.sleep(UNDO_WINDOW_S + 1.5)
    audit = live.api("GET", "/api/v1/operator/audit").json()
    assert not [r for r in audit if r["detail"].get("held") == held[0]["id"]]  # its end would name it
    assert audit[0]["action"] == "undo" or audit[0]["target"] != f"track:{track}"
    assert page.errors == [] and page.external() == []


def test_cancel_a_track_everywhere_goes_out_when_the_window_ends(browser: object, live: Live) -> None:  # noqa: F811
    page = _console(browser, live)
    p = page.page
    track, asked = _cancel_a_track(page)
    p.wait_for_selector("#held .held-row", state="detached", timeout=int((UNDO_WINDOW_S + 10) * 1000))
    waited = time.monotonic() - asked
    assert waited >= UNDO_WINDOW_S, waited  # not before its window ended
    # The hold ended in the audit trail: applied, or refused if the demo's alerts had ended by then.
    audit = live.api("GET", "/api/v1/operator/audit").json()
    ends = [r for r in audit if r["target"] == f"track:{track}" and r["result"] in ("applied", "refused")]
    assert ends, "the held cancel never ended"
    end = ends[0]
    if end["result"] == "applied":
        assert "All-clears sent" in p.inner_text("#toast")
        cleared = set(end["detail"]["sites"])

        # The audit row is written as the cancel is applied; its all-clears reach the store with
        # the engine's next write (every 0.2 s).
        def stored() -> set[str]:
            history = live.api("GET", "/api/v1/alerts").json()
            return {a["site"] for a in history if a["action"] == "all_clear" and a["track"] == track}

        wait_for(lambda: cleared <= stored(), timeout=10.0)
    else:
        assert end["result"] == "refused" and end["reason"]
    assert page.errors == [] and page.external() == []


def test_live_inputs_and_source_health_update_as_they_come(browser: object, live: Live) -> None:  # noqa: F811
    page = _console(browser, live)
    p = page.page
    p.wait_for_selector("#inputs li.input.report q.raw", timeout=60_000)
    first = p.inner_text("#inputs li.input.report")
    assert "trust" in first and ("read as" in first or "not used" in first), first
    # The inputs panel keeps filling while the page stays open.
    count = p.locator("#inputs li.input").count()
    page.wait_js(f"document.querySelectorAll('#inputs li.input').length > {count} || "
                 "document.querySelectorAll('#inputs li.input').length >= 100", 30)  # fmt: skip

    # Sensor and observer health follows the service, not the page load.
    def shown_ok() -> int:
        return sum(int(n) for n in re.findall(r"(\d+) ok", p.inner_text("#sources-summary")))

    deadline = time.monotonic() + 30
    while True:
        api_ok = sum(1 for kind in ("sensors", "observers")
                     for s in live.api("GET", f"/api/v1/{kind}").json() if s["health"] == "ok")  # fmt: skip
        if shown_ok() == api_ok and api_ok > 1:
            break
        assert time.monotonic() < deadline, (p.inner_text("#sources-summary"), api_ok)
        time.sleep(0.3)
    # A track says when the first word of it came and when it reached the map.
    p.wait_for_selector("#track-lead li", timeout=60_000)
    assert "first word of" in p.inner_text("#track-lead li")
    page.shot("console-inputs.png")
    # Arabic: the panel follows; no time runs into a word, and no "km/h" is left in English.
    p.click("#lang")
    page.wait_js("document.querySelector('#inputs').textContent.includes('الموثوقية')")
    page.wait_js("document.querySelectorAll('#alert-log li.episode').length > 0", 60)
    side = p.inner_text("aside.side")
    assert not re.search(r"(UTC|\d)[\u0621-\u064A]", side), re.search(
        r".{20}(UTC|\d)[\u0621-\u064A].{20}", side
    )
    assert "km/h" not in side and "، " in side
    p.click("#lang")
    assert page.errors == [] and page.external() == []
