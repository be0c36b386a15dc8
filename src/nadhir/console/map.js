// A plain SVG map: the bundled GeoJSON base map, sites, sources, tracks. No tiles, no network.
// Map units are kilometres east/north of the base map's centre (equirectangular about it), so north
// is straight up everywhere on it and a kilometre is the same length in both directions.
import { lang, t } from "/static/i18n.js";

const NS = "http://www.w3.org/2000/svg";
const KM_PER_DEG = 111.32;

export function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// Red, orange and green belong to the alert levels and to nothing else on the map: roads are grey,
// aircraft blue, teal, purple and dark grey, hospitals blue, sources dark / grey / hollow. A red
// or an orange patch always means a warning.
export const LEVEL_COLOURS = { imminent: "#d7191c", early: "#f39c12", null: "#3a7d44" };
export const AIRCRAFT_COLOURS = { jet: "#283593", helicopter: "#00838f", drone: "#8e24aa", unknown: "#424242" };

// Ground speeds each type of aircraft can fly, m/s. A reading outside its type's band is the
// estimate's fault (a track built from a few bearings or reports, or a type mistaken), never the
// aircraft's, so the map says "speed uncertain" rather than print it:
// - jet: combat jets (Su-22/24, MiG-23) stall below ~250 km/h and do not fly faster than ~1,250 km/h
//   near the ground: 70-350 m/s;
// - helicopter: from the hover (0) to ~360 km/h (the Mi-24's top speed is ~335 km/h): 0-100 m/s;
// - drone: reconnaissance and one-way attack drones (Orlan-10, Shahed-136) fly up to ~185 km/h;
//   250 km/h leaves room for a tailwind: 0-70 m/s;
// - unknown: anything from the hover to a jet's top speed: 0-350 m/s.
export const SPEED_BANDS_MPS = { jet: [70, 350], helicopter: [0, 100], drone: [0, 70], unknown: [0, 350] };
// The server's own word comes first: a live track carries the 1-sigma of its speed along its
// heading (speed_sigma_mps, from the track filter's covariance). A speed whose sigma is more than
// half of itself (or 10 m/s at low speeds) is shown as uncertain: its 2-sigma range runs from about
// nothing to double. Over the demo (benchmarks/map_speed_doubt.py, docs/benchmarks.md) this flags
// 71 % of the published speeds, 56 % of them wrong by over 30 %; of the speeds it shows, 12 % are
// (43 % of all speeds are, with no rule; 36 % with the type bands alone).
export const SPEED_SIGMA_FLOOR_MPS = 10;
export const SPEED_SIGMA_SHARE = 0.5;

// Why a track's speed should not be shown as a fact: "sigma" (the server says it is poorly known),
// "band" (impossible for its type), or null (shown as measured).
export function speedDoubt(track) {
  const v = track.speed_mps;
  if (v == null || !isFinite(v)) return "band";
  const sigma = track.speed_sigma_mps;
  if (sigma != null && sigma > Math.max(SPEED_SIGMA_FLOOR_MPS, SPEED_SIGMA_SHARE * v)) return "sigma";
  const [lo, hi] = SPEED_BANDS_MPS[track.aircraft] || SPEED_BANDS_MPS.unknown;
  return v < lo || v > hi ? "band" : null;
}

// Left-to-right isolate: a Latin track id keeps its own order inside Arabic text.
const ltr = (text) => `\u2066${text}\u2069`;

// A track's label: id, type, speed (or "speed uncertain"), and (unconfirmed); in the page's language
// and word order (the id first, which in Arabic is at the right, where reading starts).
export function trackLabel(track) {
  const parts = [t(track.aircraft)];
  if (speedDoubt(track)) parts.push(t("speed_uncertain"));
  else parts.push(`${Math.round(track.speed_mps * 3.6)} ${t("kmh")}`);
  const text = `${ltr(track.track)} ${parts.join(t("comma"))}`;
  return track.confirmed === false ? `${text} (${t("unconfirmed")})` : text;
}

// Icons drawn pointing north in a 2x2 box about the origin; scaled and rotated per track.
const ICONS = {
  jet: "M0,-1 L0.22,-0.25 L0.95,0.35 L0.95,0.55 L0.2,0.3 L0.15,0.75 L0.45,0.95 L0,0.85 L-0.45,0.95 L-0.15,0.75 L-0.2,0.3 L-0.95,0.55 L-0.95,0.35 L-0.22,-0.25 Z",
  helicopter: "M-0.18,-0.55 L0.18,-0.55 L0.25,0.1 L0.08,0.2 L0.06,0.95 L-0.06,0.95 L-0.08,0.2 L-0.25,0.1 Z M-1,-0.1 L1,-0.1 L1,0.02 L-1,0.02 Z",
  drone: "M-0.8,-0.7 L0,-0.15 L0.8,-0.7 L0.15,0 L0.8,0.7 L0,0.15 L-0.8,0.7 L-0.15,0 Z",
  unknown: "M0,-1 L0.6,0.8 L0,0.45 L-0.6,0.8 Z",
};

