"""The outcomes page in a real browser (Debian's chromium, driven by Playwright): alarms and the
series show, a coordinator reviews an alarm, and a report sent offline waits and goes when online.

Skips without chromium (as the service's browser tests do).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stand_in_detector

from nadhir.health.outcomes_csv import read_outcomes_csv
from nadhir.service.app import Service, create_app
from nadhir.service.outcomes import DEMO_CSV
from nadhir.service.settings import Settings, token_spec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from service_helpers import serving

playwright_sync = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
TOKEN = "health-token-0123456789ab"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Service]]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed")
    db = tmp_path_factory.mktemp("outcomes-browser") / "s.sqlite3"
    settings = Settings(db=f"sqlite:///{db}", outbox=False).with_tokens(token_spec("health", "huda", TOKEN))
    app = create_app(settings)
    with serving(app) as url:
        svc: Service = app.state.service
        desk = svc.outcomes
        assert desk is not None
        desk.use_detector(stand_in_detector.detect)
        records = read_outcomes_csv(DEMO_CSV.read_text(encoding="utf-8"))
        desk.submit(records, time.time(), "demo", "test")
        desk.as_of = max(r.period_start for r in records)
        desk.scan(time.time(), since=desk.as_of - dt.timedelta(weeks=12))
        yield url, svc


def wait(page: object, expression: str, timeout_s: float = 45.0) -> None:  # a loaded machine is slow
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)  # type: ignore[attr-defined]


def test_alarms_series_review_and_an_offline_report(base: tuple[str, Service]) -> None:
    url, svc = base
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/outcomes/#token={TOKEN}")
        wait(page, "document.querySelectorAll('#alarms tbody tr td.alarm').length > 0")
        wait(page, "document.querySelector('#plot svg.outcome-plot') !== null")
        rows = page.evaluate("document.querySelectorAll('#alarms tbody tr').length")
        assert rows == len(svc.outcomes.book.alarms())  # type: ignore[union-attr]
        assert "Idlib Maternity Hospital" in page.inner_text("#alarms")
        assert "under 80 %" in page.inner_text("#facilities")  # Jisr al-Shughur misses weeks
        # axe-core finds no critical violation (as the console, kiosk and replay pages are held to).
        axe = pytest.importorskip("axe_playwright_python.sync_playwright")
        violations = [
            f"{v['id']} at {n['target']}: {v['help']}"
            for v in axe.Axe().run(page).response["violations"] if v["impact"] == "critical"
            for n in v["nodes"]
        ]  # fmt: skip
        assert violations == []

        # A coordinator marks the first alarm investigated.
        first = page.locator("#alarms tbody tr").first
        first.locator("select").select_option("investigated")
        first.locator("button").click()
        wait(page, "document.querySelector('#alarms tbody').innerText.includes('investigated (health:huda)')")

        # Offline: the report waits in the browser; back online, it is sent and kept.
        context.set_offline(True)
        page.evaluate("window.dispatchEvent(new Event('offline'))")
        form = page.locator("#report")
        form.locator("select[name=facility_id]").select_option("sarmada-hospital")
        form.locator("input[name=period_start]").fill("2026-W50")
        counts = {
            "live_births": "150",
            "stillbirths_fresh": "1",
            "stillbirths_macerated": "2",
            "miscarriages": "9",
            "preterm_births": "14",
            "low_birth_weight": "16",
            "neonatal_deaths": "2",
            "maternal_deaths": "0",
        }
        for name, value in counts.items():
            form.locator(f"input[name={name}]").fill(value)
        form.locator("button[type=submit]").click()
        wait(page, "JSON.parse(localStorage.getItem('nadhir.outcomes.queue') || '[]').length === 1")
        assert "Offline" in page.inner_text("#form-result")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait(page, "JSON.parse(localStorage.getItem('nadhir.outcomes.queue') || '[]').length === 0")
        wait(page, "document.querySelector('#form-result').innerText.startsWith('Sent sarmada')")
        kept = svc.outcomes.received("sarmada-hospital")  # type: ignore[union-attr]
        assert any(r.record.label == "2026-W50" and r.record.live_births == 150 for r in kept)
        assert errors == []
        browser.close()
