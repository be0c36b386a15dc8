// The operator console: live map, sites under threat with actions, alert log, sources.
import { api, setToken, showLogin, token, wireSignIn } from "/static/auth.js";
import {
  applyLang, formatClock, formatCountdown, formatDuration, formatShortClock, joinList, lang, setLang, siteName, t, tf,
} from "/static/i18n.js";
import { MapView, drawSite, drawSource, drawTrack, el, fillLegend, trackLabel } from "/static/map.js";

const state = {
  sites: new Map(), status: new Map(), tracks: new Map(), alerts: [], sources: [], operatorLog: [],
  now: null, clock: null, speed: 1, receivedAt: performance.now(), map: null, ws: null, retry: 500,
  selected: null,  // { track, site } ids of the threat row selected: the map draws a line between them
};
// The console's own: the row the operator picked (the map draws its track-to-site line), inputs heard,
// cancels waiting out their undo window (id -> {held, until: performance.now() ms}).
Object.assign(state, { inputs: [], held: new Map() });
// Below this probability an early (phones only) alert is listed in the explained low-probability group.
const LOW_P = 0.1;
const RANK = { early: 1, imminent: 2 };

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

function button(act, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.dataset.act = act;
  b.textContent = label;
  b.addEventListener("click", (e) => { e.stopPropagation(); onClick(); });
  return b;
}

function select(site, track) {
  state.selected = { track: track || null, site };
  for (const [id, li] of threatRows) li.setAttribute("aria-pressed", String(id === site));
  redraw();
}

function threatRow(site) {
  const li = document.createElement("li");
  li.dataset.site = site.id;
  li.tabIndex = 0;
  li.setAttribute("role", "button");
  li.setAttribute("aria-pressed", "false");
  const name = document.createElement("div");
  name.className = "name";
  const who = document.createElement("div");
  who.className = "who";
  const meta = document.createElement("div");
  meta.className = "meta";
  const actions = document.createElement("div");
  actions.className = "actions";
  for (const act of ["confirm", "cancel"]) {
    const b = button(act, t(act), () => ask(act, site.id));
    b.dataset.site = site.id;
    b.dataset.i18n = act;
    actions.appendChild(b);
  }
  const everywhere = button("cancel-track", "", () => askCancelTrack(li.dataset.track));
  everywhere.dataset.site = site.id;
  actions.appendChild(everywhere);
  li.append(name, who, meta, actions);
  const pick = () => select(site.id, li.dataset.track);
  li.addEventListener("click", pick);
  li.addEventListener("keydown", (e) => { if (e.target === li && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); pick(); } });
  return li;
}

// When the threat arrives: "arrives in 3:20", "overhead since 02:10" (the server says when it arrived).
function arrival(status, now) {
  if (status.arrived_s != null) {
    return `${t(status.cue === "impact" ? "strike_since" : "overhead_since")} ${formatShortClock(status.arrived_s)}`;
  }
  if (status.eta_s == null || now == null) return t("arrival_unknown");
  // A few seconds either way are the feed's delay, not an arrival: the server says when it arrives.
  return `${t("arrives_in")} ${formatDuration(Math.max(0, status.eta_s - now))}`;
}

// Which aircraft, and from where: the track, its type and the compass point the server computed.
function aircraftLine(status) {
  const parts = [];
  parts.push(status.track ? `${t("track")} ${status.track}` : (status.manual ? t("manual_flag") : (status.cue === "impact" ? t("impact") : "")));
  parts.push(status.aircraft && status.aircraft !== "unknown" ? t(status.aircraft) : t("type_unknown"));
  parts.push(status.from ? `${t("from")} ${t(status.from)}` : t("direction_unknown"));
  return parts.filter(Boolean).join(t("sep"));
}

function isLow(status) {
  return status.level === "early" && status.probability != null && status.probability < LOW_P;
}