// Marker half-sizes in screen pixels (labels keep clear of them) and label font sizes.
const TRACK_ICON_PX = 11;
const TRACK_ICON_REACH_PX = 12.5;  // the icon's farthest point from its centre, at any heading
const HOSPITAL_PX = 5;
const SITE_DOT_PX = 2.5;
const SOURCE_PX = 3;
const SITE_FONT_PX = 12;
const TRACK_FONT_PX = 11;
const PLACE_FONT_PX = 11;
const LABEL_GAP_PX = 3;
const HALO_PX = 3;  // the white outline that keeps a label readable over lines and areas
const FAR_RINGS_PX = [0, 14, 30];  // how much further off than beside its symbol a label may stand
const LABEL_PAD_PX = 2;  // kept clear around every label, so close labels stay readable

// Label priorities: lower is placed first and wins the space.
const PRIORITY = { selected: 0, imminent: 1, early: 2, hospital: 3, track: 4, tentative: 5, site: 6, airbase: 7, city: 8, town: 9, village: 10 };

const NICE_KM = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const ZOOM_STEP = 1.5;

export class MapView {
  // focus: [[lon, lat], ...] the first view should frame (the sites); the whole base map otherwise.
  constructor(svg, basemap, focus = null) {
    this.svg = svg;
    this.basemap = basemap;
    const [minLon, minLat, maxLon, maxLat] = focus && focus.length
      ? bounds({ features: [{ geometry: { coordinates: focus } }] }) : bounds(basemap);
    this.lon0 = (minLon + maxLon) / 2;
    this.lat0 = (minLat + maxLat) / 2;
    this.kx = KM_PER_DEG * Math.cos(this.lat0 * Math.PI / 180);
    const [x0, y0] = this.project([minLon, maxLat]);
    const [x1, y1] = this.project([maxLon, minLat]);
    const pad = focus && focus.length ? 12 : 6;
    this.home = [x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad];
    this.view = [...this.home];
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    this.layers = {};
    // Labels above every symbol, the scale bar and north arrow above everything.
    // Sites' symbols above every site's warning area and above the sensors and observers (some
    // stand at a hospital), so nothing but an aircraft ever hides a hospital.
    for (const name of ["base", "sites", "sources", "marks", "selection", "tracks", "labels", "chrome"]) {
      this.layers[name] = el("g", { class: `layer-${name}` }, svg);
    }
    this.leaders = el("g", { class: "label-leaders" }, this.layers.labels);
    this.dynamicLabels = el("g", { class: "labels-live" }, this.layers.labels);
    this.labels = [];  // this frame's labels: { node, x, y, gapPx, km, fontPx, priority, insist, marker }
    this.markers = [];  // this frame's symbols, which labels keep clear of: { x, y, px, km }
    this.measured = new Map();
    this.chromeBoxes = [];
    this.onZoom = [];
    this.drawBase();
    this.controls = this.addControls();
    // Text is measured on a canvas and the map's size kept from the last resize: drawing a frame
    // never reads the page's layout back (which would lay out the whole console at every frame).
    this.fontFamily = getComputedStyle(svg).fontFamily || "sans-serif";
    this.measureBox();
    this.applyView();
    this.enablePanZoom();
    new ResizeObserver(() => { this.measureBox(); this.applyView(); }).observe(svg);
  }

  // The map's size on screen and where the zoom buttons sit on it (they move with the page's direction).
  measureBox() {
    const r = this.svg.getBoundingClientRect();
    const c = this.controls ? this.controls.getBoundingClientRect() : null;
    this.box = { width: r.width, height: r.height, dir: lang(),
      controls: c && c.width ? [c.left - r.left, c.top - r.top, c.right - r.left, c.bottom - r.top] : null };
  }

  project([lon, lat]) { return [(lon - this.lon0) * this.kx, -(lat - this.lat0) * KM_PER_DEG]; }

  // Kilometres per screen pixel, to size labels and icons the same at every zoom.
  scale() {
    const r = this.box;
    if (!r || !r.width || !r.height) return this.view[2] / 800;
    return Math.max(this.view[2] / r.width, this.view[3] / r.height);
  }

  // The part of the map on screen, [x0, y0, x1, y1] in map units (the view box plus the margins
  // that "meet" leaves on the longer side).
  visibleRect() {
    const [vx, vy, vw, vh] = this.view;
    const r = this.box;
    if (!r || !r.width || !r.height) return [vx, vy, vx + vw, vy + vh];
    const s = this.scale();
    const cx = vx + vw / 2, cy = vy + vh / 2;
    return [cx - r.width * s / 2, cy - r.height * s / 2, cx + r.width * s / 2, cy + r.height * s / 2];
  }

  applyView() {
    this.svg.setAttribute("viewBox", this.view.map((v) => v.toFixed(3)).join(" "));
    this.drawChrome();
    this.declutter();
    const s = this.scale();
    for (const fn of this.onZoom) fn(s);
  }

  // Zooms about a point in map units (the view's centre by default); factor < 1 zooms in.
  zoom(factor, cx = null, cy = null) {
    const [vx, vy, vw, vh] = this.view;
    if (cx == null) { cx = vx + vw / 2; cy = vy + vh / 2; }
    const w = Math.min(this.home[2] * 6, Math.max(2, vw * factor));
    const k = w / vw;
    this.view = [cx - (cx - vx) * k, cy - (cy - vy) * k, w, vh * k];
    this.applyView();
  }

  goHome() { this.view = [...this.home]; this.applyView(); }

