// The operator console: live map, sites under threat with actions, alert log, sources.
import { api, setToken, token } from "/static/auth.js";
import { applyLang, formatClock, formatCountdown, lang, setLang, siteName, t } from "/static/i18n.js";
import { MapView, fillLegend, trackLabel } from "/static/map.js";

const state = {
  sites: new Map(), status: new Map(), tracks: new Map(), alerts: [], sources: [], operatorLog: [],
  now: null, clock: null, speed: 1, receivedAt: performance.now(), map: null, ws: null, retry: 500,
  selected: null,  // { track, site } ids of the threat row selected: the map draws a line between them
};

const $ = (id) => document.getElementById(id);

function serverNow() {
  if (state.clock == null) return null;
  return state.clock + (performance.now() - state.receivedAt) / 1000 * state.speed;
}

function toast(text, bad = false) {
  const node = $("toast");
  node.textContent = text;
  node.className = bad ? "toast bad" : "toast";
}

// -- drawing --------------------------------------------------------------------------------------

let drawPending = false;
function redraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; drawAll(); });
}

function drawAll() {
  const map = state.map;
  if (!map) return;
  const now = serverNow();
  const sites = [...state.sites.values()].map((site) => {
    const status = state.status.get(site.id) || {};
    let label = siteName(site);
    if (status.level && status.eta_s != null) label += ` ${formatCountdown(status.eta_s - now)}`;
    return { site, status, label };
  });
  const tracks = [...state.tracks.values()].map((track) => ({ track, label: trackLabel(track) }));
  map.render({ sites, sources: state.sources, tracks, selected: state.selected });
  $("tracks-count").textContent = String(state.tracks.size);
  drawThreatened(now);
}

const threatRows = new Map();  // site id -> its list item, kept so buttons stay put while the list updates

function threatRow(site) {
  const li = document.createElement("li");
  li.dataset.site = site.id;
  const name = document.createElement("div");
  name.className = "name";
  const meta = document.createElement("div");
  meta.className = "meta";
  const actions = document.createElement("div");
  actions.className = "actions";
  for (const act of ["confirm", "cancel"]) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.act = act;
    b.dataset.site = site.id;
    b.dataset.i18n = act;
    b.textContent = t(act);
    b.addEventListener("click", () => operator(site.id, act));
    actions.appendChild(b);
  }
  li.append(name, meta, actions);
  return li;
}