function drawThreatened(now) {
  const rows = [...state.sites.values()]
    .map((site) => ({ site, status: state.status.get(site.id) || {} }))
    .filter((r) => r.status.level)
    // Imminent first, then by when the alert began: rows stay put while arrival times move, so
    // the button under the operator's finger is still the one they meant.
    .sort((a, b) => (RANK[b.status.level] || 0) - (RANK[a.status.level] || 0)
      || (a.status.since_s || 0) - (b.status.since_s || 0) || a.site.id.localeCompare(b.site.id));
  const wanted = new Set(rows.map((r) => r.site.id));
  for (const [id, li] of threatRows) if (!wanted.has(id)) { li.remove(); threatRows.delete(id); }
  const main = rows.filter((r) => !isLow(r.status));
  const low = rows.filter((r) => isLow(r.status));
  $("threat-count").textContent = rows.length ? `(${rows.length})` : "";
  fillThreatList($("threatened"), main, now, true);
  fillThreatList($("threatened-low"), low, now, false);
  $("low-group").hidden = !low.length;
  if (low.length) {
    const ps = low.map((r) => r.status.probability);
    $("low-summary").textContent = tf("low_group", { n: low.length, lo: Math.min(...ps).toFixed(2), hi: Math.max(...ps).toFixed(2) });
  }
}