  enablePanZoom() {
    let drag = null;
    this.svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = this.svg.getBoundingClientRect();
      const [x0, y0] = this.visibleRect();
      const s = this.scale();
      this.zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, x0 + (e.clientX - r.left) * s, y0 + (e.clientY - r.top) * s);
    }, { passive: false });
    this.svg.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY, [...this.view]]; });
    window.addEventListener("pointerup", () => { drag = null; });
    this.svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const s = this.scale();
      this.view = [drag[2][0] - (e.clientX - drag[0]) * s, drag[2][1] - (e.clientY - drag[1]) * s, drag[2][2], drag[2][3]];
      this.applyView();
    });
    this.svg.addEventListener("dblclick", () => this.goHome());
  }

  // Zoom in, zoom out and the whole area: real buttons, so they take the keyboard and a screen
  // reader reads their names; laid over the map's top corner on the reading side.
  addControls() {
    const parent = this.svg.parentElement;
    if (!parent) return null;
    const box = document.createElement("div");
    box.className = "map-zoom";
    box.setAttribute("role", "group");
    for (const [act, glyph] of [["zoom_in", "+"], ["zoom_out", "\u2212"], ["zoom_home", "\u2302"]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.zoom = act;
      b.textContent = glyph;
      b.addEventListener("click", () => {
        if (act === "zoom_in") this.zoom(1 / ZOOM_STEP);
        else if (act === "zoom_out") this.zoom(ZOOM_STEP);
        else this.goHome();
      });
      box.appendChild(b);
    }
    this.svg.after(box);
    return box;
  }

  // The controls' names in the page's language (the language can change at any time).
  nameControls() {
    if (!this.controls) return;
    const group = t("map_zoom");
    if (this.controls.getAttribute("aria-label") !== group) this.controls.setAttribute("aria-label", group);
    for (const b of this.controls.querySelectorAll("button")) {
      const name = t(b.dataset.zoom);
      if (b.getAttribute("aria-label") !== name) { b.setAttribute("aria-label", name); b.title = name; }
    }
  }

  path(coords) {
    return coords.map((c, i) => { const [x, y] = this.project(c); return `${i ? "L" : "M"}${x.toFixed(3)},${y.toFixed(3)}`; }).join(" ");
  }

  drawBase() {
    const base = this.layers.base;
    for (const f of this.basemap.features || []) {
      const p = f.properties || {};
      const g = f.geometry || {};
      const symbol = p.layer === "road" && p.class === "highway" ? "highway" : (p.layer || "line");
      if (g.type === "Polygon") {
        el("path", { d: g.coordinates.map((ring) => this.path(ring) + " Z").join(" "), class: `base-${p.layer || "area"}`,
          "vector-effect": "non-scaling-stroke", "data-symbol": symbol }, base);
      } else if (g.type === "LineString") {
        el("path", { d: this.path(g.coordinates), class: `base-${p.layer || "line"} ${p.class || ""}`,
          "vector-effect": "non-scaling-stroke", fill: "none", "data-symbol": symbol }, base);
      } else if (g.type === "MultiLineString") {
        el("path", { d: g.coordinates.map((c) => this.path(c)).join(" "), class: `base-${p.layer || "line"} ${p.class || ""}`,
          "vector-effect": "non-scaling-stroke", fill: "none", "data-symbol": symbol }, base);
      }
    }
    this.placeLabels = [];
    for (const f of this.basemap.features || []) {
      const p = f.properties || {};
      if ((f.geometry || {}).type !== "Point" || p.layer !== "place") continue;
      const [x, y] = this.project(f.geometry.coordinates);
      const dot = el("circle", { cx: x, cy: y, r: 0.35, class: `base-place ${p.kind || ""}`,
        "data-symbol": p.kind === "airbase" ? "airbase" : "place" }, base);
      const label = el("text", { class: "base-label" }, this.layers.labels);
      label.textContent = p.name;
      this.placeLabels.push({ label, dot, p, entry: { node: label, x, y, gapPx: 2, km: 0.35, fontPx: PLACE_FONT_PX,
        priority: PRIORITY[p.kind] ?? PRIORITY.village, insist: false, marker: null } });
    }
  }

  relabel(nameOf) { for (const { label, p } of this.placeLabels) label.textContent = nameOf(p); }

  // A label for this frame, at (x, y) beside a symbol gapPx pixels (or km kilometres) across.
  // insist: may cover other symbols (never other labels) when nothing else fits.
  addLabel(text, x, y, { gapPx, km = 0, fontPx, weight = 400, priority, cls, insist = false, marker = null }) {
    if (!text) return null;
    const node = el("text", { class: cls }, this.dynamicLabels);
    node.textContent = text;
    this.labels.push({ node, x, y, gapPx, km, fontPx, weight, priority, insist, marker });
    return node;
  }

  // A symbol labels keep clear of; a hard one (a hospital) is never covered, even by a label that insists.
  addMarker(x, y, px, { km = 0, hard = false } = {}) {
    const marker = { x, y, px, km, hard };
    this.markers.push(marker);
    return marker;
  }

  // Draws one frame: sites, sources, tracks, the selected threat's line, then places the labels.
  // sites: [{ site, status, label }], tracks: [{ track, label }], sources: the sources' views,
  // selected: { track, site } ids or null.
  render({ sites = [], sources = [], tracks = [], selected = null } = {}) {
    const s = this.scale();
    for (const name of ["sites", "marks", "sources", "selection", "tracks"]) this.layers[name].replaceChildren();
    this.dynamicLabels.replaceChildren();
    this.labels = [];
    this.markers = [];
    const sel = selected || {};
    // Hospitals' symbols last: above any town's that shares their spot.
    const ordered = [...sites].sort((a, b) => (a.site.kind === "hospital") - (b.site.kind === "hospital"));
    for (const { site, status, label } of ordered) {
      drawSite(this, this.layers.sites, site, status, s, label, site.id === sel.site);
    }
    for (const source of sources) drawSource(this, this.layers.sources, source, s);
    for (const { track, label } of tracks) drawTrack(this, this.layers.tracks, track, s, label, track.track === sel.track);
    if (selected) {
      const track = tracks.find((x) => x.track.track === sel.track);
      const site = sites.find((x) => x.site.id === sel.site);
      if (site) drawThreatLine(this, this.layers.selection, track ? track.track : null, site.site, s);
    }
    this.drawChrome();
    this.declutter();
  }

  // Greedy label placement: by priority, each label takes the first of eight positions around its
  // symbol that stays on screen, clear of the labels placed before it, of the scale bar, north
  // arrow and zoom buttons, and of other symbols; the rest are hidden at this zoom. Text is centred
  // on its box ("middle"), so Arabic, which runs right to left, never runs back over its symbol.
  declutter() {
    if (!this.placeLabels || !this.box) return;
    const rtl = lang() === "ar";
    if (this.box.dir !== lang()) this.measureBox();  // the zoom buttons changed sides
    const s = this.scale();
    const dir = rtl ? "rtl" : "ltr";
    const entries = [...this.labels, ...this.placeLabels.map((p) => p.entry)].sort((a, b) => a.priority - b.priority);
    if (this.measured.size > 4000) this.measured.clear();
    const vis = this.visibleRect();
    const c = this.box.controls;
    const hard = c ? [...this.chromeBoxes, [vis[0] + c[0] * s, vis[1] + c[1] * s, vis[0] + c[2] * s, vis[1] + c[3] * s]]
      : this.chromeBoxes;
    const markers = this.markers.map((m) => {
      const h = Math.max(m.px * s, m.km);
      return { m, box: [m.x - h, m.y - h, m.x + h, m.y + h] };
    });
    for (const p of this.placeLabels) {
      const h = Math.max(2 * s, 0.35);
      markers.push({ m: p.entry, box: [p.entry.x - h, p.entry.y - h, p.entry.x + h, p.entry.y + h] });
    }
    const placed = [];
    const pad = LABEL_PAD_PX * s;
    this.leaders.replaceChildren();
    for (const e of entries) {
      const node = e.node;
      const text = node.textContent;
      if (!text) { hideLabel(node); continue; }
      const size = this.measureText(text, e.fontPx, e.weight || 400, dir);
      const w = size.w * s, h = (size.asc + size.desc) * s;
      const near = Math.max(e.gapPx * s, e.km) + LABEL_GAP_PX * s;
      const own = e.marker || e;
      let choice = null, covering = null;
      // Important labels may also stand further off, tied to their symbol by a thin line.
      const rings = e.priority <= PRIORITY.tentative ? FAR_RINGS_PX : [0];
      const spots = rings.flatMap((ring) => candidates(e.x, e.y, near + ring * s, w, h, rtl));
      for (const b of spots) {
        if (b[0] < vis[0] || b[1] < vis[1] || b[2] > vis[2] || b[3] > vis[3]) continue;
        const padded = [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad];
        if (placed.some((o) => overlaps(padded, o)) || hard.some((o) => overlaps(padded, o))) continue;
        const hit = markers.filter(({ m, box }) => m !== own && overlaps(b, box));
        if (hit.some(({ m }) => m.hard)) continue;
        if (hit.length) { covering ||= b; continue; }
        choice = b;
        break;
      }
      if (!choice && e.insist) choice = covering;
      if (!choice) { hideLabel(node); continue; }
      placed.push(choice);
      // A label set off from its symbol gets a leader line from the symbol's edge to the label.
      const nx = Math.min(Math.max(e.x, choice[0]), choice[2]), ny = Math.min(Math.max(e.y, choice[1]), choice[3]);
      const gap = Math.hypot(nx - e.x, ny - e.y);
      if (gap > near * 1.6) {
        const k = Math.max(e.gapPx * s, e.km) / gap;
        el("line", { x1: e.x + (nx - e.x) * k, y1: e.y + (ny - e.y) * k, x2: nx, y2: ny, class: "label-leader",
          "vector-effect": "non-scaling-stroke" }, this.leaders);
      }
      // Only what changed is written: an unchanged label costs the browser no style work.
      setAttr(node, "font-size", (e.fontPx * s).toFixed(4));
      setAttr(node, "font-weight", String(e.weight || 400));
      setAttr(node, "stroke-width", (HALO_PX * s).toFixed(4));
      setAttr(node, "text-anchor", "middle");
      setAttr(node, "direction", dir);
      setAttr(node, "x", ((choice[0] + choice[2]) / 2).toFixed(4));
      setAttr(node, "y", (choice[1] + size.asc * s).toFixed(4));
      setAttr(node, "visibility", "visible");
      setAttr(node, "data-placed", "1");
    }
  }

  // A label's size in screen pixels: width, and height above and below the baseline. Measured on a
  // canvas in the map's font, so placing labels never makes the browser lay out the page.
  measureText(text, fontPx, weight, dir) {
    const key = `${weight}|${fontPx}|${dir}|${text}`;
    let size = this.measured.get(key);
    if (size) return size;
    this.ctx ||= document.createElement("canvas").getContext("2d");
    const ctx = this.ctx;
    ctx.font = `${weight} ${fontPx}px ${this.fontFamily}`;
    ctx.direction = dir;
    const m = ctx.measureText(text);
    // The taller of the font's and the glyphs' extents: an Arabic fallback font reaches higher.
    size = { w: m.width,
      asc: Math.max(m.fontBoundingBoxAscent || 0, m.actualBoundingBoxAscent || 0, 0.8 * fontPx),
      desc: Math.max(m.fontBoundingBoxDescent || 0, m.actualBoundingBoxDescent || 0, 0.25 * fontPx) };
    this.measured.set(key, size);
    return size;
  }

  // The scale bar (bottom corner on the reading side's far end) and the north arrow (top corner
  // opposite the zoom buttons), redrawn at every zoom in the page's language.
  drawChrome() {
    const g = this.layers.chrome;
    const s = this.scale();
    const [x0, y0, x1, y1] = this.visibleRect();
    const rtl = lang() === "ar";
    const key = `${this.view.join()}|${this.box && this.box.width}x${this.box && this.box.height}|${lang()}`;
    if (key === this.chromeKey) return;  // unchanged since the last frame
    this.chromeKey = key;
    g.replaceChildren();
    this.nameControls();
    const margin = 12 * s;
    const font = 11 * s;
    // Scale bar: the longest round distance that fits in ~120 px, in two halves.
    const km = [...NICE_KM].reverse().find((d) => d / s <= 120) || NICE_KM[0];
    const barH = 5 * s;
    const boxW = km + 16 * s, boxH = barH + font + 12 * s;
    const bx = rtl ? x1 - margin - boxW : x0 + margin;
    const by = y1 - margin - boxH;
    const scale = el("g", { class: "map-scale", "data-km": km, role: "img", "aria-label": `${t("scale")}: ${formatKm(km)} ${t("km")}` }, g);
    el("rect", { x: bx, y: by, width: boxW, height: boxH, rx: 3 * s, class: "chrome-bg" }, scale);
    const left = bx + 8 * s, barY = by + boxH - 5 * s - barH;
    el("rect", { x: left, y: barY, width: km / 2, height: barH, class: "scale-dark" }, scale);
    el("rect", { x: left + km / 2, y: barY, width: km / 2, height: barH, class: "scale-light" }, scale);
    const label = el("text", { x: left + km / 2, y: barY - 3 * s, "font-size": font.toFixed(4), "text-anchor": "middle",
      direction: rtl ? "rtl" : "ltr", class: "scale-label" }, scale);
    label.textContent = `${formatKm(km)} ${t("km")}`;
    // North arrow: the projection keeps north straight up.
    const r = 13 * s;
    const nx = rtl ? x0 + margin + r : x1 - margin - r;
    const ny = y0 + margin + r;
    const north = el("g", { class: "map-north", role: "img", "aria-label": t("north") }, g);
    el("circle", { cx: nx, cy: ny, r, class: "chrome-bg" }, north);
    el("path", { d: `M${nx},${ny - 0.85 * r} L${nx + 0.38 * r},${ny + 0.1 * r} L${nx},${ny - 0.05 * r} L${nx - 0.38 * r},${ny + 0.1 * r} Z`,
      class: "north-arrow" }, north);
    const n = el("text", { x: nx, y: ny + 0.78 * r, "font-size": (0.62 * r).toFixed(4), "text-anchor": "middle", class: "north-label" }, north);
    n.textContent = t("north_abbr");
    this.chromeBoxes = [[bx, by, bx + boxW, by + boxH], [nx - r, ny - r, nx + r, ny + r]];
  }
}

