"""The console's map in a real browser: labels that never overlap, hospitals always shown, a scale
bar, a north arrow and zoom buttons, a legend for every symbol drawn, roads out of the alert
colours, doubtful speeds shown as such, Arabic labels clear of their symbols, the selected threat's
line (issue 15, "the map").

The server is test_browser.py's (the demo, live); screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import colorsys
import re
import time
from typing import Any

from test_browser import Live, Page, browser, live

__all__ = ["browser", "live"]  # the fixtures, shared with test_browser.py

# Every visible text on the map, with its box on screen and what it labels.
VISIBLE_TEXTS = """() => [...document.querySelectorAll('svg#map text')]
  .filter((t) => t.textContent.trim() && getComputedStyle(t).visibility !== 'hidden'
    && getComputedStyle(t).display !== 'none')
  .map((t) => { const r = t.getBoundingClientRect();
    return { text: t.textContent, cls: t.getAttribute('class') || '',
             site: t.dataset.site || null, track: t.dataset.track || null,
             box: [r.left, r.top, r.right, r.bottom] }; })"""

SVG_BOX = """() => { const r = document.querySelector('svg#map').getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom]; }"""
VIEWBOX = "() => document.querySelector('svg#map').getAttribute('viewBox').split(' ').map(Number)"

# Labels drawn over their own symbol (a site's dot or hospital square, a track's icon as drawn,
# rotated): points across each label's box that hit the symbol's shape.
OWN_COVERED = """() => [...document.querySelectorAll('svg#map text')]
  .filter((t) => getComputedStyle(t).visibility !== 'hidden' && (t.dataset.site || t.dataset.track))
  .filter((t) => {
    const mark = t.dataset.site
      && document.querySelector(`svg#map g.site-mark[data-site="${t.dataset.site}"]`);
    const own = mark ? mark.querySelector('.site-hospital, .site-dot')
      : document.querySelector(`svg#map g.track[data-track="${t.dataset.track}"] .track-icon`);
    if (!own) return false;
    const r = t.getBoundingClientRect();
    for (let i = 0; i <= 10; i++) for (let j = 0; j <= 4; j++) {
      const x = r.left + 0.5 + (r.width - 1) * i / 10, y = r.top + 0.5 + (r.height - 1) * j / 4;
      if (document.elementsFromPoint(x, y).includes(own)) return true;
    }
    return false;
  }).map((t) => t.textContent)"""

# Texts, map and symbols read in one go: the same frame (the map redraws several times a second).
SNAPSHOT = f"() => ({{ texts: ({VISIBLE_TEXTS})(), frame: ({SVG_BOX})(), covered: ({OWN_COVERED})() }})"

LEGEND_KEYS = (
    "() => [...document.querySelectorAll('#map-legend li[data-symbol]')].map((li) => li.dataset.symbol)"
)
DRAWN_SYMBOLS = """() => [...new Set([...document.querySelectorAll('svg#map [data-symbol]')]
  .flatMap((e) => e.dataset.symbol.split(' ')))]"""


def overlap(a: list[float], b: list[float], tolerance: float = 0.5) -> bool:
    return (
        a[0] < b[2] - tolerance
        and b[0] < a[2] - tolerance
        and a[1] < b[3] - tolerance
        and b[1] < a[3] - tolerance
    )


def assert_labels_clear(
    page: Page, where: str, snapshot: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """No two visible texts overlap, none is cut at the map's edge, none covers its own symbol."""
    snap = snapshot or page.page.evaluate(SNAPSHOT)
    texts: list[dict[str, Any]] = snap["texts"]
    frame = snap["frame"]
    assert snap["covered"] == [], f"{where}: labels run across their own symbols: {snap['covered']}"
    assert len(texts) >= 10, f"{where}: only {len(texts)} labels shown"
    for i, a in enumerate(texts):
        box = a["box"]
        assert box[0] >= frame[0] - 0.5 and box[2] <= frame[2] + 0.5, (
            f"{where}: {a['text']!r} cut at the edge"
        )
        assert box[1] >= frame[1] - 0.5 and box[3] <= frame[3] + 0.5, (
            f"{where}: {a['text']!r} cut at the edge"
        )
        for b in texts[i + 1 :]:
            assert not overlap(box, b["box"]), f"{where}: {a['text']!r} overlaps {b['text']!r}"
    return texts


