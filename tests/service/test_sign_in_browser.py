"""The sign-in form the console, health, replay and shelters pages share (``auth.js``), in a real
browser against the demo service: no token asks for one, a wrong one is refused with the reason
and asked for again, the right one opens the page."""

# The browser and the demo server are test_browser's fixtures, imported so pytest finds them here;
# the tests' parameters then take their names, which pyflakes calls a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from service_helpers import TOKENS
from test_browser import Live, Page, browser, live  # noqa: F401

ADMIN = TOKENS["admin"][1]  # holds every role's rights, so each page opens with it


@pytest.mark.parametrize("path", ["/console/", "/health/", "/replay/", "/shelters/"])
def test_the_sign_in_form_refuses_a_wrong_token_and_opens_the_page_with_the_right_one(
    browser: object, live: Live, path: str
) -> None:
    page = Page(browser, live)
    page.page.goto(live.base + path)
    page.page.wait_for_selector("#login:not([hidden])", timeout=20_000)
    assert page.page.is_hidden("#main") and page.page.inner_text("#login-error") == ""

    page.page.fill("#token", "  not-a-token-0123456789  ")
    page.page.click("#login button[type=submit]")
    page.wait_js("document.getElementById('login-error').textContent !== ''", timeout_s=20)
    assert page.page.is_visible("#login") and page.page.is_hidden("#main")
    assert page.page.evaluate("sessionStorage.getItem('nadhir.token')") is None  # a refused token is not kept

    page.page.fill("#token", f" {ADMIN} ")  # pasted with spaces: trimmed
    page.page.click("#login button[type=submit]")
    page.wait_js("!document.getElementById('main').hidden", timeout_s=20)
    assert page.page.is_hidden("#login")
    assert page.page.evaluate("sessionStorage.getItem('nadhir.token')") == ADMIN
    assert page.errors == []
    page.page.close()
