// The health view: facility cards (status, age, what is not available, attacks), the map of facilities
// by functioning, and the status form, which keeps updates in localStorage while offline and sends
// them, oldest first, when the connection is back.
import { api, setToken, showLogin, token, wireSignIn } from "/static/auth.js";
import { applyLang, joinList, lang, setLang, siteName, t, tf } from "/static/i18n.js";
import { MapView, renderFacilities } from "/static/map.js";
import { OfflineQueue } from "/static/offline_queue.js";

const $ = (id) => document.getElementById(id);
const QUEUE_KEY = "nadhir.health.queue";
const REFRESH_MS = 60000;
const RETRY_MS = 15000;
const STALE_S = 3 * 86400;  // a status older than this is shown as old
const CADRES = ["obstetricians", "paediatricians", "surgeons", "anaesthetists", "doctors", "midwives", "nurses"];
const COUNTS = ["incubators_total", "incubators_working", "incubators_occupied", "beds_total", "beds_working", "theatres_in_use"];
// The mother-and-newborn services first (HeRAMS; EmONC signal functions 1-9), then surgery and trauma.
const SERVICES = ["antenatal_care", "skilled_birth_attendance", "emonc_1_antibiotics", "emonc_2_uterotonics",
  "emonc_3_anticonvulsants", "emonc_4_manual_placenta", "emonc_5_retained_products", "emonc_6_assisted_delivery",
  "emonc_7_neonatal_resuscitation", "emonc_8_caesarean", "emonc_9_blood_transfusion", "newborn_care",
  "emergency_surgery", "trauma_care"];
const CHOICES = {
  functionality: ["fully", "partially", "not"],
  building: ["not", "slightly", "partially", "fully"],
  accessibility: ["fully", "partially", "not"],
  power: ["grid", "generator", "solar", "none"],
  water: ["sufficient", "insufficient", "none"],
  oxygen: ["sufficient", "insufficient", "none"],
  evacuated: ["true", "false"],
};
const AVAILABILITY = ["available", "partially", "not", "not_provided"];

// clockOffset: the service's clock minus this browser's, in seconds (the demo's clock runs in its
// scenario's past), learned from the statuses' times and ages, so a queued update carries its time.
const state = { facilities: [], map: null, attacks: new Map(), attacksMissing: false, clockOffset: 0 };

// -- the queue ------------------------------------------------------------------------------------

function showQueue() {
  const n = updates.entries().length;
  $("queued").textContent = n ? tf("h_queued", { n }) : "";
  const online = navigator.onLine;
  $("net").textContent = t(online ? "h_online" : "h_offline");
  $("net").className = `conn ${online ? "on" : "off"}`;
}

function logLine(text, cls) {
  const li = document.createElement("li");
  li.className = cls;
  li.textContent = text;
  $("sent-log").prepend(li);
  while ($("sent-log").children.length > 20) $("sent-log").lastChild.remove();
}

function said(text, cls, toast) {
  logLine(text, cls);
  $("form-result").textContent = text;
  $("form-result").className = toast;
}

// Status updates not yet sent (offline_queue.js holds the rules: one sender, what is kept, what
// is dropped). A sign-in asked for keeps the update for after it.
const updates = new OfflineQueue(QUEUE_KEY,
  (item) => api(`/api/v1/health/facilities/${encodeURIComponent(item.facility)}/status`, { method: "POST", body: item.body }),
  {
    changed: showQueue,
    sent: (_, done) => said(done.confirmation, "sent", "toast"),
    refused: (item, err) => said(tf("h_refused", { name: nameOf(item.facility), reason: err.message }), "refused", "toast bad"),
    signIn: (err) => showLogin(`${t("failed")}: ${err.message}`),
  });

async function flush() {
  await updates.flush();
  if (!updates.entries().length) await refresh();
}

// -- the form -------------------------------------------------------------------------------------

function select(name, options, labelKey, prefix = "h_") {
  const label = document.createElement("label");
  const span = document.createElement("span");
  span.dataset.i18n = labelKey;
  span.textContent = t(labelKey);
  const sel = document.createElement("select");
  sel.name = name;
  const blank = document.createElement("option");
  blank.value = ""; blank.dataset.i18n = "h_unchanged"; blank.textContent = t("h_unchanged");
  sel.append(blank);
  for (const value of options) {
    const o = document.createElement("option");
    o.value = value; o.dataset.i18n = `${prefix}${name}_${value}`; o.textContent = t(o.dataset.i18n);
    sel.append(o);
  }
  label.append(span, sel);
  return label;
}

function number(name, labelKey, step = "1", max = "1000") {
  const label = document.createElement("label");
  const span = document.createElement("span");
  span.dataset.i18n = labelKey;
  span.textContent = t(labelKey);
  const input = document.createElement("input");
  Object.assign(input, { type: "number", name, min: "0", max, step, inputMode: "numeric" });
  label.append(span, input);
  return label;
}

function fieldset(legendKey, children) {
  const fs = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.dataset.i18n = legendKey;
  legend.textContent = t(legendKey);
  fs.append(legend, ...children);
  return fs;
}