function formatKm(km) { return km < 1 ? String(km) : String(Math.round(km)); }

// Eight boxes [x0, y0, x1, y1] of size w x h around (x, y) at distance off, in order of preference:
// after the symbol in reading order first (right in English, left in Arabic), then before it.
function candidates(x, y, off, w, h, rtl) {
  const d = off * 0.8;
  const east = [x + off, y - h / 2], west = [x - off - w, y - h / 2];
  const ne = [x + d, y - d - h], se = [x + d, y + d], nw = [x - d - w, y - d - h], sw = [x - d - w, y + d];
  const n = [x - w / 2, y - off - h], s = [x - w / 2, y + off];
  const order = rtl ? [west, east, nw, sw, ne, se, n, s] : [east, west, ne, se, nw, sw, n, s];
  return order.map(([bx, by]) => [bx, by, bx + w, by + h]);
}

function overlaps(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }

function bounds(fc) {
  let minLon = Infinity, minLat = Infinity, maxLon = -Infinity, maxLat = -Infinity;
  const visit = (c) => {
    if (typeof c[0] === "number") {
      minLon = Math.min(minLon, c[0]); maxLon = Math.max(maxLon, c[0]);
      minLat = Math.min(minLat, c[1]); maxLat = Math.max(maxLat, c[1]);
    } else c.forEach(visit);
  };
  for (const f of fc.features || []) if (f.geometry) visit(f.geometry.coordinates);
  if (!isFinite(minLon)) return [35.5, 35, 37.5, 36.5];
  return [minLon, minLat, maxLon, maxLat];
}

