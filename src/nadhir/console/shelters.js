// The shelters view: where the displaced are, how many, and what each site lacks against Sphere.
// A map layer of sites sized by population and coloured by their worst gap, a table ranked by need,
// a chart of the selected site's population over time (SVG drawn here, nothing loaded from
// elsewhere), and a form whose updates wait in localStorage while the network is down.
import { api, setToken, showLogin, token, wireSignIn } from "/static/auth.js";
import { lang, setLang } from "/static/i18n.js";
import { MapView, el } from "/static/map.js";
import { OfflineQueue } from "/static/offline_queue.js";

const QUEUE_KEY = "nadhir.shelters.queue";
const RETRY_MS = 15000;
// Colours by the worst gap; a site that meets every standard is green, one with no figures grey.
export const GAP_COLOURS = { latrines: "#b71c1c", water: "#1565c0", space: "#ef6c00", flooding: "#6a1b9a", none: "#2e7d32", unknown: "#9e9e9e" };
const FIELDS = ["households", "individuals", "latrines_working", "showers_working", "water_litres_per_day", "tents",
  "tents_flooded", "covered_area_m2"];

const S = {
  en: { title: "Displacement sites", console: "Console", lang: "عربي", token: "API token", login: "Sign in",
    signed_out: "Enter an API token (viewer to read; health or admin to send figures).", ranked: "Sites by need (Sphere minimums)",
    site: "Site", people: "People", per_latrine: "People / latrine (≤ 20)", water: "Water L/person/day (≥ 15)",
    space: "m² / person (≥ 3.5)", flooded: "Tents flooded", misses: "Misses", history: "Population over time",
    send: "Send a site's figures", households: "Households", individuals: "Individuals", latrines: "Working latrines",
    showers: "Working showers", water_l: "Water (litres a day)", tents: "Tents", tents_flooded: "Tents damaged or flooded",
    area: "Covered area (m²)", submit: "Send", sent: "Kept.", queued: "No network: kept on this device, sent when back.",
    waiting: "waiting to send", refused: "Refused", gap_latrines: "latrines", gap_water: "water", gap_space: "space",
    gap_flooding: "flooding", gap_none: "meets the minimums", gap_unknown: "no figures", nothing: "Give at least one figure." },
  ar: { title: "مواقع النزوح", console: "لوحة التحكم", lang: "English", token: "رمز الدخول", login: "دخول",
    signed_out: "أدخل رمز الدخول (مشاهد للقراءة؛ صحة أو مدير لإرسال الأرقام).", ranked: "المواقع حسب الحاجة (معايير اسفير الدنيا)",
    site: "الموقع", people: "الأفراد", per_latrine: "أفراد لكل مرحاض (≤ ٢٠)", water: "لتر/فرد/يوم (≥ ١٥)",
    space: "م² لكل فرد (≥ ٣٫٥)", flooded: "خيام غارقة", misses: "النواقص", history: "عدد السكان عبر الزمن",
    send: "إرسال أرقام موقع", households: "العائلات", individuals: "الأفراد", latrines: "مراحيض صالحة",
    showers: "حمامات صالحة", water_l: "المياه (لتر يوميًا)", tents: "الخيام", tents_flooded: "خيام متضررة أو غارقة",
    area: "المساحة المغطاة (م²)", submit: "إرسال", sent: "تم الحفظ.", queued: "لا شبكة: حُفظ على الجهاز ويُرسل عند عودتها.",
    waiting: "بانتظار الإرسال", refused: "مرفوض", gap_latrines: "المراحيض", gap_water: "المياه", gap_space: "المساحة",
    gap_flooding: "الخيام الغارقة", gap_none: "يفي بالمعايير", gap_unknown: "لا أرقام", nothing: "أدخل رقمًا واحدًا على الأقل." },
};
const s = (key) => (S[lang()] || S.en)[key] || S.en[key] || key;
const $ = (id) => document.getElementById(id);
const state = { sites: [], selected: null, map: null };

function applyStrings() {
  document.documentElement.lang = lang();
  document.documentElement.dir = lang() === "ar" ? "rtl" : "ltr";
  for (const node of document.querySelectorAll("[data-s]")) node.textContent = s(node.dataset.s);
}

