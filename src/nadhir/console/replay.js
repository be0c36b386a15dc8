// Replay viewer: pick a stored run, scrub through its time; the map and logs show that moment.
import { api, setToken, showLogin, token, wireSignIn } from "/static/auth.js";
import { applyLang, formatClock, lang, setLang, siteName, t } from "/static/i18n.js";
import { MapView, trackLabel } from "/static/map.js";

const $ = (id) => document.getElementById(id);
const TRAIL_S = 600;
const STALE_S = 120;
const state = { run: null, map: null, t: 0, playing: false, byTrack: new Map() };

function lastIndexAtOrBefore(list, t) {
  let lo = 0, hi = list.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].t <= t) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}

function statusAt(t) {
  const status = new Map();
  for (const a of state.run.alerts) {
    if (a.t_s > t) break;
    if (a.action === "all_clear") status.delete(a.site);
    else status.set(a.site, { level: a.level, eta_s: a.eta_s, aircraft: a.threat });
  }
  return status;
}

function draw() {
  const run = state.run;
  const map = state.map;
  if (!run || !map) return;
  const at = state.t;
  $("time-label").textContent = formatClock(at);
  const status = statusAt(at);
  const sites = run.sites.map((site) => ({ site, status: status.get(site.id) || {}, label: siteName(site) }));
  const tracks = [];
  for (const [, states] of state.byTrack) {
    const i = lastIndexAtOrBefore(states, at);
    if (i < 0 || at - states[i].t > STALE_S) continue;
    const now = states[i];
    const trail = [];
    for (let k = i; k >= 0 && now.t - states[k].t <= TRAIL_S; k -= 1) trail.unshift([states[k].lat, states[k].lon]);
    const track = { ...now, trail, prediction: [] };
    tracks.push({ track, label: trackLabel(track) });
  }
  map.render({ sites, tracks });
  document.body.dataset.tracksShown = String(tracks.length);
  const list = $("threatened");
  list.replaceChildren(...[...status.entries()].map(([id, st]) => {
    const li = document.createElement("li");
    li.className = st.level;
    const site = run.sites.find((x) => x.id === id);
    li.textContent = `${site ? siteName(site) : id} — ${t(st.level)}, ${t(st.aircraft)}`;
    return li;
  }));
  const upTo = run.alerts.filter((a) => a.t_s <= at).slice(-200).reverse();
  $("alert-log").replaceChildren(...upTo.map((a) => {
    const li = document.createElement("li");
    li.className = `${a.action} ${a.level}`;
    const site = run.sites.find((x) => x.id === a.site);
    li.textContent = `${formatClock(a.t_s)} ${site ? siteName(site) : a.site}: ${t(a.action)}` + (a.action === "all_clear" ? "" : ` — ${t(a.level)}`);
    return li;
  }));
}

async function loadRun(id) {
  const run = await api(`/api/v1/runs/${id}`);
  state.run = run;
  state.byTrack = new Map();
  for (const st of run.tracks) {
    if (!state.byTrack.has(st.track)) state.byTrack.set(st.track, []);
    state.byTrack.get(st.track).push(st);
  }
  const slider = $("time");
  const start = Math.floor(run.start || run.run.started_at);
  const end = Math.ceil(run.end || start + 1);
  slider.min = String(start);
  slider.max = String(Math.max(end, start + 1));
  slider.value = String(start);
  state.t = start;
  draw();
}

let last = null;
function tick(now) {
  if (state.playing && state.run) {
    if (last != null) {
      const slider = $("time");
      state.t = Math.min(Number(slider.max), state.t + (now - last) / 1000 * Number($("rate").value));
      slider.value = String(Math.floor(state.t));
      if (state.t >= Number(slider.max)) { state.playing = false; $("play").textContent = t("play"); }
      draw();
    }
    last = now;
  } else last = null;
  requestAnimationFrame(tick);
}

async function start() {
  applyLang();
  $("lang").addEventListener("click", () => {
    setLang(lang() === "ar" ? "en" : "ar");
    if (state.map) state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
    draw();
  });
  wireSignIn();
  if (!token()) { showLogin(); return; }
  let runs;
  try { runs = await api("/api/v1/runs"); } catch (err) { setToken(null); showLogin(`${t("failed")}: ${err.message}`); return; }
  const basemap = await api("/api/v1/basemap");
  const focus = basemap.features.filter((f) => f.geometry && f.geometry.type === "Point" && f.properties.kind !== "airbase")
    .map((f) => f.geometry.coordinates);
  state.map = new MapView($("map"), basemap, focus);
  state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
  state.map.onZoom.push(() => draw());
  const select = $("run");
  select.replaceChildren(...runs.slice().reverse().map((r) => {
    const o = document.createElement("option");
    o.value = String(r.id);
    o.textContent = `#${r.id} ${r.name}${r.live ? " (live)" : ""}`;
    return o;
  }));
  if (!runs.length) { $("alert-log").textContent = t("no_runs"); return; }
  select.addEventListener("change", () => loadRun(select.value));
  $("time").addEventListener("input", (e) => { state.t = Number(e.target.value); draw(); });
  $("play").addEventListener("click", () => {
    state.playing = !state.playing;
    $("play").textContent = t(state.playing ? "pause" : "play");
  });
  await loadRun(select.value);
  requestAnimationFrame(tick);
}

start();
