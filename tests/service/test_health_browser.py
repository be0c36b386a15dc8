"""The health view in a real browser against the demo service: facility cards and the map by
functioning from the demo's history, and the status form kept offline in localStorage and sent,
with its confirmation, when the connection is back. No request leaves the machine."""

# The browser and the demo server are test_browser's fixtures, imported so pytest finds them here.
# ruff: noqa: F811

from __future__ import annotations

from service_helpers import TOKENS
from test_browser import Live, browser, live  # noqa: F401
from test_offline_pages import RecordedPage

ADMIN = TOKENS["admin"][1]  # the admin role holds the health role's rights


def test_cards_map_and_the_offline_form(browser: object, live: Live) -> None:
    page = RecordedPage(browser, live)
    page.page.goto(f"{live.base}/health/#token={ADMIN}")
    page.page.wait_for_selector("#cards article.card", timeout=20_000)
    page.page.wait_for_selector("svg#map g.facility", timeout=20_000)
    # The first load (cards, map, the attacks of each facility) is over before the line is cut.
    page.page.wait_for_selector("body[data-loaded='true']", timeout=20_000)
    assert page.page.locator("#cards article.card").count() == 9
    assert page.page.locator("svg#map g.facility").count() == 9
    # The demo's history: Jisr al-Shughur evacuated, Maarat closed; both red on the map.
    assert page.page.locator("svg#map g.facility.func-not").count() == 2
    jisr = page.page.locator("article.card[data-facility='jisr-hospital']")
    assert jisr.locator(".badge.func-not").count() == 1 and "evacuated" in jisr.inner_text()
    maternity = page.page.locator("article.card[data-facility='idlib-maternity-hospital']").inner_text()
    assert "Not available" in maternity and "blood transfusion" in maternity and "updated" in maternity
    assert page.page.locator(".attacks").count() == 0  # no attacks register in this service: hidden
    store = live.service.facility_status
    assert store is not None
    before = store.book.count()

    # Offline: the update waits in localStorage, nothing is sent.
    page.page.context.set_offline(True)
    page.page.select_option("#form-facility", "saraqeb-hospital")
    page.page.fill("input[name='fuel_days']", "3")
    page.page.fill("input[name='staff.midwives']", "2")
    page.page.click("#status-form button[type=submit]")
    page.page.wait_for_selector("#queued:has-text('waiting')", timeout=5_000)
    queued = page.page.evaluate("JSON.parse(localStorage.getItem('nadhir.health.queue'))")
    assert [q["body"]["status"] for q in queued] == [{"staff": {"midwives": 2}, "fuel_days": 3}]
    assert store.book.count() == before

    # Back online: sent, confirmed, kept with the channel "console".
    page.page.context.set_offline(False)
    page.wait_js(
        "document.getElementById('form-result').textContent.includes('Status of Saraqeb Hospital recorded')"
    )
    assert page.page.evaluate("JSON.parse(localStorage.getItem('nadhir.health.queue'))") == []
    assert store.book.count() == before + 1
    latest = store.book.latest()["saraqeb-hospital"]
    assert latest.channel == "console" and latest.reported == {"staff": {"midwives": 2}, "fuel_days": 3.0}
    assert latest.who == "admin:adam"

    # An impossible update is refused with the reason and dropped from the queue.
    page.page.fill("input[name='incubators_working']", "9")
    page.page.click("#status-form button[type=submit]")
    page.wait_js("document.getElementById('form-result').textContent.includes('not recorded')")
    assert "incubators" in page.page.inner_text("#form-result")
    assert store.book.count() == before + 1
    page.shot("health.png")
    page.page.click("#lang")
    page.wait_js("document.querySelector('#cards').textContent.includes('مشفى')")
    page.shot("health-ar.png")
    # The only errors logged: the answers of the attacks register this service does not have (404),
    # and the refusal of the impossible update (422).
    page.console_errors = [e for e in page.console_errors if "404" not in e and "422" not in e]
    page.errors = [e for e in page.errors if "404" not in e]
    page.assert_offline_and_clean()


def test_the_kiosk_shows_its_facility_status(browser: object, live: Live) -> None:
    page = RecordedPage(browser, live)
    page.page.goto(f"{live.base}/kiosk/jisr-hospital")
    page.page.wait_for_selector("#facility:not([hidden])", timeout=20_000)
    assert "evacuated" in page.page.inner_text("#facility-en")
    assert "warned by phone only" in page.page.inner_text("#facility-en")
    assert "تم الإخلاء" in page.page.inner_text("#facility-ar")
    page.settle()
    page.assert_offline_and_clean()
