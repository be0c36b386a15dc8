// The outcomes page: alarms to review, facilities' reporting and rates, a facility's series (SVG
// drawn by the service), and the weekly report form that works offline.
//
// Offline: a report sent while the browser is offline, or that the service cannot be reached for,
// is kept in localStorage ("nadhir.outcomes.queue") and sent again when the browser comes back
// online (and every 30 s while anything waits). A report the service refuses (422, 403) leaves
// the queue with the service's reason shown: sending it again would not change the answer. The
// rules are offline_queue.js's, shared with the health and shelters pages.
import { api, setToken, token } from "/static/auth.js";
import { OfflineQueue } from "/static/offline_queue.js";

const QUEUE_KEY = "nadhir.outcomes.queue";
const RETRY_MS = 30000;
const $ = (id) => document.getElementById(id);

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value === null || value === undefined ? "–" : String(value);
  if (cls) el.className = cls;
  return el;
}

function pct(v) { return v === null || v === undefined ? "–" : `${Math.round(v * 100)} %`; }
function num(v, d = 1) { return v === null || v === undefined ? "–" : v.toFixed(d); }

// ---- the queue of reports not yet sent ----------------------------------------------------------

function showQueue(items) {
  const list = $("queue");
  list.replaceChildren();
  if (!items.length) { list.append(text("li", "nothing waiting")); return; }
  for (const item of items) {
    list.append(text("li", `${item.report.facility_id} ${item.report.period_start}: queued ${item.queued}`));
  }
}

const reports = new OfflineQueue(QUEUE_KEY,
  (item) => api("/api/v1/outcomes/reports", { method: "POST", body: { reports: [item.report] } }),
  {
    changed: showQueue,
    sent: (item, answer) => {
      $("form-result").textContent = `Sent ${item.report.facility_id} ${item.report.period_start}: ${answer.confirmation}`;
    },
    refused: (item, err) => {
      $("form-result").textContent = `Refused ${item.report.facility_id} ${item.report.period_start}: ${err.message}`;
    },
    signIn: (err) => { signOut(); $("login-error").textContent = err.message; },
  });

/** Sends the reports that wait; the tables are read again when any was answered. */
export async function sendQueued() {
  if (await reports.flush()) refresh();
}

// The form's week (2026-W14) is the period; the API reads ISO weeks as well as Mondays.
function reportFromForm(form) {
  const data = new FormData(form);
  const report = { period: "week" };
  for (const [name, value] of data.entries()) {
    if (value === "") continue;
    report[name] = name === "facility_id" || name === "period_start" ? value : Number(value);
  }
  return report;
}

async function submitReport(event) {
  event.preventDefault();
  const form = event.target;
  const report = reportFromForm(form);
  reports.add({ report, queued: new Date().toISOString().slice(0, 16).replace("T", " ") });
  $("form-result").textContent = navigator.onLine ? "Sending…" : "Offline: kept here, sent when the connection returns.";
  await sendQueued();
}

// ---- what the service knows ---------------------------------------------------------------------

function nearbyCell(nearby) {
  if (!nearby.length) return text("td", "none");
  const td = document.createElement("td");
  td.textContent = `${nearby.length}: ` + nearby.slice(0, 3).map(
    (e) => `${e.description} (${e.distance_km} km, ${new Date(e.t * 1000).toISOString().slice(0, 10)})`).join("; ");
  return td;
}

function reviewCell(alarm) {
  const td = document.createElement("td");
  const select = document.createElement("select");
  select.setAttribute("aria-label", `Review of alarm ${alarm.id}`);
  for (const s of ["", "investigated", "explained", "dismissed"]) {
    const o = text("option", s || "mark as…");
    o.value = s;
    select.append(o);
  }
  const note = document.createElement("input");
  note.placeholder = "why (needed to explain or dismiss)";
  note.setAttribute("aria-label", `Note on alarm ${alarm.id}`);
  const go = text("button", "Save");
  go.type = "button";
  go.addEventListener("click", async () => {
    if (!select.value) return;
    try {
      await api(`/api/v1/outcomes/alarms/${alarm.id}/review`, { method: "POST", body: { status: select.value, note: note.value || null } });
      refresh();
    } catch (err) { go.textContent = err.message; }
  });
  td.append(select, note, go);
  return td;
}