const name = (site) => (lang() === "ar" && site.name_ar) || site.name;
const fmt = (v, digits = 1) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
export function worstGap(site) {
  const g = site.gaps;
  if (g.worst) return g.worst;
  return g.unknown.length === 4 ? "unknown" : "none";
}
// Area proportional to the people there: radius in pixels from the square root of the population.
export function radiusPx(individuals) { return 4 + 0.25 * Math.sqrt(Math.max(0, individuals || 0)); }

function drawMap() {
  const map = state.map;
  if (!map) return;
  const px = map.scale();
  for (const layer of ["sites", "marks"]) map.layers[layer].replaceChildren();
  map.dynamicLabels.replaceChildren();
  map.labels = [];
  map.markers = [];
  const bySize = [...state.sites].sort((a, b) => (b.individuals || 0) - (a.individuals || 0));
  for (const site of bySize) {
    const [x, y] = map.project([site.lon, site.lat]);
    const r = radiusPx(site.individuals) * px;
    const dot = el("circle", { cx: x, cy: y, r, fill: GAP_COLOURS[worstGap(site)], "data-site": site.site_id,
      class: `shelter-site${site.site_id === state.selected ? " selected" : ""}`, "vector-effect": "non-scaling-stroke" },
    map.layers.sites);
    dot.addEventListener("click", () => select(site.site_id));
    const marker = map.addMarker(x, y, radiusPx(site.individuals));
    map.addLabel(name(site), x, y, { gapPx: radiusPx(site.individuals), fontPx: 12, weight: 600, cls: "site-label",
      priority: 1, insist: site.site_id === state.selected, marker });
  }
  map.drawChrome();
  map.declutter();
}

function drawLegend() {
  $("legend").replaceChildren(...Object.entries(GAP_COLOURS).map(([key, colour]) => {
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = colour;
    li.append(sw, s(`gap_${key}`));
    return li;
  }));
}