def open_console(browser: object, live: Live) -> Page:
    page = Page(browser, live)
    page.page.goto(f"{live.base}/console/#token={live.operator}")
    page.page.wait_for_selector("svg#map path.base-road", timeout=15_000)
    page.page.wait_for_selector("#conn.on", timeout=15_000)
    page.page.wait_for_selector("svg#map g.track .track-icon", timeout=60_000)
    page.page.wait_for_timeout(600)  # a redraw after the snapshot's tracks
    return page


def test_map_labels_scale_north_zoom_and_legend(browser: object, live: Live) -> None:
    page = open_console(browser, live)
    texts = assert_labels_clear(page, "home view")
    shown = {t["text"] for t in texts}
    # The two Idlib hospitals, a few hundred metres apart, both named (they used to print on top of
    # each other).
    assert "Idlib Maternity Hospital" in shown and "Idlib National Hospital" in shown, shown
    # Hospitals are always visible: nine symbols on screen, painted over by nothing but an aircraft
    # or another hospital (two Idlib hospitals stand a few pixels apart at this zoom), not by a
    # site's area nor the sensors and observers standing at some; each mostly its own.
    frame = page.page.evaluate(SVG_BOX)
    hospitals = page.page.evaluate(
        """() => [...document.querySelectorAll('svg#map g.site-mark.hospital')].map((g) => {
          const r = g.querySelector('.site-hospital').getBoundingClientRect();
          let seen = 0, own = 0;
          for (const fx of [0.2, 0.5, 0.8]) for (const fy of [0.2, 0.5, 0.8]) {
            const top = document.elementFromPoint(r.left + fx * r.width, r.top + fy * r.height);
            if (top && top.closest('g.site-mark') === g) own += 1;
            if (top && top.closest('g.site-mark.hospital, .layer-tracks, .layer-selection')) seen += 1;
          }
          return { id: g.dataset.site, box: [r.left, r.top, r.right, r.bottom], seen, own };
        })"""
    )
    assert len(hospitals) == 9
    for h in hospitals:
        box = h["box"]
        assert box[2] - box[0] >= 6
        assert frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1] and box[3] <= frame[3]
        assert h["seen"] == 9 and h["own"] >= 3, f"hospital {h['id']} is covered ({h})"
    # Roads keep out of the alert levels' red, orange and green (hue within 40 degrees, saturated).
    levels = [_hsl(c) for c in ("#d7191c", "#f39c12", "#3a7d44")]
    others = page.page.evaluate(
        """() => [...document.querySelectorAll('svg#map .base-road')].map((e) => getComputedStyle(e).stroke)
           .concat([...document.querySelectorAll('svg#map .site-hospital, svg#map .track-icon')]
             .map((e) => getComputedStyle(e).fill))"""
    )
    for colour in set(others):
        h, s, _ = _hsl(colour)
        for lh, _ls, _ll in levels:
            assert s < 0.25 or min(abs(h - lh), 360 - abs(h - lh)) > 40, f"{colour} looks like an alert level"
    # Scale bar, north arrow, zoom buttons.
    assert page.page.locator("svg#map g.map-north").count() == 1
    assert page.page.get_attribute("svg#map g.map-north", "aria-label") == "North"
    _check_scale_bar(page)
    names = page.page.eval_on_selector_all(
        ".map-zoom button", "bs => bs.map((b) => b.getAttribute('aria-label'))"
    )
    assert names == ["Zoom in", "Zoom out", "Show the whole area"]
    home = page.page.evaluate(VIEWBOX)
    page.page.click(".map-zoom button[data-zoom=zoom_in]")
    zoomed = page.page.evaluate(VIEWBOX)
    assert abs(zoomed[2] - home[2] / 1.5) < 1e-2 and abs(zoomed[3] - home[3] / 1.5) < 1e-2
    page.page.wait_for_timeout(300)
    _check_scale_bar(page)
    assert_labels_clear(page, "zoomed in")
    page.shot("map-zoomed.png")
    # The keyboard: Tab to the buttons, Enter and Space press them.
    page.page.focus(".map-zoom button[data-zoom=zoom_out]")
    page.page.keyboard.press("Enter")
    assert abs(page.page.evaluate(VIEWBOX)[2] - home[2]) < 1e-2
    page.page.focus(".map-zoom button[data-zoom=zoom_in]")
    page.page.keyboard.press("Space")
    page.page.keyboard.press("Space")
    assert page.page.evaluate(VIEWBOX)[2] < zoomed[2]
    page.page.focus(".map-zoom button[data-zoom=zoom_home]")
    page.page.keyboard.press("Enter")
    assert page.page.evaluate(VIEWBOX) == home
    # The legend has an entry for every kind of symbol on the map, sensors and observers included.
    legend = page.page.evaluate(LEGEND_KEYS)
    drawn = set(page.page.evaluate(DRAWN_SYMBOLS))
    assert drawn - set(legend) == set(), drawn - set(legend)
    assert {"sensor", "observer", "hospital", "level-none", "road", "highway", "border", "place"} <= drawn
    for key in (
        "level-imminent",
        "level-early",
        "level-none",
        "hospital",
        "sensor",
        "observer",
        "jet",
        "helicopter",
        "drone",
        "unknown",
        "tentative",
        "speed-uncertain",
        "trail",
        "prediction",
        "cone",
        "threat-line",
    ):
        assert key in legend
    page.page.wait_for_timeout(300)
    page.shot("map.png")
    assert page.errors == [] and page.external() == []


