"""A facility's series as SVG, drawn by hand: counts, the expected band, the threshold, the alarms.

The band runs from the expected count to the threshold (what the detector would still call
usual); the threshold is a dashed line; a period in alarm is a red dot with a ring. The SVG is
self-contained text (no script, no fonts to fetch), so the console shows it inline and the
bulletin prints it. Pure: no I/O.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from nadhir.health.alarms import SeriesPoint
from nadhir.health.outcomes import Period, period_label

COLOURS = {
    "observed": "#1f4e79",
    "band": "#c9ddf0",
    "threshold": "#b85c00",
    "alarm": "#c00000",
    "axis": "#555",
}


def _nice_max(value: float) -> float:
    """A round top for the y axis, at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return 10.0 * magnitude


def _num(v: float | None) -> str:
    return "none yet" if v is None else f"{v:.1f}"


def _runs(flags: Sequence[bool]) -> list[list[int]]:
    """The runs of consecutive indices whose flag is set."""
    out: list[list[int]] = []
    for i, ok in enumerate(flags):
        if not ok:
            continue
        if out and out[-1][-1] == i - 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def series_svg(
    title: str,
    points: Sequence[SeriesPoint],
    *,
    period: Period = "week",
    width: int = 720,
    height: int = 220,
    last: int | None = 104,
) -> str:
    """The SVG of one series (its ``last`` periods), with a title and an accessible description."""
    shown = list(points[-last:] if last else points)
    left, right, top, bottom = 44, 10, 26, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    alarms = sum(1 for p in shown if p.alarm)
    desc = f"{title}: {len(shown)} periods, {alarms} in alarm"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{html.escape(desc)}" class="outcome-plot">'
            f"<title>{html.escape(desc)}</title>"
            f'<text x="{left}" y="16" font-size="13" font-family="sans-serif" fill="#111">'
            f"{html.escape(title)}</text>")  # fmt: skip
    if not shown:
        middle = top + plot_h / 2
        return head + f'<text x="{left}" y="{middle:.0f}" font-size="12" fill="#555">no reports</text></svg>'
    finite = [
        v for p in shown for v in (p.observed, p.expected, p.threshold) if v is not None and math.isfinite(v)
    ]
    y_max = _nice_max(max(finite) if finite else 1.0)
    n = len(shown)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        v = min(max(v, 0.0), y_max) if math.isfinite(v) else y_max
        return top + plot_h * (1 - v / y_max)

    parts = [head]
    # Axes and y ticks.
    for k in range(5):
        v = y_max * k / 4
        parts.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" '
                     'stroke="#e3e3e3"/>'
                     f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" '
                     f'font-family="sans-serif" fill="{COLOURS["axis"]}">{v:g}</text>')  # fmt: skip
    # Expected band (expected .. threshold) and the threshold line, over each run of periods that
    # have both (a method has none before its baseline fills).
    for run in _runs([p.expected is not None and p.threshold is not None for p in shown]):
        upper = " ".join(f"{x(i):.1f},{y(shown[i].threshold or 0.0):.1f}" for i in run)
        lower = " ".join(f"{x(i):.1f},{y(shown[i].expected or 0.0):.1f}" for i in reversed(run))
        band, line = COLOURS["band"], COLOURS["threshold"]
        parts.append(f'<polygon points="{upper} {lower}" fill="{band}" stroke="none">'
                     "<title>expected band: expected count to threshold</title></polygon>")  # fmt: skip
        parts.append(f'<polyline points="{upper}" fill="none" stroke="{line}" stroke-width="1.2" '
                     'stroke-dasharray="4 3"><title>threshold</title></polyline>')  # fmt: skip
    observed = " ".join(f"{x(i):.1f},{y(p.observed):.1f}" for i, p in enumerate(shown))
    parts.append(
        f'<polyline points="{observed}" fill="none" stroke="{COLOURS["observed"]}" stroke-width="1.6"/>'
    )
    for i, p in enumerate(shown):
        label = period_label(period, p.period_start)
        tip = f"{label}: observed {p.observed:g}, expected {_num(p.expected)}, threshold {_num(p.threshold)}"
        if p.alarm:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(p.observed):.1f}" r="6" fill="none" '
                         f'stroke="{COLOURS["alarm"]}" stroke-width="1.5"/>'
                         f'<circle cx="{x(i):.1f}" cy="{y(p.observed):.1f}" r="3" fill="{COLOURS["alarm"]}">'
                         f"<title>ALARM {html.escape(tip)}</title></circle>")  # fmt: skip
        else:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(p.observed):.1f}" r="1.8" '
                         f'fill="{COLOURS["observed"]}">'
                         f"<title>{html.escape(tip)}</title></circle>")  # fmt: skip
    # A few x labels: first, last, and about every quarter.
    step = max(1, n // 6)
    for i in [*range(0, n, step), n - 1]:
        if i >= n or (i != n - 1 and n - 1 - i < step / 2):
            continue
        # The first and last labels keep inside the picture.
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{height - 10}" font-size="10" text-anchor="{anchor}" '
                     f'font-family="sans-serif" fill="{COLOURS["axis"]}">'
                     f"{period_label(period, shown[i].period_start)}</text>")  # fmt: skip
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
                 f'stroke="{COLOURS["axis"]}"/></svg>')  # fmt: skip
    return "".join(parts)