function fillThreatList(list, rows, now, sayNone) {
  let empty = list.querySelector("li.empty");
  if (!rows.length) {
    if (sayNone) {
      if (!empty) {
        empty = document.createElement("li");
        empty.className = "empty";
        list.appendChild(empty);
      }
      empty.textContent = t("none");
    }
    return;
  }
  if (empty) empty.remove();
  rows.forEach(({ site, status }, i) => {
    let li = threatRows.get(site.id);
    if (!li) { li = threatRow(site); threatRows.set(site.id, li); }
    li.className = status.level + (state.selected && state.selected.site === site.id ? " selected" : "");
    li.dataset.track = status.track || "";
    li.querySelector(".name").textContent = `${siteName(site)} — ${t(status.level)}`
      + (status.confirmed ? ` (${t("confirmed")})` : "") + (status.manual ? ` (${t("manual_flag")})` : "");
    li.querySelector(".who").textContent = aircraftLine(status);
    const parts = [arrival(status, now), status.level === "imminent" ? t("sirens_phones") : t("phones_only")];
    if (status.probability != null) parts.push(`p=${status.probability.toFixed(2)}`);
    li.querySelector(".meta").textContent = parts.join(t("sep"));
    for (const b of li.querySelectorAll("button[data-i18n]")) b.textContent = t(b.dataset.act);
    const everywhere = li.querySelector("button[data-act=cancel-track]");
    everywhere.hidden = !status.track;
    everywhere.dataset.track = status.track || "";
    if (status.track) everywhere.textContent = tf("cancel_everywhere", { track: status.track });
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
}

// -- the alert log: one line per episode, its updates folded inside --------------------------------


// Episodes from the alerts in order: a site's alert opens one, updates join it, an all-clear ends it.
function episodes(alerts) {
  const open = new Map();
  const out = [];
  for (const a of alerts) {
    let ep = open.get(a.site);
    if (!ep || a.action === "alert") {
      ep = { site: a.site, start: a.t_s, end: null, level: a.level, threat: a.threat, track: a.track, lines: [] };
      out.push(ep);
      open.set(a.site, ep);
    }
    ep.lines.push(a);
    if (a.action !== "all_clear") {
      if ((RANK[a.level] || 0) > (RANK[ep.level] || 0)) ep.level = a.level;
      ep.threat = a.threat || ep.threat;
      ep.track = a.track || ep.track;
    } else {
      ep.end = a.t_s;
      open.delete(a.site);
    }
  }
  return out;
}

function timeNode(seconds, short = false) {
  const time = document.createElement("time");
  time.className = "time";
  time.dir = "ltr";
  time.textContent = short ? formatShortClock(seconds) : formatClock(seconds);
  return time;
}

function lineItem(a) {
  const li = document.createElement("li");
  li.className = `${a.action} ${a.level || ""}`;
  li.dataset.action = a.action;
  li.dataset.site = a.site;
  const text = document.createElement("span");
  text.textContent = t(a.action) + (a.action === "all_clear" ? "" : `${t("sep")}${t(a.level)}`);
  li.append(timeNode(a.t_s), " ", text);
  return li;
}

function episodeItem(ep) {
  const li = document.createElement("li");
  li.className = `episode ${ep.level}${ep.end != null ? " ended" : ""}`;
  li.dataset.site = ep.site;
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  const site = state.sites.get(ep.site);
  const when = document.createElement("bdi");
  when.append(timeNode(ep.start, true), "–");
  if (ep.end != null) when.append(timeNode(ep.end, true));
  const what = document.createElement("span");
  const updates = ep.lines.filter((a) => a.action === "update").length;
  what.textContent = [
    site ? siteName(site) : ep.site, t(ep.level), t(ep.threat || "unknown") + (ep.track ? ` ${ep.track}` : ""),
    `${updates} ${t("updates")}`, ep.end != null ? t("cleared") : t("open_now"),
  ].join(t("sep"));
  summary.append(when, " ", what);
  const list = document.createElement("ol");
  list.className = "episode-lines";
  // Lines are drawn when opened: 270 updates need not be in the page until someone looks.
  details.addEventListener("toggle", () => {
    if (details.open && !list.children.length) list.append(...ep.lines.map(lineItem));
  });
  details.append(summary, list);
  li.appendChild(details);
  // The all-clear and the opening alert stay findable without opening it.
  for (const a of ep.lines) if (a.action !== "update") li.dataset[a.action === "all_clear" ? "cleared" : "alerted"] = "1";
  return li;
}

// Redrawn at most once a second: in a busy hour (or the demo at 120x) alerts come many a second, and
// rebuilding the log for each would leave the page no time to answer the operator's clicks.
let logPending = false;
function drawAlertLog() {
  if (logPending) return;
  logPending = true;
  setTimeout(() => {
    logPending = false;
    const eps = episodes(state.alerts).slice(-200).reverse();
    const list = $("alert-log");
    const wasOpen = new Set([...list.querySelectorAll("details[open]")].map((d) => d.parentElement.dataset.key));
    list.replaceChildren(...eps.map((ep) => {
      const li = episodeItem(ep);
      li.dataset.key = `${ep.site}@${ep.start}`;
      if (wasOpen.has(li.dataset.key)) li.querySelector("details").open = true;
      return li;
    }));
    $("log-count").textContent = eps.length ? `(${eps.length})` : "";
  }, 1000);
}

function drawOperatorLog() {
  const list = $("operator-log");
  list.replaceChildren(...state.operatorLog.slice(-50).reverse().map((e) => {
    const li = document.createElement("li");
    const site = state.sites.get(e.site);
    const where = e.track && e.site === "*" ? `${t("track")} ${e.track}` : site ? siteName(site) : t("all_sites");
    li.append(timeNode(e.t), " ", document.createTextNode(`${e.by}: ${e.action} ${where}` + (e.note ? ` — ${e.note}` : "")));
    return li;
  }));
}

// -- inputs: what came in, from whom, how it was read ------------------------------------------------

function readText(input) {
  const r = input.read;
  if (!r) return "";
  if (input.kind === "acoustic") {
    return [t(r.sound), `${t("confidence")} ${r.confidence}`,
      r.bearing_deg != null ? `${t("bearing")} ${r.bearing_deg}°` + (r.bearing_sigma_deg ? ` ±${r.bearing_sigma_deg}°` : "") : null]
      .filter(Boolean).join(t("comma"));
  }
  if (input.kind === "impact") return r.place || (r.lat != null ? `${r.lat}, ${r.lon}` : "");
  if (r.rejected) return "";
  return [
    t(r.aircraft) + (r.aircraft_confidence != null ? ` (${r.aircraft_confidence})` : ""),
    r.count > 1 ? tf("count_of", { n: r.count }) : null,
    r.lat != null ? `${t("at")} ${r.lat}, ${r.lon} ±${(r.sigma_m / 1000).toFixed(1)} ${t("km")}` : null,
    r.heading_deg != null ? `${t("heading")} ${r.heading_deg}°` : null,
    r.toward ? `→ ${r.toward}` : null,
  ].filter(Boolean).join(t("comma"));
}

function inputItem(input) {
  const li = document.createElement("li");
  li.className = `input ${input.kind}${input.rejected ? " rejected" : ""}`;
  li.dataset.source = input.source;
  const head = document.createElement("div");
  head.className = "input-head";
  head.append(timeNode(input.t), " ", document.createTextNode(
    `${input.source} (${t(input.source_kind)}${t("comma")}${t("trust")} ${input.trust.toFixed(2)})${t("sep")}${t(input.kind)}`));
  li.appendChild(head);
  if (input.text) {
    const raw = document.createElement("q");
    raw.className = "raw";
    raw.dir = "auto";
    raw.textContent = input.text;
    li.appendChild(raw);
  }
  const read = document.createElement("div");
  read.className = "read";
  read.textContent = input.rejected ? `${t("rejected_input")}: ${input.rejected}` : `${t("read_as")}: ${readText(input)}`;
  li.appendChild(read);
  return li;
}

function drawInputs() {
  const list = $("inputs");
  const items = state.inputs.slice(-100).reverse();
  list.replaceChildren(...(items.length ? items.map(inputItem) : [Object.assign(document.createElement("li"), { textContent: t("none_heard") })]));
  $("inputs-count").textContent = state.inputs.length ? `(${state.inputs.length})` : "";
  drawTrackLead();
}

// Per track: the first word of it from its sources, and when it reached the map.
function drawTrackLead() {
  const tracks = [...state.tracks.values()].filter((tr) => tr.first_input_s != null && tr.shown_s != null);
  $("track-lead").replaceChildren(...tracks.map((tr) => {
    const li = document.createElement("li");
    li.dataset.track = tr.track;
    const lead = tr.shown_s - tr.first_input_s;
    li.append(document.createTextNode(`${tf("first_word", { track: tr.track })}: `), timeNode(tr.first_input_s, true),
      ` (${tr.first_input_source})${t("sep")}${t("on_map")} `, timeNode(tr.shown_s, true),
      ` (+${formatDuration(lead)})`);
    return li;
  }));
}

function drawSources() {
  const counts = { observer: { ok: 0, silent: 0, never: 0 }, sensor: { ok: 0, silent: 0, never: 0 } };
  for (const s of state.sources) counts[s.kind][s.health] += 1;
  const line = (kind) => `${t(kind + "s")}: ${counts[kind].ok} ${t("ok")}${t("comma")}${counts[kind].silent} ${t("silent")}${t("comma")}${counts[kind].never} ${t("never")}`;
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
// Degraded: it runs, but steps were set aside lately (some reports not processed): say which.
function drawEngine(engine) {
  const stopped = engine.status === "stopped";
  const degraded = engine.status === "degraded";
  $("engine-banner").hidden = !stopped;
  $("engine-degraded").hidden = !degraded;
  document.body.dataset.engine = engine.status;
  $("engine-reason").textContent = stopped && engine.reason ? engine.reason : "";
  $("engine-degraded-reason").textContent = degraded && engine.reason ? engine.reason : "";
}

function handle(message) {
  const d = message.data;
  switch (message.type) {
    case "snapshot":
      state.clock = d.clock; state.speed = d.speed; state.receivedAt = performance.now();
      state.status = new Map(d.sites.map((s) => [s.id, s]));
      state.tracks = new Map(d.tracks.map((tr) => [tr.track, tr]));
      state.alerts = d.alerts; state.sources = d.sources; state.operatorLog = d.operator_log;
      state.inputs = d.inputs || [];
      state.held = new Map((d.held || []).map((h) => [h.id, { held: h, until: performance.now() + h.remaining_s * 1000 }]));
      drawAlertLog(); drawSources(); drawOperatorLog(); drawInputs(); drawHeld();
      if (d.engine) drawEngine(d.engine);
      break;
    case "track": state.tracks.set(d.track, d); break;
    case "track_lost": state.tracks.delete(d.track); break;
    case "site": state.status.set(d.id, d); break;
    case "alert":
      state.alerts.push(d);
      if (state.alerts.length > 1000) state.alerts.splice(0, state.alerts.length - 1000);
      drawAlertLog();
      break;
    case "input":
      state.inputs.push(d);
      if (state.inputs.length > 500) state.inputs.splice(0, state.inputs.length - 500);
      drawInputsSoon();
      break;
    case "source": {
      const i = state.sources.findIndex((s) => s.id === d.id);
      if (i >= 0) state.sources[i] = d; else state.sources.push(d);
      drawSources();
      break;
    }
    case "held": state.held.set(d.id, { held: d, until: performance.now() + d.remaining_s * 1000 }); drawHeld(); break;
    case "held_end":
      if (state.held.delete(d.id)) toast(`${t(d.outcome)}` + (d.reason ? `: ${d.reason}` : ""), d.outcome === "lapsed");
      drawHeld();
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
    toast(`${t("done")}: ${action} ${site}` + (result.alerts.length ? ` → ${joinList(result.alerts.map((a) => t(a.action)))}` : ""));
  } catch (err) {
    toast(`${t("failed")}: ${err.message}`, true);
  }
}

let inputsPending = false;
function drawInputsSoon() {
  if (inputsPending) return;
  inputsPending = true;
  setTimeout(() => { inputsPending = false; drawInputs(); }, 1000);
}

// -- asking first: an in-page dialog that says what will sound where ------------------------------

function names(siteIds) {
  return joinList(siteIds.map((id) => { const s = state.sites.get(id); return s ? siteName(s) : id; }));
}

// How people at these sites are told: sirens and phones (imminent) or phones only (early).
function how(siteIds, level) {
  if (level !== "imminent") return t("phones_only");
  const silent = siteIds.filter((id) => !(state.sites.get(id)?.sirens || []).length);
  return t("sirens_phones") + (silent.length ? ` (${names(silent)}: ${t("no_sirens_here")})` : "");
}

// Resolves true if the operator says yes. Focus starts on "Go back": Enter alone never sounds a siren.
function confirmFirst({ title, body, yes }) {
  const dialog = $("ask");
  $("ask-title").textContent = title;
  $("ask-body").replaceChildren(...body.map((line) => Object.assign(document.createElement("p"), { textContent: line })));
  $("ask-yes").textContent = yes;
  $("ask-no").textContent = t("go_back");
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal();
    $("ask-no").focus();
  });
}

async function ask(action, siteId) {
  const status = state.status.get(siteId) || {};
  const level = status.level || "early";
  const sites = [siteId];
  let question;
  if (action === "cancel") {
    question = { title: t("ask_cancel_title"), body: [tf("ask_cancel_body", { sites: names(sites), how: how(sites, level) })], yes: t("ask_yes_cancel") };
  } else {
    question = { title: t("ask_confirm_title"), body: [tf("ask_confirm_body", { sites: names(sites), how: how(sites, "imminent") })], yes: t("ask_yes_confirm") };
  }
  if (await confirmFirst(question)) await operator(siteId, action);
}

async function askCancelTrack(track) {
  if (!track) return;
  const sites = [...state.status.values()].filter((s) => s.level && s.track === track).map((s) => s.id);
  const level = sites.some((id) => state.status.get(id).level === "imminent") ? "imminent" : "early";
  const ok = await confirmFirst({
    title: tf("ask_cancel_track_title", { track }),
    body: [tf("ask_cancel_track_body", { n: sites.length, sites: names(sites), window: 10, how: how(sites, level), track })],
    yes: t("ask_yes_cancel_track"),
  });
  if (!ok) return;
  try {
    const held = await api(`/api/v1/operator/tracks/${encodeURIComponent(track)}/cancel`, { method: "POST", body: {} });
    state.held.set(held.id, { held, until: performance.now() + held.remaining_s * 1000 });
    drawHeld();
  } catch (err) {
    toast(`${t("failed")}: ${err.message}`, true);
  }
}

async function undo(id) {
  try {
    await api(`/api/v1/operator/held/${encodeURIComponent(id)}/undo`, { method: "POST", body: {} });
    state.held.delete(id);
    toast(t("undone"));
  } catch (err) {
    toast(`${t("failed")}: ${err.message}`, true);
  }
  drawHeld();
}

// Cancels waiting out their undo window, each with its countdown and an Undo button.
function drawHeld() {
  const box = $("held");
  const now = performance.now();
  const keep = new Set();
  for (const [id, { held, until }] of state.held) {
    keep.add(id);
    let row = box.querySelector(`[data-held="${CSS.escape(id)}"]`);
    if (!row) {
      row = document.createElement("div");
      row.className = "held-row";
      row.dataset.held = id;
      const text = document.createElement("span");
      text.className = "held-text";
      const b = button("undo", t("undo"), () => undo(id));
      b.className = "undo";
      row.append(text, b);
      box.appendChild(row);
    }
    const left = Math.max(0, Math.ceil((until - now) / 1000));
    row.querySelector(".held-text").textContent = tf("held_line", { track: held.track, sites: names(held.sites), s: left });
    row.querySelector("button").textContent = t("undo");
  }
  for (const row of [...box.children]) if (!keep.has(row.dataset.held)) row.remove();
}

// -- start ----------------------------------------------------------------------------------------

async function start() {
  applyLang();
  $("lang").addEventListener("click", () => {
    setLang(lang() === "ar" ? "en" : "ar");
    fillSiteSelect();
    if (state.map) state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
    drawAlertLog(); drawSources(); drawOperatorLog(); drawInputs(); drawHeld(); redraw();
  });
  $("logout").addEventListener("click", () => { setToken(null); if (state.ws) state.ws.close(); location.reload(); });
  wireSignIn();
  $("manual").addEventListener("submit", async (e) => {
    e.preventDefault();
    const site = $("manual-site").value;
    const level = $("manual-level").value;
    if (site === "all") { toast(t("manual_all"), true); return; }
    if (!level) { toast(t("pick_level"), true); $("manual-level").focus(); return; }
    const sites = [site];
    // An early warning for one site goes at once; an imminent one sounds sirens, so it asks first.
    if (level === "imminent") {
      const ok = await confirmFirst({
        title: t("ask_alert_title"),
        body: [tf("ask_alert_body", { level: t(level), sites: names(sites), how: how(sites, level) })],
        yes: t("ask_yes_alert"),
      });
      if (!ok) return;
    }
    operator(site, "alert", { level, aircraft: $("manual-aircraft").value });
  });
  $("test-alarm").addEventListener("click", async () => {
    const site = $("manual-site").value;
    if (site === "all") {
      const ok = await confirmFirst({ title: t("ask_test_title"), body: [tf("ask_test_body", { n: state.sites.size })], yes: t("ask_yes_test") });
      if (!ok) return;
    }
    operator(site, "test-alarm");
  });
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
  setInterval(() => { drawClock(); drawHeld(); redraw(); }, 500);
}

start();