function drawThreatened(now) {
  const list = $("threatened");
  const rows = [...state.sites.values()]
    .map((site) => ({ site, status: state.status.get(site.id) || {} }))
    .filter((r) => r.status.level)
    .sort((a, b) => (a.status.level === b.status.level ? (a.status.eta_s || 0) - (b.status.eta_s || 0)
      : a.status.level === "imminent" ? -1 : 1));
  const wanted = new Set(rows.map((r) => r.site.id));
  for (const [id, li] of threatRows) if (!wanted.has(id)) { li.remove(); threatRows.delete(id); }
  let empty = list.querySelector("li.empty");
  if (!rows.length) {
    if (!empty) {
      empty = document.createElement("li");
      empty.className = "empty";
      list.appendChild(empty);
    }
    empty.textContent = t("none");
    return;
  }
  if (empty) empty.remove();
  rows.forEach(({ site, status }, i) => {
    let li = threatRows.get(site.id);
    if (!li) { li = threatRow(site); threatRows.set(site.id, li); }
    li.className = status.level;
    li.querySelector(".name").textContent = `${siteName(site)} — ${t(status.level)}`
      + (status.confirmed ? ` (${t("confirmed")})` : "") + (status.manual ? ` (${t("manual_flag")})` : "");
    const parts = [];
    if (status.aircraft) parts.push(t(status.aircraft));
    if (status.from) parts.push(`${t("from")} ${t(status.from)}`);
    if (status.eta_s != null) parts.push(`${t("eta")} ${formatCountdown(status.eta_s - now)}`);
    if (status.probability != null) parts.push(`p=${status.probability.toFixed(2)}`);
    li.querySelector(".meta").textContent = parts.join(" · ");
    for (const b of li.querySelectorAll("button")) b.textContent = t(b.dataset.act);
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
}

function alertItem(a) {
  const li = document.createElement("li");
  li.className = `${a.action} ${a.level}`;
  li.dataset.action = a.action;
  li.dataset.site = a.site;
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = formatClock(a.t_s);
  const site = state.sites.get(a.site);
  const text = document.createElement("span");
  text.textContent = `${site ? siteName(site) : a.site}: ${t(a.action)}` +
    (a.action === "all_clear" ? "" : ` — ${t(a.level)}, ${t(a.threat)}`);
  li.append(time, text);
  return li;
}

function drawAlertLog() {
  const list = $("alert-log");
  list.replaceChildren(...state.alerts.slice(-300).reverse().map(alertItem));
}

function drawOperatorLog() {
  const list = $("operator-log");
  list.replaceChildren(...state.operatorLog.slice(-50).reverse().map((e) => {
    const li = document.createElement("li");
    const site = state.sites.get(e.site);
    li.textContent = `${formatClock(e.t)} ${e.by}: ${e.action} ${site ? siteName(site) : t("all_sites")}` + (e.note ? ` — ${e.note}` : "");
    return li;
  }));
}

function drawSources() {
  const counts = { observer: { ok: 0, silent: 0, never: 0 }, sensor: { ok: 0, silent: 0, never: 0 } };
  for (const s of state.sources) counts[s.kind][s.health] += 1;
  const line = (kind) => `${t(kind + "s")}: ${counts[kind].ok} ${t("ok")}, ${counts[kind].silent} ${t("silent")}, ${counts[kind].never} ${t("never")}`;
  $("sources-summary").textContent = `${line("sensor")} — ${line("observer")}`;
}

function fillSiteSelect() {
  const select = $("manual-site");
  const chosen = select.value;
  select.replaceChildren(...[...state.sites.values()].map((site) => {
    const o = document.createElement("option");
    o.value = site.id;
    o.textContent = siteName(site);
    return o;
  }));
  const all = document.createElement("option");
  all.value = "all";
  all.textContent = t("all_sites");
  select.appendChild(all);
  if (chosen) select.value = chosen;
}

function drawClock() {
  $("clock").textContent = formatClock(serverNow());
  $("speed").textContent = state.speed !== 1 ? `×${state.speed}` : "";
}

// -- the feed ------------------------------------------------------------------------------------

// The engine stopped: nothing is processed until the service restarts it. Say so above everything.
function drawEngine(engine) {
  const stopped = engine.status === "stopped";
  $("engine-banner").hidden = !stopped;
  document.body.dataset.engine = engine.status;
  $("engine-reason").textContent = stopped && engine.reason ? engine.reason : "";
}

function handle(message) {
  const d = message.data;
  switch (message.type) {
    case "snapshot":
      state.clock = d.clock; state.speed = d.speed; state.receivedAt = performance.now();
      state.status = new Map(d.sites.map((s) => [s.id, s]));
      state.tracks = new Map(d.tracks.map((tr) => [tr.track, tr]));
      state.alerts = d.alerts; state.sources = d.sources; state.operatorLog = d.operator_log;
      drawAlertLog(); drawSources(); drawOperatorLog();
      if (d.engine) drawEngine(d.engine);
      break;
    case "track": state.tracks.set(d.track, d); break;
    case "track_lost": state.tracks.delete(d.track); break;
    case "site": state.status.set(d.id, d); break;
    case "alert":
      state.alerts.push(d);
      if (state.alerts.length > 1000) state.alerts.splice(0, state.alerts.length - 1000);
      $("alert-log").prepend(alertItem(d));
      break;
    case "operator": state.operatorLog.push(d); drawOperatorLog(); break;
    case "clock": state.clock = d.now; state.speed = d.speed; state.receivedAt = performance.now(); break;
    case "engine": drawEngine(d); break;
    default: break;
  }
  redraw();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/v1/live`);
  state.ws = ws;
  ws.addEventListener("open", () => ws.send(JSON.stringify({ token: token() })));
  ws.addEventListener("message", (e) => {
    const conn = $("conn");
    if (!conn.classList.contains("on")) {
      conn.className = "conn on"; conn.dataset.i18n = "connected"; conn.textContent = t("connected");
      state.retry = 500;
    }
    handle(JSON.parse(e.data));
  });
  ws.addEventListener("close", (e) => {
    const conn = $("conn");
    conn.className = "conn off"; conn.dataset.i18n = "disconnected"; conn.textContent = t("disconnected");
    if (e.code === 4401 || e.code === 4403) { showLogin(t("failed")); return; }
    setTimeout(connect, state.retry);
    state.retry = Math.min(10000, state.retry * 2);
  });
}

// -- operator actions -----------------------------------------------------------------------------

async function operator(site, action, body) {
  try {
    const result = await api(`/api/v1/operator/sites/${encodeURIComponent(site)}/${action}`, { method: "POST", body: body || {} });
    toast(`${t("done")}: ${action} ${site}` + (result.alerts.length ? ` → ${result.alerts.map((a) => t(a.action)).join(", ")}` : ""));
  } catch (err) {
    toast(`${t("failed")}: ${err.message}`, true);
  }
}

// -- start ----------------------------------------------------------------------------------------

function showLogin(message) {
  $("main").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function start() {
  applyLang();
  $("lang").addEventListener("click", () => {
    setLang(lang() === "ar" ? "en" : "ar");
    fillSiteSelect();
    if (state.map) state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
    drawAlertLog(); drawSources(); drawOperatorLog(); redraw();
  });
  $("logout").addEventListener("click", () => { setToken(null); if (state.ws) state.ws.close(); location.reload(); });
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($("token").value.trim());
    location.reload();
  });
  $("manual").addEventListener("submit", (e) => {
    e.preventDefault();
    const site = $("manual-site").value;
    if (site === "all") { toast(t("failed"), true); return; }
    operator(site, "alert", { level: $("manual-level").value, aircraft: $("manual-aircraft").value });
  });
  $("test-alarm").addEventListener("click", () => operator($("manual-site").value, "test-alarm"));
  if (!token()) { showLogin(); return; }
  let sites;
  try {
    sites = await api("/api/v1/sites");
  } catch (err) {
    setToken(null);
    showLogin(`${t("failed")}: ${err.message}`);
    return;
  }
  const basemap = await api("/api/v1/basemap");
  state.sites = new Map(sites.map((s) => [s.id, s]));
  state.status = new Map(sites.map((s) => [s.id, s.status]));
  state.map = new MapView($("map"), basemap, sites.map((x) => [x.lon, x.lat]));
  fillLegend($("map-legend"));
  state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
  state.map.onZoom.push(() => redraw());
  fillSiteSelect();
  redraw();
  connect();
  setInterval(() => { drawClock(); redraw(); }, 500);
}

start();