// One track: trail, predicted path with its uncertainty, type icon, label (placed by the map).
export function drawTrack(map, parent, track, s, label, selected = false) {
  const colour = AIRCRAFT_COLOURS[track.aircraft] || AIRCRAFT_COLOURS.unknown;
  const kind = ICONS[track.aircraft] ? track.aircraft : "unknown";
  // A tentative track (one unconfirmed source) is drawn faint: the operator sees it coming, not as fact.
  const tentative = track.confirmed === false ? " tentative" : "";
  const doubt = speedDoubt(track);
  const uncertain = doubt ? " speed-uncertain" : "";
  const g = el("g", { class: `track ${track.aircraft}${tentative}${uncertain}${selected ? " selected" : ""}`,
    "data-track": track.track }, parent);
  const here = map.project([track.lon, track.lat]);
  const pred = track.prediction || [];
  if (pred.length) {
    const left = [], right = [];
    let prev = here;
    for (const [, lat, lon, sigma] of pred) {
      const p = map.project([lon, lat]);
      const dx = p[0] - prev[0], dy = p[1] - prev[1];
      const n = Math.hypot(dx, dy) || 1;
      const w = sigma / 1000;
      left.push([p[0] - dy / n * w, p[1] + dx / n * w]);
      right.push([p[0] + dy / n * w, p[1] - dx / n * w]);
      prev = p;
    }
    const pts = [here, ...left, ...right.reverse()].map((p) => p.map((v) => v.toFixed(2)).join(",")).join(" ");
    el("polygon", { points: pts, class: "prediction-cone", fill: colour, "data-symbol": "cone" }, g);
    const line = [here, ...pred.map(([, lat, lon]) => map.project([lon, lat]))];
    el("polyline", { points: line.map((p) => p.map((v) => v.toFixed(2)).join(",")).join(" "), class: "prediction",
      stroke: colour, "vector-effect": "non-scaling-stroke", fill: "none", "data-symbol": "prediction" }, g);
  }
  if ((track.trail || []).length > 1) {
    const pts = track.trail.map(([lat, lon]) => map.project([lon, lat]).map((v) => v.toFixed(2)).join(",")).join(" ");
    el("polyline", { points: pts, class: "trail", stroke: colour, "vector-effect": "non-scaling-stroke", fill: "none",
      "data-symbol": "trail" }, g);
  }
  el("circle", { cx: here[0], cy: here[1], r: Math.max(0.2, (track.sigma_m || 0) / 1000), class: "track-sigma",
    stroke: colour, fill: "none", "vector-effect": "non-scaling-stroke", "data-symbol": "sigma" }, g);
  const size = TRACK_ICON_PX * s;
  el("path", { d: ICONS[kind], class: "track-icon", fill: colour, "data-symbol": `${kind}${tentative}${uncertain}`,
    transform: `translate(${here[0].toFixed(3)},${here[1].toFixed(3)}) rotate(${track.heading_deg || 0}) scale(${size.toFixed(3)})` }, g);
  if (doubt && track.speed_mps != null && isFinite(track.speed_mps)) {
    // The estimate stays one hover away, with its uncertainty, for whoever wants the number.
    const sigma = track.speed_sigma_mps != null ? ` ± ${Math.round(track.speed_sigma_mps * 3.6)}` : "";
    el("title", {}, g).textContent = `${t("speed_estimate")}: ${Math.round(track.speed_mps * 3.6)}${sigma} ${t("kmh")}`;
  }
  const marker = map.addMarker(here[0], here[1], TRACK_ICON_REACH_PX);
  const node = map.addLabel(label, here[0], here[1], { gapPx: TRACK_ICON_REACH_PX, fontPx: TRACK_FONT_PX, weight: 700, cls: "track-label",
    priority: selected ? PRIORITY.selected : tentative ? PRIORITY.tentative : PRIORITY.track, insist: true, marker });
  if (node) node.dataset.track = track.track;
  return g;
}