def test_map_in_arabic(browser: object, live: Live) -> None:
    page = open_console(browser, live)
    page.page.click("#lang")
    page.wait_js("document.documentElement.dir === 'rtl'")
    page.page.wait_for_timeout(600)
    # The demo is live: look at frames until one shows a track's label.
    deadline = time.monotonic() + 60
    while True:
        snap = page.page.evaluate(SNAPSHOT)
        tracks = [t for t in snap["texts"] if "track-label" in t["cls"]]
        if tracks or time.monotonic() > deadline:
            break
        page.page.wait_for_timeout(200)
    assert tracks, "no track label shown in a minute"
    assert_labels_clear(page, "Arabic", snap)
    for t in tracks:
        assert "km/h" not in t["text"] and (("كم/س" in t["text"]) or ("السرعة غير مؤكدة" in t["text"]))
        assert "," not in t["text"], t["text"]  # Arabic punctuation: "،"
    # Word order: the track id is read first, so it is drawn at the right of its Arabic type.
    order = page.page.evaluate(
        """() => [...document.querySelectorAll('svg#map text.track-label')].map((t) => {
            const s = t.textContent; const i = s.search(/[\\u0600-\\u06FF]/);
            return [t.getStartPositionOfChar(1).x, t.getStartPositionOfChar(i).x];
          })"""
    )
    assert order and all(id_x > type_x for id_x, type_x in order), order
    assert page.page.get_attribute("svg#map g.map-north", "aria-label") == "الشمال"
    assert page.page.text_content("svg#map g.map-north text") == "ش"
    assert re.fullmatch(r"[\d.]+ كم", page.page.text_content("svg#map g.map-scale text"))
    assert page.page.get_attribute(".map-zoom button[data-zoom=zoom_in]", "aria-label") == "تكبير"
    legend = page.page.inner_text("#map-legend")
    assert "مشفى" in legend and "حساس" in legend and "مرصد" in legend
    page.shot("map-ar.png")
    page.page.click("#lang")
    assert page.errors == [] and page.external() == []