async function loadAlarms() {
  const alarms = await api("/api/v1/outcomes/alarms");
  const body = $("alarms").querySelector("tbody");
  body.replaceChildren();
  for (const a of alarms) {
    const tr = document.createElement("tr");
    const share = text("td", pct(a.completeness) + (a.flagged ? " — incomplete" : ""), a.flagged ? "flag" : "n");
    tr.append(text("td", a.facility_name), text("td", a.indicator), text("td", a.period_start),
      text("td", a.observed, "n alarm"), text("td", num(a.expected), "n"), text("td", num(a.threshold), "n"),
      text("td", a.method), share, nearbyCell(a.nearby),
      text("td", a.status + (a.status_by ? ` (${a.status_by})` : "")), reviewCell(a));
    body.append(tr);
  }
  if (!alarms.length) { const tr = document.createElement("tr"); tr.append(text("td", "No alarms.")); body.append(tr); }
}

async function loadFacilities() {
  const facilities = await api("/api/v1/outcomes/facilities");
  const body = $("facilities").querySelector("tbody");
  body.replaceChildren();
  const choices = [$("series-facility"), document.querySelector("#report select[name=facility_id]")];
  for (const select of choices) select.replaceChildren();
  for (const f of facilities) {
    const [sb, pt] = [f.rates.find((r) => r.indicator === "stillbirths"), f.rates.find((r) => r.indicator === "preterm_births")];
    const tr = document.createElement("tr");
    const show = text("button", "show");
    show.type = "button";
    show.addEventListener("click", () => { $("series-facility").value = f.facility_id; loadSeries(); });
    const td = document.createElement("td");
    td.append(show);
    tr.append(text("td", f.name), text("td", `${f.reported} of ${f.expected}`, "n"),
      text("td", pct(f.completeness) + (f.complete_enough || f.expected === 0 ? "" : " — under 80 %"), f.complete_enough ? "n" : "n flag"),
      text("td", pct(f.timeliness), "n"),
      text("td", sb && sb.value !== null ? `${num(sb.value)} (${num(sb.low)}–${num(sb.high)})` : "–", "n"),
      text("td", pt && pt.value !== null ? `${num(pt.value)} (${num(pt.low)}–${num(pt.high)})` : "–", "n"),
      text("td", f.open_alarms, f.open_alarms ? "n alarm" : "n"), td);
    body.append(tr);
    for (const select of choices) { const o = text("option", f.name); o.value = f.facility_id; select.append(o); }
  }
}

async function loadSeries() {
  const facility = $("series-facility").value;
  const indicator = $("series-indicator").value;
  const plot = $("plot");
  if (!facility) return;
  try {
    const series = await api(`/api/v1/outcomes/series/${encodeURIComponent(facility)}?indicator=${indicator}`);
    const doc = new DOMParser().parseFromString(series.svg, "image/svg+xml");
    plot.replaceChildren(document.importNode(doc.documentElement, true));
  } catch (err) {
    plot.replaceChildren(text("p", err.status === 404 ? "No reports from this facility yet." : err.message));
  }
}

async function scan() {
  $("scan-result").textContent = "…";
  try {
    const r = await api("/api/v1/outcomes/scan", { method: "POST", body: {} });
    $("scan-result").textContent = `${r.found} alarm(s) in the last weeks, ${r.new.length} new, ${r.deliveries} message(s) to coordinators`;
    refresh();
  } catch (err) { $("scan-result").textContent = err.message; }
}

async function refresh() {
  try {
    await Promise.all([loadAlarms(), loadFacilities()]);
    await loadSeries();
  } catch (err) {
    if (err.status === 401 || err.status === 403) { signOut(); $("login-error").textContent = err.message; }
  }
}

function online() {
  const el = $("online");
  el.textContent = navigator.onLine ? "online" : "offline: reports wait in this browser";
  el.className = navigator.onLine ? "conn on" : "conn off";
  if (navigator.onLine) sendQueued();
}

function signOut() { setToken(null); $("main").hidden = true; $("login").hidden = false; }

function start() {
  $("main").hidden = false;
  $("login").hidden = true;
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (e) => { e.preventDefault(); setToken($("token").value); start(); });
  $("logout").addEventListener("click", signOut);
  $("report").addEventListener("submit", submitReport);
  $("scan").addEventListener("click", scan);
  $("series-facility").addEventListener("change", loadSeries);
  $("series-indicator").addEventListener("change", loadSeries);
  window.addEventListener("online", online);
  window.addEventListener("offline", online);
  setInterval(sendQueued, RETRY_MS);
  online();
  showQueue(reports.entries());
  if (token()) start(); else signOut();
});