export function drawSite(map, parent, site, status, s, label, selected = false) {
  const [x, y] = map.project([site.lon, site.lat]);
  const level = status && status.level;
  const hospital = site.kind === "hospital";
  const g = el("g", { class: `site ${site.kind} level-${level || "none"}${selected ? " selected" : ""}`, "data-site": site.id }, parent);
  el("circle", { cx: x, cy: y, r: Math.max(site.radius_m / 1000, 4 * s), fill: LEVEL_COLOURS[level] || LEVEL_COLOURS.null,
    class: "site-area", "vector-effect": "non-scaling-stroke", "data-symbol": `level-${level || "none"}` }, g);
  const mark = el("g", { class: `site-mark ${site.kind}`, "data-site": site.id }, map.layers.marks);
  if (hospital) {
    const a = HOSPITAL_PX * s, c = a * 0.6, k = a * 0.22;
    el("rect", { x: x - a, y: y - a, width: 2 * a, height: 2 * a, rx: a * 0.25, class: "site-hospital", "data-symbol": "hospital" }, mark);
    el("path", { d: `M${x - c},${y - k} h${2 * c} v${2 * k} h${-2 * c} Z M${x - k},${y - c} v${2 * c} h${2 * k} v${-2 * c} Z`,
      class: "site-hospital-cross" }, mark);
  } else {
    el("circle", { cx: x, cy: y, r: SITE_DOT_PX * s, class: "site-dot", "data-symbol": "site" }, mark);
  }
  const marker = map.addMarker(x, y, hospital ? HOSPITAL_PX : SITE_DOT_PX, { hard: hospital });
  const priority = selected ? PRIORITY.selected : level ? PRIORITY[level] ?? PRIORITY.early : hospital ? PRIORITY.hospital : PRIORITY.site;
  const node = map.addLabel(label, x, y, { gapPx: hospital ? HOSPITAL_PX : SITE_DOT_PX, fontPx: SITE_FONT_PX, weight: 600,
    cls: `site-label${level ? ` level-${level}` : ""}`, priority, insist: priority <= PRIORITY.hospital, marker });
  if (node) node.dataset.site = site.id;
  return g;
}

