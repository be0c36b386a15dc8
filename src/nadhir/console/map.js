// A plain SVG map: the bundled GeoJSON base map, sites, sources, tracks. No tiles, no network.
// Map units are kilometres east/north of the base map's centre (equirectangular about it).

const NS = "http://www.w3.org/2000/svg";
const KM_PER_DEG = 111.32;

export function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

export const LEVEL_COLOURS = { imminent: "#d7191c", early: "#f39c12", null: "#3a7d44" };
export const AIRCRAFT_COLOURS = { jet: "#c0392b", helicopter: "#d35400", drone: "#8e44ad", unknown: "#555" };

// Icons drawn pointing north in a 2x2 box about the origin; scaled and rotated per track.
const ICONS = {
  jet: "M0,-1 L0.22,-0.25 L0.95,0.35 L0.95,0.55 L0.2,0.3 L0.15,0.75 L0.45,0.95 L0,0.85 L-0.45,0.95 L-0.15,0.75 L-0.2,0.3 L-0.95,0.55 L-0.95,0.35 L-0.22,-0.25 Z",
  helicopter: "M-0.18,-0.55 L0.18,-0.55 L0.25,0.1 L0.08,0.2 L0.06,0.95 L-0.06,0.95 L-0.08,0.2 L-0.25,0.1 Z M-1,-0.1 L1,-0.1 L1,0.02 L-1,0.02 Z",
  drone: "M-0.8,-0.7 L0,-0.15 L0.8,-0.7 L0.15,0 L0.8,0.7 L0,0.15 L-0.8,0.7 L-0.15,0 Z",
  unknown: "M0,-1 L0.6,0.8 L0,0.45 L-0.6,0.8 Z",
};

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
    for (const name of ["base", "labels", "sites", "sources", "tracks"]) {
      this.layers[name] = el("g", { class: `layer-${name}` }, svg);
    }
    this.onZoom = [];
    this.drawBase();
    this.applyView();
    this.enablePanZoom();
    new ResizeObserver(() => this.applyView()).observe(svg);
  }

  project([lon, lat]) { return [(lon - this.lon0) * this.kx, -(lat - this.lat0) * KM_PER_DEG]; }

  // Kilometres per screen pixel, to size labels and icons the same at every zoom.
  scale() {
    const r = this.svg.getBoundingClientRect();
    if (!r.width || !r.height) return this.view[2] / 800;
    return Math.max(this.view[2] / r.width, this.view[3] / r.height);
  }

  applyView() {
    this.svg.setAttribute("viewBox", this.view.map((v) => v.toFixed(3)).join(" "));
    const s = this.scale();
    this.layers.labels.setAttribute("font-size", (11 * s).toFixed(3));
    for (const fn of this.onZoom) fn(s);
  }

  enablePanZoom() {
    let drag = null;
    this.svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const factor = e.deltaY > 0 ? 1.2 : 1 / 1.2;
      const r = this.svg.getBoundingClientRect();
      const s = this.scale();
      const cx = this.view[0] + (e.clientX - r.left) * s;
      const cy = this.view[1] + (e.clientY - r.top) * s;
      const w = Math.min(this.home[2] * 6, Math.max(2, this.view[2] * factor));
      const k = w / this.view[2];
      this.view = [cx - (cx - this.view[0]) * k, cy - (cy - this.view[1]) * k, w, this.view[3] * k];
      this.applyView();
    }, { passive: false });
    this.svg.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY, [...this.view]]; });
    window.addEventListener("pointerup", () => { drag = null; });
    this.svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const s = this.scale();
      this.view = [drag[2][0] - (e.clientX - drag[0]) * s, drag[2][1] - (e.clientY - drag[1]) * s, drag[2][2], drag[2][3]];
      this.applyView();
    });
    this.svg.addEventListener("dblclick", () => { this.view = [...this.home]; this.applyView(); });
  }

  path(coords) {
    return coords.map((c, i) => { const [x, y] = this.project(c); return `${i ? "L" : "M"}${x.toFixed(3)},${y.toFixed(3)}`; }).join(" ");
  }

  drawBase() {
    const base = this.layers.base;
    for (const f of this.basemap.features || []) {
      const p = f.properties || {};
      const g = f.geometry || {};
      if (g.type === "Polygon") {
        el("path", { d: g.coordinates.map((ring) => this.path(ring) + " Z").join(" "), class: `base-${p.layer || "area"}`,
          "vector-effect": "non-scaling-stroke" }, base);
      } else if (g.type === "LineString") {
        el("path", { d: this.path(g.coordinates), class: `base-${p.layer || "line"} ${p.class || ""}`,
          "vector-effect": "non-scaling-stroke", fill: "none" }, base);
      } else if (g.type === "MultiLineString") {
        el("path", { d: g.coordinates.map((c) => this.path(c)).join(" "), class: `base-${p.layer || "line"}`,
          "vector-effect": "non-scaling-stroke", fill: "none" }, base);
      }
    }
    this.placeLabels = [];
    for (const f of this.basemap.features || []) {
      const p = f.properties || {};
      if ((f.geometry || {}).type !== "Point" || p.layer !== "place") continue;
      const [x, y] = this.project(f.geometry.coordinates);
      const dot = el("circle", { cx: x, cy: y, r: 0.35, class: `base-place ${p.kind || ""}` }, base);
      const label = el("text", { x: x + 0.6, y: y + 0.3, class: "base-label" }, this.layers.labels);
      label.textContent = p.name;
      this.placeLabels.push({ label, dot, p });
    }
  }

  relabel(nameOf) { for (const { label, p } of this.placeLabels) label.textContent = nameOf(p); }
}

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