def test_map_draws_the_selected_threat_and_doubts_impossible_speeds(browser: object, live: Live) -> None:
    """map.js on its own, on the console's page: the scene the console's redraw() hands it."""
    page = open_console(browser, live)
    sites = live.api("GET", "/api/v1/sites").json()
    basemap = live.api("GET", "/api/v1/basemap").json()
    idlib = next(s for s in sites if s["id"] == "idlib")
    result = page.page.evaluate(
        """async ([sites, basemap, idlib]) => {
          const m = await import('/static/map.js');
          const box = document.createElement('div');
          box.id = 'harness';
          box.style.cssText = 'position:fixed;left:0;top:0;width:900px;height:600px;z-index:10';
          const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
          box.appendChild(svg);
          document.body.appendChild(box);
          const view = new m.MapView(svg, basemap, sites.map((s) => [s.lon, s.lat]));
          const track = (id, aircraft, speed, sigma, dlat) => ({
            track: id, aircraft, speed_mps: speed, speed_sigma_mps: sigma, heading_deg: 90,
            lat: idlib.lat + dlat, lon: idlib.lon - 0.25, sigma_m: 500, confirmed: true,
            trail: [], prediction: [] });
          const tracks = [track('T1', 'jet', 15.6, null, 0.1), track('T2', 'helicopter', 250, null, 0),
                          track('T3', 'jet', 200, 10, -0.1), track('T4', 'jet', 200, 120, -0.2),
                          track('T5', 'drone', 30, 3, 0.2)];
          view.render({
            sites: sites.map((site) => ({
              site, status: site.id === 'idlib' ? { level: 'imminent' } : {}, label: site.name })),
            tracks: tracks.map((t) => ({ track: t, label: m.trackLabel(t) })),
            selected: { track: 'T3', site: 'idlib' },
          });
          await new Promise((r) => requestAnimationFrame(r));
          const line = svg.querySelector('line.threat-line');
          const icon = svg.querySelector('g.track[data-track=T3] .track-icon').getAttribute('transform');
          const area = svg.querySelector('g.site[data-site=idlib] .site-area');
          return {
            line: line && ['x1', 'y1', 'x2', 'y2'].map((a) => Number(line.getAttribute(a))),
            icon: icon.match(/translate\\(([-\\d.]+),([-\\d.]+)\\)/).slice(1).map(Number),
            site: [Number(area.getAttribute('cx')), Number(area.getAttribute('cy'))],
            selected: [...svg.querySelectorAll('.selected')].map((e) => e.dataset.site || e.dataset.track),
            rings: svg.querySelectorAll('.selected-ring').length,
            labels: Object.fromEntries([...svg.querySelectorAll('text.track-label')]
              .map((t) => [t.dataset.track, t.textContent])),
            uncertain: [...svg.querySelectorAll('g.track.speed-uncertain')].map((g) => g.dataset.track),
            siteLabel: svg.querySelector('text.site-label[data-site=idlib]').dataset.placed,
          };
        }""",
        [sites, basemap, idlib],
    )
    assert result["line"] is not None, "no line from the selected track to its site"
    x1, y1, x2, y2 = result["line"]
    assert abs(x1 - result["icon"][0]) < 1e-2 and abs(y1 - result["icon"][1]) < 1e-2
    assert abs(x2 - result["site"][0]) < 1e-2 and abs(y2 - result["site"][1]) < 1e-2
    assert sorted(result["selected"]) == ["T3", "idlib"] and result["rings"] == 2
    assert result["siteLabel"] == "1"
    # A jet at 56 km/h, a helicopter at 900 km/h, a jet whose speed the server knows to +-430 km/h (on 720):
    # uncertain. A jet at 720 km/h known to +-36 km/h, a drone at 108 km/h: shown.
    assert sorted(result["uncertain"]) == ["T1", "T2", "T4"]
    assert "speed uncertain" in result["labels"]["T1"] and "56" not in result["labels"]["T1"]
    assert result["labels"]["T3"].endswith("jet, 720 km/h")
    assert result["labels"]["T5"].endswith("drone, 108 km/h")
    page.shot("map-selected.png")
    assert page.errors == [] and page.external() == []


def _check_scale_bar(page: Page) -> None:
    """The scale bar says N km and is N km long on screen."""
    km = float(page.page.get_attribute("svg#map g.map-scale", "data-km") or "nan")
    assert page.page.text_content("svg#map g.map-scale text") == f"{km:g} km"
    view = page.page.evaluate(VIEWBOX)
    frame = page.page.evaluate(SVG_BOX)
    px_per_km = 1 / max(view[2] / (frame[2] - frame[0]), view[3] / (frame[3] - frame[1]))
    bar = page.page.evaluate(
        "() => [...document.querySelectorAll("
        "'svg#map g.map-scale rect.scale-dark, svg#map g.map-scale rect.scale-light')]"
        ".reduce((w, r) => w + r.getBoundingClientRect().width, 0)"
    )
    assert 40 <= bar <= 130 and abs(bar - km * px_per_km) < 0.03 * bar + 1.5, (bar, km * px_per_km)


def _hsl(colour: str) -> tuple[float, float, float]:
    """Hue (degrees), saturation and lightness of '#rrggbb' or 'rgb(r, g, b)'."""
    if colour.startswith("#"):
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    else:
        r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    h, lightness, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    return h * 360, s, lightness