export function drawSource(map, parent, source, s) {
  if (source.lat == null || source.lon == null) return null;
  const [x, y] = map.project([source.lon, source.lat]);
  const a = SOURCE_PX * s;
  const cls = `source ${source.kind} health-${source.health}`;
  const symbol = `${source.kind} health-${source.health}`;
  map.addMarker(x, y, SOURCE_PX * 0.7);
  if (source.kind === "sensor") {
    return el("rect", { x: x - a / 2, y: y - a / 2, width: a, height: a, class: cls, "data-source": source.id, "data-symbol": symbol }, parent);
  }
  return el("path", { d: `M${x},${y - a} L${x + a},${y + a * 0.7} L${x - a},${y + a * 0.7} Z`, class: cls,
    "data-source": source.id, "data-symbol": symbol }, parent);
}

// The selected threat: a line from its aircraft to the site it threatens, both ends ringed. Without
// the track (lost, or a threat from impacts) only the site is ringed.
export function drawThreatLine(map, parent, track, site, s) {
  const g = el("g", { class: "threat-selection", "data-site": site.id, "data-track": track ? track.track : "" }, parent);
  const [sx, sy] = map.project([site.lon, site.lat]);
  if (track) {
    const [tx, ty] = map.project([track.lon, track.lat]);
    const attrs = { x1: tx, y1: ty, x2: sx, y2: sy, "vector-effect": "non-scaling-stroke" };
    el("line", { ...attrs, class: "threat-line-halo" }, g);
    el("line", { ...attrs, class: "threat-line", "data-symbol": "threat-line" }, g);
    el("circle", { cx: tx, cy: ty, r: 16 * s, class: "selected-ring", "vector-effect": "non-scaling-stroke" }, g);
  }
  el("circle", { cx: sx, cy: sy, r: Math.max(site.radius_m / 1000, 10 * s), class: "selected-ring",
    "vector-effect": "non-scaling-stroke" }, g);
  return g;
}

// The legend: one entry per kind of symbol the map draws (data-symbol on the map, the same key on
// the entry), each drawn by the map's own classes so it cannot drift from the map.
const LEGEND = [
  ["level-imminent", "lg_imminent", (g) => legendArea(g, "imminent")],
  ["level-early", "lg_early", (g) => legendArea(g, "early")],
  ["level-none", "lg_clear", (g) => legendArea(g, null)],
  ["hospital", "lg_hospital", (g) => {
    el("rect", { x: -6, y: -6, width: 12, height: 12, rx: 1.5, class: "site-hospital" }, g);
    el("path", { d: "M-3.6,-1.3 h7.2 v2.6 h-7.2 Z M-1.3,-3.6 v7.2 h2.6 v-7.2 Z", class: "site-hospital-cross" }, g);
  }],
  ["site", "lg_site", (g) => el("circle", { r: 3, class: "site-dot" }, g)],
  ["threat-line", "lg_threat_line", (g) => {
    el("line", { x1: -11, y1: 4, x2: 11, y2: -4, class: "threat-line-halo" }, g);
    el("line", { x1: -11, y1: 4, x2: 11, y2: -4, class: "threat-line" }, g);
  }],
  ["jet", "lg_jet", (g) => legendIcon(g, "jet")],
  ["helicopter", "lg_helicopter", (g) => legendIcon(g, "helicopter")],
  ["drone", "lg_drone", (g) => legendIcon(g, "drone")],
  ["unknown", "lg_unknown", (g) => legendIcon(g, "unknown")],
  ["tentative", "lg_tentative", (g) => legendIcon(g, "jet", "tentative")],
  ["speed-uncertain", "lg_speed_uncertain", (g) => legendIcon(g, "jet", "speed-uncertain")],
  ["trail", "lg_trail", (g) => el("polyline", { points: "-11,5 -4,1 3,0 11,-4", class: "trail", stroke: AIRCRAFT_COLOURS.jet, fill: "none" }, g)],
  ["prediction", "lg_prediction", (g) => el("polyline", { points: "-11,0 11,0", class: "prediction", stroke: AIRCRAFT_COLOURS.jet, fill: "none" }, g)],
  ["cone", "lg_cone", (g) => el("polygon", { points: "-11,0 11,-6 11,6", class: "prediction-cone legend-cone", fill: AIRCRAFT_COLOURS.jet }, g)],
  ["sigma", "lg_sigma", (g) => el("circle", { r: 6, class: "track-sigma", stroke: AIRCRAFT_COLOURS.jet, fill: "none" }, g)],
  ["sensor", "lg_sensor", (g) => el("rect", { x: -4, y: -4, width: 8, height: 8, class: "source sensor health-ok" }, g)],
  ["observer", "lg_observer", (g) => el("path", { d: "M0,-5 L5,4 L-5,4 Z", class: "source observer health-ok" }, g)],
  ["health-ok", "lg_health_ok", (g) => legendHealth(g, "ok")],
  ["health-silent", "lg_health_silent", (g) => legendHealth(g, "silent")],
  ["health-never", "lg_health_never", (g) => legendHealth(g, "never")],
  ["highway", "lg_highway", (g) => el("path", { d: "M-11,0 H11", class: "base-road highway" }, g)],
  ["road", "lg_road", (g) => el("path", { d: "M-11,0 H11", class: "base-road main" }, g)],
  ["border", "lg_border", (g) => el("path", { d: "M-11,0 H11", class: "base-border" }, g)],
  ["boundary", "lg_boundary", (g) => el("rect", { x: -11, y: -6, width: 22, height: 12, class: "base-boundary" }, g)],
  ["place", "lg_place", (g) => el("circle", { r: 2.5, class: "base-place village" }, g)],
  ["airbase", "lg_airbase", (g) => el("circle", { r: 2.5, class: "base-place airbase" }, g)],
];

