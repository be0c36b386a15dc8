"""The weekly bulletin from the store: the week's alarms and, per facility, rates, reporting and plot.

Only reports of periods up to the bulletin's week are read, so a bulletin made again later says
what could be known that week (a late report of that week is in it; later weeks are not).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from nadhir.health.alarms import Facility, detect_series, find_alarms
from nadhir.health.bulletin import FacilityPage, bulletin_html
from nadhir.health.rates import rates
from nadhir.service.outcomes import WATCHED, OutcomeDesk

RATES_WEEKS = 13
PDF_TIMEOUT_S = 120


def build_bulletin(
    desk: OutcomeDesk, week: dt.date, now: float, *, method: str = "auto", indicator: str = "stillbirths",
    weeks_shown: int = 52,
) -> str:  # fmt: skip
    """The bulletin of the ISO week starting ``week`` (a Monday), as HTML."""
    received = desk.received(until=week)
    reporting = desk.reporting(now, received=received, until=week)
    records = [r.record for r in received]
    alarms = []
    for name in WATCHED:
        alarms += [a for a in find_alarms(records, desk.facilities, name, desk.detect, method=method,
                                          reporting=reporting, nearby=desk.nearby, radius_km=desk.radius_km,
                                          since=week) if a.period_start == week]  # fmt: skip
    pages = []
    for fid in sorted({r.facility_id for r in records}):
        mine = [r for r in records if r.facility_id == fid]
        recent = [r for r in mine if r.period_start > week - dt.timedelta(weeks=RATES_WEEKS)]
        points = detect_series(mine, indicator, desk.detect, method)[-weeks_shown:]
        facility = desk.facilities.get(fid) or Facility(fid, fid, 0.0, 0.0)
        pages.append(FacilityPage(facility, indicator, points, rates(recent), reporting.get(fid)))
    label = f"{week.isocalendar()[0]}-W{week.isocalendar()[1]:02d}"
    return bulletin_html(label, now, pages, alarms, rates_window=f"the {RATES_WEEKS} weeks to {label}")


def write_pdf(html_text: str, out: Path) -> None:
    """Print the HTML to PDF with a headless Chromium, if one is installed; :class:`RuntimeError` if not.

    No PDF library is a dependency of the product; a browser prints the bulletin's own print CSS.
    """
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise RuntimeError(
            "PDF needs a Chromium browser on the PATH; write --out FILE.html and print it instead"
        )
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "bulletin.html"
        page.write_text(html_text, encoding="utf-8")
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--print-to-pdf={out.resolve()}", page.as_uri()]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"Chromium could not print the PDF: {done.stderr.decode(errors='replace')[-500:]}")
