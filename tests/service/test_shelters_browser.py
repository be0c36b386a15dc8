"""The shelters view in a real browser (the demo service of ``test_browser``): the stadium and the
camps on the map sized by people and coloured by their worst gap, the table ranked by need, the
population chart, and a form whose update waits on the device while the network is down."""

# ruff: noqa: F811

from __future__ import annotations

from service_helpers import TOKENS
from test_browser import Live, Page, browser, live  # noqa: F401  (the fixtures)

ADMIN = TOKENS["admin"][1]


def test_the_shelters_view_ranks_maps_charts_and_queues_offline(browser: object, live: Live) -> None:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/shelters/#token={ADMIN}")
    page.page.wait_for_selector("#ranked tbody tr", timeout=15_000)
    rows = page.page.eval_on_selector_all("#ranked tbody tr", "els => els.map(e => e.dataset.site)")
    assert rows[0] == "idlib-stadium" and len(rows) == 5
    circles = page.page.eval_on_selector_all(
        "svg#map circle.shelter-site",
        "els => els.map(e => [e.dataset.site, e.getAttribute('fill'), +e.getAttribute('r')])",
    )
    by_site = {c[0]: c for c in circles}
    assert by_site["idlib-stadium"][1] == "#b71c1c"  # worst gap: latrines
    assert by_site["kafr-lusin-rc"][1] == "#2e7d32"  # empty: meets every minimum
    assert by_site["atmeh-olive-grove"][2] > by_site["dana-school"][2]  # 3320 people against 205
    page.wait_js("document.querySelectorAll('#chart circle.dot').length === 3")
    labels = page.page.eval_on_selector_all("#chart text", "els => els.map(e => e.textContent)")
    assert {"310", "720", "1060"} <= set(labels)

    # Offline: the update waits on the device, then goes when the network is back.
    page.page.context.set_offline(True)
    page.page.select_option("#f-site", "dana-school")
    page.page.fill("#f-latrines_working", "6")
    page.page.click("#update button[type=submit]")
    page.wait_js("JSON.parse(localStorage.getItem('nadhir.shelters.queue') || '[]').length === 1")
    assert not page.page.is_hidden("#queue")
    page.page.context.set_offline(False)
    page.page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_js("JSON.parse(localStorage.getItem('nadhir.shelters.queue') || '[]').length === 0")
    history = live.api("GET", "/api/v1/shelters/dana-school/history").json()
    assert history[-1]["latrines_working"] == 6 and history[-1]["source"] == "api:admin:adam"
    assert page.external() == [] and page.errors == []
    page.shot("shelters.png")
    # Arabic: right to left, Arabic names in the table and on the map.
    page.page.click("#lang")
    page.wait_js("document.documentElement.dir === 'rtl'")
    assert "الملعب البلدي في إدلب" in page.page.inner_text("#ranked tbody")
    assert page.page.inner_text("h1 [data-s=title]") == "مواقع النزوح"
    page.shot("shelters-ar.png")
    page.page.evaluate("localStorage.setItem('nadhir.lang', 'en')")