// One track: trail, predicted path with its uncertainty, type icon, label.
export function drawTrack(map, parent, track, s, label) {
  const colour = AIRCRAFT_COLOURS[track.aircraft] || AIRCRAFT_COLOURS.unknown;
  // A tentative track (one unconfirmed source) is drawn faint: the operator sees it coming, not as fact.
  const tentative = track.confirmed === false ? " tentative" : "";
  const g = el("g", { class: `track ${track.aircraft}${tentative}`, "data-track": track.track }, parent);
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
    el("polygon", { points: pts, class: "prediction-cone", fill: colour }, g);
    const line = [here, ...pred.map(([, lat, lon]) => map.project([lon, lat]))];
    el("polyline", { points: line.map((p) => p.map((v) => v.toFixed(2)).join(",")).join(" "), class: "prediction",
      stroke: colour, "vector-effect": "non-scaling-stroke", fill: "none" }, g);
  }
  if ((track.trail || []).length > 1) {
    const pts = track.trail.map(([lat, lon]) => map.project([lon, lat]).map((v) => v.toFixed(2)).join(",")).join(" ");
    el("polyline", { points: pts, class: "trail", stroke: colour, "vector-effect": "non-scaling-stroke", fill: "none" }, g);
  }
  el("circle", { cx: here[0], cy: here[1], r: Math.max(0.2, (track.sigma_m || 0) / 1000), class: "track-sigma",
    stroke: colour, fill: "none", "vector-effect": "non-scaling-stroke" }, g);
  const size = 11 * s;
  el("path", { d: ICONS[track.aircraft] || ICONS.unknown, class: "track-icon", fill: colour,
    transform: `translate(${here[0].toFixed(3)},${here[1].toFixed(3)}) rotate(${track.heading_deg || 0}) scale(${size.toFixed(3)})` }, g);
  const text = el("text", { x: here[0] + 1.3 * size, y: here[1] - 0.8 * size, class: "track-label",
    "font-size": (11 * s).toFixed(3) }, g);
  text.textContent = label;
  return g;
}

export function drawSite(map, parent, site, status, s, label) {
  const [x, y] = map.project([site.lon, site.lat]);
  const level = status && status.level;
  const g = el("g", { class: `site ${site.kind} level-${level || "none"}`, "data-site": site.id }, parent);
  el("circle", { cx: x, cy: y, r: Math.max(site.radius_m / 1000, 4 * s), fill: LEVEL_COLOURS[level] || LEVEL_COLOURS.null,
    class: "site-area", "vector-effect": "non-scaling-stroke" }, g);
  if (site.kind === "hospital") {
    const a = 4 * s;
    el("path", { d: `M${x - a},${y - a / 3} h${2 * a} v${2 * a / 3} h${-2 * a} Z M${x - a / 3},${y - a} v${2 * a} h${2 * a / 3} v${-2 * a} Z`,
      class: "site-hospital" }, g);
  } else {
    el("circle", { cx: x, cy: y, r: 2.5 * s, class: "site-dot" }, g);
  }
  if (label) {
    const text = el("text", { x: x + 5 * s, y: y + 4 * s, class: "site-label", "font-size": (12 * s).toFixed(3) }, g);
    text.textContent = label;
  }
  return g;
}

export function drawSource(map, parent, source, s) {
  if (source.lat == null || source.lon == null) return null;
  const [x, y] = map.project([source.lon, source.lat]);
  const a = 3 * s;
  const cls = `source ${source.kind} health-${source.health}`;
  if (source.kind === "sensor") {
    return el("rect", { x: x - a / 2, y: y - a / 2, width: a, height: a, class: cls, "data-source": source.id }, parent);
  }
  return el("path", { d: `M${x},${y - a} L${x + a},${y + a * 0.7} L${x - a},${y + a * 0.7} Z`, class: cls,
    "data-source": source.id }, parent);
}