function drawTable() {
  const body = $("ranked").querySelector("tbody");
  body.replaceChildren(...state.sites.map((site) => {
    const g = site.gaps;
    const tr = document.createElement("tr");
    tr.dataset.site = site.site_id;
    if (site.site_id === state.selected) tr.classList.add("selected");
    const cells = [
      [name(site), ""], [fmt(site.individuals, 0), "num"],
      [fmt(g.people_per_latrine), `num${g.misses.includes("latrines") ? " miss" : ""}`],
      [fmt(g.water_litres_per_person_day), `num${g.misses.includes("water") ? " miss" : ""}`],
      [fmt(g.covered_m2_per_person), `num${g.misses.includes("space") ? " miss" : ""}`],
      [g.flooded_share === null ? "—" : `${Math.round(100 * g.flooded_share)}%`, `num${g.misses.includes("flooding") ? " miss" : ""}`],
      [g.misses.map((m) => s(`gap_${m}`)).join(lang() === "ar" ? "، " : ", "), ""],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    tr.addEventListener("click", () => select(site.site_id));
    return tr;
  }));
  $("f-site").replaceChildren(...state.sites.map((site) => {
    const o = document.createElement("option");
    o.value = site.site_id;
    o.textContent = name(site);
    o.selected = site.site_id === state.selected;
    return o;
  }));
}

// Points (t in ms, people) scaled into the chart's 400 x 160 box, with a 30 px margin for the axes.
export function chartPoints(history, w = 400, h = 160, m = 30) {
  const pts = history.filter((u) => u.individuals !== null).map((u) => [Date.parse(u.updated), u.individuals]);
  if (!pts.length) return [];
  const t0 = Math.min(...pts.map((p) => p[0])), t1 = Math.max(...pts.map((p) => p[0]));
  const top = Math.max(...pts.map((p) => p[1])) || 1;
  return pts.map(([t, n]) => [m + (t1 > t0 ? (t - t0) / (t1 - t0) : 0.5) * (w - 2 * m), h - m - (n / top) * (h - 2 * m), t, n]);
}

async function drawChart(siteId) {
  const svg = $("chart");
  svg.replaceChildren();
  const site = state.sites.find((x) => x.site_id === siteId);
  $("chart-site").textContent = site ? name(site) : "—";
  if (!site) return;
  const history = await api(`/api/v1/shelters/${encodeURIComponent(siteId)}/history`);
  const pts = chartPoints(history);
  el("line", { x1: 30, y1: 130, x2: 370, y2: 130, class: "axis" }, svg);
  el("line", { x1: 30, y1: 30, x2: 30, y2: 130, class: "axis" }, svg);
  if (!pts.length) return;
  el("polyline", { points: pts.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(" "), class: "line" }, svg);
  for (const [x, y, t, n] of pts) {
    el("circle", { cx: x, cy: y, r: 3, class: "dot" }, svg);
    const label = el("text", { x, y: y - 6, "text-anchor": "middle" }, svg);
    label.textContent = String(n);
    const day = el("text", { x, y: 145, "text-anchor": "middle" }, svg);
    day.textContent = new Date(t).toISOString().slice(5, 10);
  }
}

function select(siteId) {
  state.selected = siteId;
  drawTable();
  drawMap();
  drawChart(siteId).catch((err) => { $("chart-site").textContent = err.message; });
}

// -- the offline queue ----------------------------------------------------------------------------

function showQueue(items) {
  $("queue").hidden = !items.length;
  $("queue").textContent = `${items.length} ${s("waiting")}`;
}

// Every update goes through the queue (offline_queue.js holds the rules: one sender, what is kept
// for later, what is dropped), so one sent offline and one sent online take the same path.
let refusedLast = null;  // the last refused update, so the form keeps what was typed for it
const updates = new OfflineQueue(QUEUE_KEY,
  (item) => api(`/api/v1/shelters/${encodeURIComponent(item.site)}/updates`, { method: "POST", body: item.body }),
  {
    changed: showQueue,
    sent: () => { $("f-result").textContent = s("sent"); },
    refused: (item, err) => {
      refusedLast = JSON.stringify(item);
      $("f-result").textContent = `${s("refused")}: ${item.site}: ${err.message}`;
    },
    signIn: (err) => { setToken(null); showLogin(err.message); },
  });

/** The updates waiting in this browser, oldest first. */
export function queued() { return updates.entries(); }

/** Sends what waits; the sites are read again once nothing does. */
export async function flush() {
  await updates.flush();
  if (!updates.entries().length) await load();
}

async function submit(e) {
  e.preventDefault();
  const body = { updated: new Date().toISOString() };
  for (const f of FIELDS) {
    const v = $(`f-${f}`).value.trim();
    if (v !== "") body[f] = Number(v);
  }
  if (Object.keys(body).length === 1) { $("f-result").textContent = s("nothing"); return; }
  const site = $("f-site").value;
  const entry = { site, body };
  const mine = JSON.stringify(entry);
  updates.add(entry);
  await flush();
  if (updates.entries().some((x) => JSON.stringify(x) === mine)) {
    $("f-result").textContent = s("queued");  // kept, sent when the network is back
  } else if (refusedLast !== mine) {
    $("update").reset();
    $("f-site").value = site;
  }
  select(site);
}

async function load() {
  state.sites = await api("/api/v1/shelters");
  if (!state.selected && state.sites.length) state.selected = state.sites[0].site_id;
  drawTable();
  drawMap();
}

async function start() {
  applyStrings();
  drawLegend();
  $("lang").addEventListener("click", () => {
    setLang(lang() === "ar" ? "en" : "ar");
    applyStrings();
    drawLegend();
    if (state.map) state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
    select(state.selected);
  });
  wireSignIn();
  if (!token()) { showLogin(); return; }
  try { await load(); } catch (err) { setToken(null); showLogin(err.message); return; }
  $("main").hidden = false;
  const basemap = await api("/api/v1/basemap");
  const focus = state.sites.map((x) => [x.lon, x.lat]);
  state.map = new MapView($("map"), basemap, focus.length > 1 ? focus : null);
  state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
  state.map.onZoom.push(() => drawMap());
  $("update").addEventListener("submit", submit);
  showQueue(queued());
  window.addEventListener("online", () => flush());
  setInterval(() => { if (queued().length) flush(); }, RETRY_MS);
  select(state.selected);
}

start();
