"""The weekly outcomes bulletin: one printable HTML page with a table of alarms, then per facility
its rates (with 95 % Wilson intervals), its reporting, and the plot of its series.

Self-contained (inline SVG and CSS, nothing fetched), A4-friendly (one facility never breaks
across pages). Pure: the figures are given, the HTML is returned.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from nadhir.health.alarms import Facility, OutcomeAlarm, SeriesPoint
from nadhir.health.completeness import Completeness
from nadhir.health.plot import series_svg
from nadhir.health.rates import INDICATORS, Rate

CSS = """
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #111; margin: 16mm;
       font-size: 11pt; }
h1 { font-size: 18pt; margin: 0 0 4pt; } h2 { font-size: 13pt; margin: 14pt 0 4pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }
th, td { border: 1px solid #bbb; padding: 2pt 5pt; text-align: left; font-size: 9.5pt; }
th { background: #eef2f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.flag { color: #b85c00; font-weight: bold; } .alarm { color: #c00000; font-weight: bold; }
section.facility { page-break-inside: avoid; break-inside: avoid; }
svg { max-width: 100%; height: auto; }
.muted { color: #555; font-size: 9pt; }
@page { size: A4; margin: 12mm; }
"""


@dataclass(frozen=True, slots=True)
class FacilityPage:
    """What the bulletin shows of one facility."""

    facility: Facility
    indicator: str
    points: Sequence[SeriesPoint]
    rates: Sequence[Rate]
    reporting: Completeness | None


def _num(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _day(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


def _alarm_rows(alarms: Sequence[OutcomeAlarm], names: dict[str, str]) -> str:
    if not alarms:
        return "<p>No alarm this week.</p>"
    rows = []
    for a in alarms:
        share = "–" if a.completeness is None else f"{a.completeness:.0%}"
        flag = ' <span class="flag">incomplete reporting</span>' if a.flagged else ""
        near = "; ".join(
            f"{html.escape(e.description)} ({e.distance_km:g} km, {_day(e.t)})" for e in a.nearby[:5]
        )
        more = f" and {len(a.nearby) - 5} more" if len(a.nearby) > 5 else ""
        rows.append(
            f"<tr><td>{html.escape(names.get(a.facility_id, a.facility_id))}</td>"
            f"<td>{html.escape(a.indicator)}</td><td>{a.label}</td><td class='n alarm'>{a.observed:g}</td>"
            f"<td class='n'>{a.expected:.1f}</td><td class='n'>{a.threshold:.1f}</td>"
            f"<td>{html.escape(a.method)}</td><td class='n'>{share}{flag}</td>"
            f"<td>{len(a.nearby)}{': ' + near + more if near else ''}</td></tr>"
        )
    head = ("<tr><th>Facility</th><th>Indicator</th><th>Period</th><th>Observed</th><th>Expected</th>"
            "<th>Threshold</th><th>Method</th><th>Completeness</th>"
            "<th>Strikes, impacts, attacks nearby</th></tr>")  # fmt: skip
    return f"<table>{head}{''.join(rows)}</table>"


def _rates_table(rates: Sequence[Rate]) -> str:
    rows = []
    for r in rates:
        unit = "per 1,000" if r.per == 1000 else "%"
        rows.append(f"<tr><td>{html.escape(INDICATORS[r.indicator].label)}</td><td class='n'>{r.events}</td>"
                    f"<td class='n'>{r.total}</td><td class='n'>{_num(r.value)} {unit}</td>"
                    f"<td class='n'>{_num(r.low)} – {_num(r.high)}</td></tr>")  # fmt: skip
    head = "<tr><th>Rate</th><th>Events</th><th>Of</th><th>Rate</th><th>95 % interval (Wilson)</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _reporting(c: Completeness | None) -> str:
    if c is None or c.completeness is None:
        return "<p class='muted'>Reporting: no periods expected yet.</p>"
    flag = "" if c.complete_enough else " <span class='flag'>under 80 %: read alarms with care</span>"
    return (f"<p class='muted'>Reporting: {c.reported} of {c.expected} weeks ({c.completeness:.0%}){flag}; "
            f"on time {c.on_time} ({_num(100 * (c.timeliness or 0), 0)} %), late {c.late}.</p>")  # fmt: skip


def bulletin_html(
    week: str, generated_at: float, pages: Sequence[FacilityPage], alarms: Sequence[OutcomeAlarm], *,
    rates_window: str = "the last 13 weeks",
) -> str:  # fmt: skip
    """The bulletin of ISO week ``week`` (``2026-W14``) as a whole HTML document."""
    names = {p.facility.id: p.facility.name for p in pages}
    when = dt.datetime.fromtimestamp(generated_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Mothers' and newborns' outcomes, {html.escape(week)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Mothers' and newborns' outcomes — week {html.escape(week)}</h1>",
        f"<p class='muted'>Nadhir outcome surveillance. Generated {when}. "
        f"Rates over {html.escape(rates_window)} "
        "with 95 % Wilson score intervals. Plots: counts (line), expected band (shaded, expected to "
        "threshold), threshold (dashed), alarms (red).</p>",
        f"<h2>Alarms ({len(alarms)})</h2>",
        _alarm_rows(alarms, names),
    ]
    for p in pages:
        out.append(f"<section class='facility'><h2>{html.escape(p.facility.name)}</h2>")
        out.append(_reporting(p.reporting))
        out.append(_rates_table(p.rates))
        label = INDICATORS[p.indicator].name.replace("_", " ")
        out.append(series_svg(f"{p.facility.name}: {label} per week", p.points))
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)
