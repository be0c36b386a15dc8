"""Every page works offline: no request leaves the machine, nothing breaks the pages' policy.

In real Chromium against the demo service (the fixtures of ``test_browser``): ``/docs``,
``/console/``, ``/kiosk/{site}`` and ``/replay/`` each load, show what they are for, make no
request to any host but this one, and log no error (a policy violation is logged as one).
"""

# The browser and the demo server are test_browser's fixtures, imported so pytest finds them here;
# the tests' parameters then take their names, which pyflakes calls a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from test_browser import Live, Page, browser, live  # noqa: F401

from nadhir.service.api.pages import DOCS_FILES


class RecordedPage(Page):
    """A :class:`Page` that also keeps the console's errors (where a blocked load is reported)."""

    def __init__(self, browser: object, live: Live) -> None:
        super().__init__(browser, live)
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def settle(self) -> None:
        """Let late requests (fonts, icons, the live feed's) come in before they are counted."""
        self.page.wait_for_timeout(1500)

    def assert_offline_and_clean(self) -> None:
        assert self.external() == [], f"requests off the machine: {self.external()}"
        assert self.console_errors == [], self.console_errors
        assert self.errors == [], self.errors
        assert self.requests, "the page made no request at all (was it loaded?)"


def test_docs_page_allows_only_its_own_script(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", policy)
    assert script_src is not None, policy
    # Swagger UI's inline start-up script, by its hash; nothing from elsewhere, no eval.
    assert re.fullmatch(r"'self' 'sha256-[A-Za-z0-9+/]+=*'", script_src.group(1)), policy
    assert "unsafe" not in policy and "default-src 'self'" in policy
    assert "http://" not in page.text and "https://" not in page.text
    assert '<html lang="en">' in page.text  # a screen reader reads it as English
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        asset = client.get(f"{DOCS_FILES}/{name}")
        assert asset.status_code == 200 and len(asset.content) > 10_000, name
    assert client.get("/redoc").status_code == 404  # not served: its styles are inline


def test_docs_renders_the_operations_and_runs_one_offline(browser: object, live: Live) -> None:
    page = RecordedPage(browser, live)
    page.page.goto(f"{live.base}/docs")
    page.page.wait_for_selector(".opblock", state="visible", timeout=20_000)
    paths = page.page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.dataset.path)")
    assert {"/api/v1/intake/reports", "/api/v1/health", "/api/v1/alerts"} <= set(paths), paths
    # Try one: the health check, from the page (connect-src 'self' lets it through).
    health = page.page.locator(".opblock:has(.opblock-summary-path[data-path='/api/v1/health'])").first
    health.locator(".opblock-summary").click()
    health.locator("button.try-out__btn").click()
    health.locator("button.execute").click()
    answer = health.locator(".live-responses-table tbody .response-col_status")
    answer.wait_for(timeout=10_000)
    assert answer.inner_text().strip() == "200", answer.inner_text()
    page.settle()
    page.shot("docs.png")
    page.assert_offline_and_clean()


PAGES: dict[str, tuple[str, Callable[[Live], str]]] = {
    # name: (what shows the page is working, its address)
    "console": ("svg#map path.base-road", lambda live: f"/console/#token={live.operator}"),
    "kiosk": ("#name-ar:has-text('مشفى')", lambda live: "/kiosk/idlib-maternity-hospital"),
    "replay": ("#run option", lambda live: f"/replay/#token={live.operator}"),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_makes_no_request_off_the_machine(browser: object, live: Live, name: str) -> None:
    ready, address = PAGES[name]
    page = RecordedPage(browser, live)
    page.page.goto(live.base + address(live))
    page.page.wait_for_selector(ready, state="attached", timeout=20_000)
    page.settle()
    page.assert_offline_and_clean()


def test_the_check_sees_a_request_off_the_machine(browser: object, live: Live) -> None:
    """The recorder is not blind: an image asked of another host is counted (even though the
    policy blocks it before it leaves), and the policy's refusal is logged as an error."""
    page = RecordedPage(browser, live)
    page.page.goto(f"{live.base}/console/#token={live.operator}")
    page.page.wait_for_selector("svg#map", state="attached", timeout=20_000)
    page.page.evaluate(
        "() => { const i = new Image(); i.src = 'http://192.0.2.1/beacon.png'; document.body.append(i); }"
    )
    page.page.wait_for_timeout(500)
    assert page.external() == ["http://192.0.2.1/beacon.png"], page.requests
    assert any("192.0.2.1" in e and "Content Security Policy" in e for e in page.console_errors)