function legendArea(g, level) {
  const site = el("g", { class: `site level-${level || "none"}` }, g);
  el("circle", { r: 6.5, class: "site-area", fill: LEVEL_COLOURS[level] || LEVEL_COLOURS.null }, site);
}

function legendIcon(g, kind, extra = "") {
  const track = el("g", { class: `track ${kind} ${extra}` }, g);
  el("path", { d: ICONS[kind], class: "track-icon", fill: AIRCRAFT_COLOURS[kind], transform: "scale(7)" }, track);
}

function legendHealth(g, health) {
  el("rect", { x: -9, y: -4, width: 8, height: 8, class: `source sensor health-${health}` }, g);
  el("path", { d: "M5,-5 L10,4 L0,4 Z", class: `source observer health-${health}` }, g);
}

// Fills a list element with the legend; its texts follow the page's language (data-i18n).
export function fillLegend(list) {
  list.replaceChildren(...LEGEND.map(([symbol, key, draw]) => {
    const li = document.createElement("li");
    li.dataset.symbol = symbol;
    const svg = el("svg", { viewBox: "-12 -8 24 16", width: "24", height: "16", "aria-hidden": "true", focusable: "false", class: "legend-swatch" });
    draw(el("g", {}, svg));
    const span = document.createElement("span");
    span.dataset.i18n = key;
    span.textContent = t(key);
    li.append(svg, span);
    return li;
  }));
}

function hideLabel(node) {
  setAttr(node, "visibility", "hidden");
  setAttr(node, "data-placed", "0");
}

function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

// Health facilities coloured by functionality (HeRAMS: fully / partially / not functioning; no status
// yet: grey), for the health view: where mothers can still give birth safely, at a glance.
export const FUNCTIONALITY_COLOURS = { fully: "#1a9641", partially: "#f39c12", not: "#d7191c", null: "#9e9e9e" };

export function drawFacility(map, parent, facility, s, label) {
  const [x, y] = map.project([facility.lon, facility.lat]);
  const func = facility.functionality || "none";
  const g = el("g", { class: `facility func-${func}${facility.status && facility.status.evacuated ? " evacuated" : ""}`,
    "data-facility": facility.id, "data-symbol": `func-${func}` }, parent);
  const a = HOSPITAL_PX * 1.4 * s, c = a * 0.6, k = a * 0.22;
  el("rect", { x: x - a, y: y - a, width: 2 * a, height: 2 * a, rx: a * 0.25, class: "facility-mark",
    fill: FUNCTIONALITY_COLOURS[facility.functionality] || FUNCTIONALITY_COLOURS.null }, g);
  el("path", { d: `M${x - c},${y - k} h${2 * c} v${2 * k} h${-2 * c} Z M${x - k},${y - c} v${2 * c} h${2 * k} v${-2 * c} Z`,
    class: "site-hospital-cross" }, g);
  const marker = map.addMarker(x, y, HOSPITAL_PX * 1.4, { hard: true });
  const node = map.addLabel(label, x, y, { gapPx: HOSPITAL_PX * 1.4, fontPx: SITE_FONT_PX, weight: 600, cls: "site-label",
    priority: PRIORITY.hospital, insist: true, marker });
  if (node) node.dataset.facility = facility.id;
  return g;
}

// Draws one frame of the health view: every facility coloured by functionality, then its labels.
export function renderFacilities(map, facilities, labelOf) {
  const s = map.scale();
  for (const name of ["sites", "marks", "sources", "selection", "tracks"]) map.layers[name].replaceChildren();
  map.dynamicLabels.replaceChildren();
  map.labels = [];
  map.markers = [];
  for (const f of facilities) drawFacility(map, map.layers.sites, f, s, labelOf(f));
  map.drawChrome();
  map.declutter();
}