function buildForm() {
  const form = $("status-form");
  const facility = document.createElement("label");
  const span = document.createElement("span");
  span.dataset.i18n = "h_facility"; span.textContent = t("h_facility");
  const sel = document.createElement("select");
  sel.name = "facility"; sel.id = "form-facility"; sel.required = true;
  facility.append(span, sel);
  const submit = document.createElement("button");
  submit.type = "submit"; submit.dataset.i18n = "h_send"; submit.textContent = t("h_send");
  form.replaceChildren(
    facility,
    fieldset("h_general", ["functionality", "evacuated", "building", "accessibility"].map((n) => select(n, CHOICES[n], `h_${n}`))),
    fieldset("h_staff", CADRES.map((c) => number(`staff.${c}`, `h_cadre_${c}`))),
    fieldset("h_counts", COUNTS.map((c) => number(c, `h_${c}`))),
    fieldset("h_supplies", [select("power", CHOICES.power, "h_power"), number("fuel_days", "h_fuel_days", "0.5", "365"),
      select("water", CHOICES.water, "h_water"), select("oxygen", CHOICES.oxygen, "h_oxygen")]),
    fieldset("h_services", SERVICES.map((s) => {
      const l = select(`services.${s}`, AVAILABILITY, `h_service_${s}`, "h_avail_");
      for (const o of l.querySelectorAll("option")) if (o.value) o.dataset.i18n = `h_avail_${o.value}`, o.textContent = t(o.dataset.i18n);
      return l;
    })),
    submit,
  );
  form.addEventListener("submit", (e) => { e.preventDefault(); submitForm(); });
}

function fillFacilitySelect() {
  const sel = $("form-facility");
  const chosen = sel.value;
  sel.replaceChildren(...state.facilities.map((f) => {
    const o = document.createElement("option");
    o.value = f.id; o.textContent = siteName(f);
    return o;
  }));
  if (chosen) sel.value = chosen;
}

// The update the form says: only the fields filled in.
function formStatus() {
  const status = {};
  for (const input of $("status-form").querySelectorAll("select, input")) {
    if (input.name === "facility" || input.value === "") continue;
    const [head, key] = input.name.split(".");
    let value = input.type === "number" ? Number(input.value) : input.value;
    if (head === "evacuated") value = value === "true";
    if (key) (status[head] ||= {})[key] = value; else status[head] = value;
  }
  return status;
}

async function submitForm() {
  const facility = $("form-facility").value;
  const status = formStatus();
  if (!Object.keys(status).length) {
    $("form-result").textContent = t("h_nothing");
    $("form-result").className = "toast bad";
    return;
  }
  // The time the facility's people said it: a form sent later (offline) still holds for then.
  const at = new Date(Date.now() + state.clockOffset * 1000 - 1000);
  const body = { status, at: at.toISOString().replace(/\.\d+Z$/, "Z"), channel: "console", lang: lang() };
  updates.add({ key: `${Date.now()}-${Math.random().toString(36).slice(2)}`, facility, body });
  $("status-form").reset();
  $("form-facility").value = facility;
  if (!navigator.onLine) {
    $("form-result").textContent = tf("h_waiting", { name: nameOf(facility) });
    $("form-result").className = "toast";
    logLine(tf("h_waiting", { name: nameOf(facility) }), "waiting");
    return;
  }
  await flush();
  if (updates.entries().some((x) => x.facility === facility)) {
    $("form-result").textContent = tf("h_waiting", { name: nameOf(facility) });
    logLine(tf("h_waiting", { name: nameOf(facility) }), "waiting");
  }
}

// -- the cards and the map ------------------------------------------------------------------------

function nameOf(id) {
  const f = state.facilities.find((x) => x.id === id);
  return f ? siteName(f) : id;
}

function ageText(seconds) {
  if (seconds == null) return t("h_never_updated");
  if (seconds < 3600) return tf("h_age_min", { n: Math.max(1, Math.round(seconds / 60)) });
  if (seconds < 2 * 86400) return tf("h_age_h", { n: Math.round(seconds / 3600) });
  return tf("h_age_d", { n: Math.round(seconds / 86400) });
}

function figures(s) {
  if (!s) return "";
  const parts = [];
  const staff = s.staff || {};
  const total = Object.values(staff).reduce((a, b) => a + b, 0);
  if (total) parts.push(tf("h_fig_staff", { n: total, list: joinList(Object.entries(staff).map(([c, n]) => `${t(`h_cadre_${c}`)} ${n}`)) }));
  if (s.incubators_working != null) parts.push(tf("h_fig_incubators", { w: s.incubators_working, n: s.incubators_total ?? "?", o: s.incubators_occupied ?? 0 }));
  if (s.beds_working != null) parts.push(tf("h_fig_beds", { w: s.beds_working, n: s.beds_total ?? "?" }));
  if (s.power) parts.push(t(`h_power_${s.power}`) + (s.fuel_days != null ? ` · ${tf("h_fig_fuel", { n: s.fuel_days })}` : ""));
  for (const what of ["water", "oxygen"]) if (s[what] && s[what] !== "sufficient") parts.push(`${t(`h_${what}`)}: ${t(`h_${what}_${s[what]}`)}`);
  return joinList(parts);
}

