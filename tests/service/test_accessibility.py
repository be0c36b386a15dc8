"""The console, the kiosk and the replay viewer pass axe-core with no critical violation.

axe-core runs in real Chromium (the packaged runner, axe-playwright-python) against the demo
service (the fixtures of ``test_browser``): the console in English and in Arabic, signed in and
signed out; the replay viewer; a kiosk in every state an operator can put it in. Any violation
of impact "critical" fails the test, with axe's own report of where and why.
"""

# The browser and the demo server are test_browser's fixtures, imported so pytest finds them here;
# the tests' parameters then take their names, which pyflakes calls a redefinition.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from test_browser import Live, Page, browser, live  # noqa: F401

axe_runner = pytest.importorskip("axe_playwright_python.sync_playwright")
playwright_sync = pytest.importorskip("playwright.sync_api")


def critical_violations(page: Page, where: str) -> list[str]:
    """axe-core's critical violations on the page as it is now, one line each (where, what, why)."""
    results = axe_runner.Axe().run(page.page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] != "critical":
            continue
        for node in violation["nodes"]:
            lines.append(
                f"{where}: {violation['id']} at {node['target']}: {violation['help']} ({node['html'][:120]})"
            )
    return lines


def test_console_in_english_and_arabic(browser: object, live: Live) -> None:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/console/")
    page.page.wait_for_selector("#login", state="visible", timeout=15_000)
    found = critical_violations(page, "console signed out")
    page = Page(browser, live)  # a new page: a token in the fragment alone would not reload it
    page.page.goto(f"{live.base}/console/#token={live.operator}")
    page.page.wait_for_selector("svg#map path.base-road", timeout=15_000)
    page.page.wait_for_selector("#conn.on", timeout=15_000)
    # With its lists filled: threatened sites (their buttons) and the alert log.
    page.page.wait_for_selector("#threatened li", timeout=90_000)
    page.page.wait_for_selector("#alert-log li", timeout=30_000)
    found += critical_violations(page, "console en")
    page.page.click("#lang")
    assert page.page.get_attribute("html", "lang") == "ar"
    found += critical_violations(page, "console ar")
    page.page.click("#lang")
    assert found == [], "\n".join(found)


def test_replay_viewer(browser: object, live: Live) -> None:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/replay/#token={live.operator}")
    page.page.wait_for_selector("#run option", state="attached", timeout=15_000)
    found = critical_violations(page, "replay")
    assert found == [], "\n".join(found)


def quiet_sites(live: Live) -> list[str]:
    """The sites with no alert open now (the demo raises alerts of its own as it runs)."""
    sites: list[dict[str, Any]] = live.api("GET", "/api/v1/sites").json()
    return [s["id"] for s in sites if not s["status"]["level"]]


def shows(page: Page, state: str, timeout_s: float) -> bool:
    """Whether the kiosk shows this state within the time."""
    try:
        page.page.wait_for_selector(f"body[data-state={state}]", state="attached", timeout=timeout_s * 1000)
    except playwright_sync.TimeoutError:
        return False
    return True


def test_kiosk_in_each_state(browser: object, live: Live) -> None:
    page = Page(browser, live)
    found: list[str] = []
    # Quiet, then a test alarm: the demo raises alerts of its own fast (a test alarm at a site
    # under alert is refused, and a real alert hides a test), so try the quiet sites in turn.
    for site in quiet_sites(live):
        page.page.goto(f"{live.base}/kiosk/{site}")
        page.page.wait_for_selector("body[data-engine=ok]", state="attached", timeout=15_000)
        if not shows(page, "clear", 5):
            continue
        quiet = critical_violations(page, f"kiosk {site} quiet")
        tested = live.api("POST", f"/api/v1/operator/sites/{site}/test-alarm")
        if tested.status_code == 200 and shows(page, "test", 5):
            found += quiet + critical_violations(page, f"kiosk {site} test alarm")
            break
    else:
        pytest.fail("no quiet site showed a test alarm")
    for level, aircraft, lead_s in (("early", "helicopter", 1800), ("imminent", "jet", 450)):
        now = live.api("GET", "/api/v1/health").json()["clock"]
        raised = live.api(
            "POST",
            f"/api/v1/operator/sites/{site}/alert",
            json={"level": level, "aircraft": aircraft, "eta_s": now + lead_s},
        )
        assert raised.status_code == 200, raised.text
        assert shows(page, level, 15), page.page.get_attribute("body", "data-state")
        found += critical_violations(page, f"kiosk {site} {level}")
    assert live.api("POST", f"/api/v1/operator/sites/{site}/cancel").status_code == 200
    assert shows(page, "all_clear", 15), page.page.get_attribute("body", "data-state")
    found += critical_violations(page, f"kiosk {site} all clear")
    assert found == [], "\n".join(found)
