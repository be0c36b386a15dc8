"""The console's attacks pane in a browser: public fields for an operator, the facility and
confirm / reject for the health role. Same browser as ``test_browser.py`` (its fixture)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from service_helpers import TOKENS, make_settings, serving
from test_browser import CHROMIUM, Live, Page, browser  # noqa: F401  (the browser fixture)

from nadhir.service.app import create_app
from nadhir.service.demo_attacks import seed_demo_attacks
from nadhir.service.settings import token_spec
from services import skip_or_fail

HEALTH_TOKEN = "health-token-0123456789ab"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A service whose register holds the demo's two drafted attacks."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    tokens = (*(token_spec(role, subject, secret) for role, (subject, secret) in TOKENS.items()),
              token_spec("health", "hala", HEALTH_TOKEN))  # fmt: skip
    settings = make_settings(tmp_path_factory.mktemp("attacks-console"), tokens=tokens)
    app = create_app(settings)
    assert settings.db is not None
    seed_demo_attacks(settings.db, app.state.service.region.scenario.sites)
    with serving(app) as base:
        yield Live(base, TOKENS["operator"][1], app.state.service)


def _open(browser: object, live: Live, token: str) -> Page:  # noqa: F811
    page = Page(browser, live)
    page.page.goto(f"{live.base}/console/#token={token}")
    page.page.wait_for_selector("#attacks-pane:not([hidden])", timeout=15_000)
    if page.page.get_attribute("#attacks-pane", "open") is None:  # folded for other roles: unfold it
        page.page.click("#attacks-pane > summary")
    page.page.wait_for_selector("#attacks li", timeout=5_000)
    return page


def test_an_operator_sees_the_public_fields_only(browser: object, live: Live) -> None:  # noqa: F811
    page = _open(browser, live, live.operator)
    page.shot("console-attacks-operator.png")
    text = page.page.inner_text("#attacks")
    assert page.page.locator("#attacks li").count() == 2
    assert "Idlib" in text and "Kafr Nabl" in text  # the admin areas
    assert "Hospital" not in text and "obs-" not in text  # no facility names, no reporters
    assert page.page.locator("#attacks button").count() == 0
    assert page.errors == []


def test_the_health_role_sees_the_facility_and_confirms_a_draft(browser: object, live: Live) -> None:  # noqa: F811
    page = _open(browser, live, HEALTH_TOKEN)
    p = page.page
    assert p.get_attribute("#attacks-pane", "open") is not None  # open at first for the health role
    assert "Idlib National Hospital" in p.inner_text("#attacks")
    assert "2 sources" in p.inner_text("#attacks")
    p.locator("#attacks li", has_text="Idlib National Hospital").get_by_role("button", name="Confirm").click()
    page.wait_js("document.querySelector('#attacks li.review-confirmed') !== null")
    attacks = httpx.get(
        f"{live.base}/api/v1/health/attacks", headers={"Authorization": f"Bearer {HEALTH_TOKEN}"}
    ).json()
    reviewed = {a["facility_id"]: (a["review"], a["reviewed_by"]) for a in attacks}
    assert reviewed["idlib-national-hospital"] == ("confirmed", "health:hala")
    assert reviewed["kafr-nabl-surgical-hospital"] == ("draft", None)
    assert page.errors == []