function card(f) {
  const div = document.createElement("article");
  div.className = "card";
  div.dataset.facility = f.id;
  const h = document.createElement("h3");
  const name = document.createElement("span");
  name.textContent = siteName(f);
  const func = f.functionality || "none";
  const badge = document.createElement("span");
  badge.className = `badge func-${func}`;
  badge.dataset.functionality = func;
  badge.textContent = f.status ? t(`h_functionality_${func}`) + (f.status.evacuated ? ` (${t("h_evacuated_true")})` : "") : t("h_no_status");
  h.append(name, badge);
  const age = document.createElement("div");
  age.className = `age${f.age_s != null && f.age_s > STALE_S ? " stale" : ""}`;
  age.textContent = ageText(f.age_s);
  const fig = document.createElement("p");
  fig.className = "figures";
  fig.textContent = figures(f.status);
  div.append(h, age, fig);
  if (f.not_available && f.not_available.length) {
    const missing = document.createElement("p");
    missing.className = "missing";
    missing.textContent = tf("h_not_available", { list: joinList(f.not_available.map((s) => t(`h_service_${s}`))) });
    div.append(missing);
  }
  const r = f.readiness;
  if (r && (!r.sirens || r.extra_lead_s > 0)) {
    const w = document.createElement("p");
    w.className = "warning";
    w.textContent = !r.sirens ? t("h_phones_only") : tf("h_earlier", { n: Math.round(r.extra_lead_s / 60) });
    div.append(w);
  }
  const attacks = state.attacks.get(f.id);
  if (!state.attacksMissing && attacks && attacks.length) {
    const box = document.createElement("div");
    box.className = "attacks";
    const title = document.createElement("b");
    title.textContent = tf("h_attacks", { n: attacks.length });
    const ul = document.createElement("ul");
    for (const a of attacks) {
      const li = document.createElement("li");
      li.textContent = `${a.date}: ${joinList(a.attack_types || [])} — ${a.certainty}; ${tf("h_casualties", { k: a.killed ?? 0, i: a.injured ?? 0 })}${a.review ? ` (${a.review})` : ""}`;
      ul.append(li);
    }
    box.append(title, ul);
    div.append(box);
  }
  return div;
}

function draw() {
  $("cards").replaceChildren(...state.facilities.map(card));
  if (state.map) renderFacilities(state.map, state.facilities, (f) => siteName(f));
}

// The attacks on each facility, from the register (another part of the health room). Its endpoint
// answering 404 means this service has no register: the section stays hidden.
async function loadAttacks() {
  for (const f of state.facilities) {
    if (state.attacksMissing || !navigator.onLine) return;
    try {
      const list = await api(`/api/v1/health/attacks?facility=${encodeURIComponent(f.id)}`);
      state.attacks.set(f.id, Array.isArray(list) ? list : []);
    } catch (err) {
      if (err.status === 404) state.attacksMissing = true;
      else if (!err.status) return;  // the connection dropped: the rest would fail too; next refresh
      else state.attacks.set(f.id, []);  // not allowed to see them (403): nothing shown
    }
  }
}

async function refresh() {
  if (!navigator.onLine) return;  // offline: the cards stay as they were, and nothing is tried
  try {
    state.facilities = await api("/api/v1/health/facilities");
  } catch (err) {
    if (err.status === 401) { setToken(null); showLogin(`${t("failed")}: ${err.message}`); }
    return;  // offline: the cards stay as they were
  }
  const known = state.facilities.find((f) => f.at && f.age_s != null);
  if (known) state.clockOffset = (Date.parse(known.at) / 1000 + known.age_s) - Date.now() / 1000;
  fillFacilitySelect();
  draw();
}

async function start() {
  applyLang();
  $("lang").addEventListener("click", () => {
    setLang(lang() === "ar" ? "en" : "ar");
    if (state.map) state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
    fillFacilitySelect(); draw(); showQueue();
  });
  $("logout").addEventListener("click", () => { setToken(null); location.reload(); });
  wireSignIn();
  buildForm();
  applyLang();
  showQueue();
  window.addEventListener("online", () => { showQueue(); flush(); });
  window.addEventListener("offline", showQueue);
  if (!token()) { showLogin(); return; }
  await refresh();
  if (!state.facilities.length && !navigator.onLine) return;
  try {
    const basemap = await api("/api/v1/basemap");
    state.map = new MapView($("map"), basemap, state.facilities.map((f) => [f.lon, f.lat]));
    state.map.relabel((p) => (lang() === "ar" && p.name_ar) || p.name);
    state.map.onZoom.push(() => renderFacilities(state.map, state.facilities, (f) => siteName(f)));
  } catch (_) { /* no map offline: the cards still show */ }
  draw();
  await loadAttacks();
  draw();
  flush();
  document.body.dataset.loaded = "true";  // the first load is over (the browser tests wait for it)
  setInterval(refresh, REFRESH_MS);
  setInterval(() => { if (updates.entries().length) flush(); }, RETRY_MS);
}

start();
