// Hospital kiosk: one site's warning, countdown, what to do, and the alarm sound.
const site = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const $ = (id) => document.getElementById(id);

const AIRCRAFT = { jet: ["طيران حربي", "Jet"], helicopter: ["طائرة مروحية", "Helicopter"], drone: ["طائرة مسيّرة", "Drone"],
  unknown: ["طائرة", "Aircraft"] };
const FROM = { N: ["الشمال", "north"], NE: ["الشمال الشرقي", "north-east"], E: ["الشرق", "east"], SE: ["الجنوب الشرقي", "south-east"],
  S: ["الجنوب", "south"], SW: ["الجنوب الغربي", "south-west"], W: ["الغرب", "west"], NW: ["الشمال الغربي", "north-west"] };
const HEADLINES = {
  clear: ["لا يوجد إنذار", "No warning"],
  early: ["تحذير: طيران قد يقترب — استعدوا", "Warning: aircraft may be coming — get ready"],
  imminent: ["إلى الملاجئ الآن", "TAKE SHELTER NOW"],
  all_clear: ["زال الخطر", "ALL CLEAR"],
  test: ["إنذار تجريبي — لا خطر", "TEST ALARM — no danger"],
};
const UNKNOWN = { aircraft: ["نوع الطائرة غير معروف", "Aircraft type not known"], from: ["الاتجاه غير معروف", "direction not known"],
  both: ["نوع الطائرة واتجاهها غير معروفين", "Aircraft type and direction not known"] };
const CONNECTION = { connecting: ["جارٍ الاتصال…", "connecting…"], on: ["متصل", "connected"], lost: ["انقطع الاتصال", "connection lost"] };
const ALL_CLEAR_SHOWN_MS = 60000;
const TEST_SHOWN_MS = 8000;
// The server sends a heartbeat every 2 s (api/feeds.py HEARTBEAT_S): three missed, and this screen says
// on all of it that warnings may not be reaching it, with a fault tone, until the feed is back.
const LOST_AFTER_MS = 6000;
const RECONNECT_MS = 3000;  // while lost, a fresh connection this often (the old one may be open but dead)
const DEFAULT_TZ = "Asia/Damascus";  // until the server says (the settings' alert_tz)

const state = { status: null, instructions: { en: [], ar: [] }, clock: null, speed: 1, receivedAt: performance.now(),
  allClearUntil: 0, testUntil: 0, shown: null, sounded: null, engine: "ok", tz: DEFAULT_TZ,
  heard: false, lastHeard: performance.now(), openedAt: 0, wasLost: false };

function serverNow() {
  if (state.clock == null) return null;
  return state.clock + (performance.now() - state.receivedAt) / 1000 * state.speed;
}

// -- sound (WebAudio: nothing to download) --------------------------------------------------------

let audio = null;
let playing = null;
function audioContext() {
  if (!audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    audio = new Ctx();
  }
  return audio;
}

function stopSound() {
  if (playing) { try { playing.stop(); } catch (_) { /* already stopped */ } playing = null; }
  document.body.dataset.sound = "none";
}

function play(kind) {
  const ctx = audioContext();
  stopSound();
  document.body.dataset.sound = kind;
  document.body.dataset.soundsPlayed = String(Number(document.body.dataset.soundsPlayed || 0) + 1);
  if (!ctx) return;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.connect(gain).connect(ctx.destination);
  const t0 = ctx.currentTime;
  let end = t0;
  if (kind === "fault") {
    // Connection lost: a low falling two-note chime every 3 s, unlike any warning, test or all-clear tone.
    osc.type = "triangle";
    gain.gain.setValueAtTime(0, t0);
    for (let k = 0; k < 20; k += 1) {
      const at = t0 + k * 3;
      osc.frequency.setValueAtTime(392, at);
      osc.frequency.setValueAtTime(262, at + 0.5);
      gain.gain.setValueAtTime(0.4, at);
      gain.gain.setValueAtTime(0, at + 1.2);
    }
    end = t0 + 60;
  } else if (kind === "siren" || kind === "test") {
    osc.type = "sawtooth";
    const seconds = kind === "test" ? 5 : 30;
    for (let k = 0; k < seconds / 1.5; k += 1) {
      osc.frequency.setValueAtTime(650, t0 + k * 1.5);
      osc.frequency.linearRampToValueAtTime(1250, t0 + k * 1.5 + 0.75);
      osc.frequency.linearRampToValueAtTime(650, t0 + k * 1.5 + 1.5);
    }
    gain.gain.setValueAtTime(0.35, t0);
    end = t0 + seconds;
  } else if (kind === "beeps") {
    osc.type = "square";
    osc.frequency.setValueAtTime(880, t0);
    gain.gain.setValueAtTime(0, t0);
    for (let k = 0; k < 3; k += 1) {
      gain.gain.setValueAtTime(0.25, t0 + k * 0.8);
      gain.gain.setValueAtTime(0, t0 + k * 0.8 + 0.4);
    }
    end = t0 + 2.4;
  } else {  // all clear: one long steady tone
    osc.type = "sine";
    osc.frequency.setValueAtTime(520, t0);
    gain.gain.setValueAtTime(0.3, t0);
    end = t0 + 4;
  }
  osc.start(t0);
  osc.stop(end);
  osc.onended = () => { if (playing === osc) { playing = null; document.body.dataset.sound = "none"; } };
  playing = osc;
}

function soundButton() {
  const ctx = audioContext();
  $("sound").hidden = !ctx || ctx.state === "running";
}

// -- what the screen shows ------------------------------------------------------------------------

function currentState() {
  const now = performance.now();
  // A real alert always wins: a test must never put "no danger" over a warning that is real.
  const level = state.status && state.status.level;
  if (level) return level;
  if (now < state.testUntil) return "test";
  if (now < state.allClearUntil) return "all_clear";
  return "clear";
}

function connectionLost() {
  return performance.now() - state.lastHeard > LOST_AFTER_MS;
}

// "Jet from the south-east", or plainly what is not known: the type and the direction are the
// server's (the site's status: the alert's aircraft, the approach of its track), never guessed here.
function threatText(status) {
  const aircraft = status.aircraft && status.aircraft !== "unknown" ? AIRCRAFT[status.aircraft] : null;
  const from = FROM[status.from];
  if (aircraft && from) return [`${aircraft[0]} من ${from[0]}`, `${aircraft[1]} from the ${from[1]}`];
  if (aircraft) return [`${aircraft[0]}، ${UNKNOWN.from[0]}`, `${aircraft[1]}, ${UNKNOWN.from[1]}`];
  if (from) return [`${UNKNOWN.aircraft[0]}، قادمة من ${from[0]}`, `${UNKNOWN.aircraft[1]}, coming from the ${from[1]}`];
  return UNKNOWN.both;
}

const clockFormats = {};
function clockFormat(tz) {
  if (!(tz in clockFormats)) {
    const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: tz };
    try {
      clockFormats[tz] = { time: new Intl.DateTimeFormat("en-GB", options),
        zone: new Intl.DateTimeFormat("en-GB", { timeZone: tz, timeZoneName: "shortOffset" }) };
    } catch (_) {
      clockFormats[tz] = null;  // a zone this browser does not know: the clock says UTC rather than lie
    }
  }
  return clockFormats[tz];
}

// The site's local time, with its zone named: "14:05:09 Asia/Damascus (GMT+3)".
function clockText(seconds) {
  const date = new Date(seconds * 1000);
  const fmt = clockFormat(state.tz);
  const speed = state.speed !== 1 ? ` ×${state.speed}` : "";
  if (!fmt) return [date.toISOString().slice(11, 19), `UTC${speed}`];
  const offset = fmt.zone.formatToParts(date).find((p) => p.type === "timeZoneName");
  return [fmt.time.format(date), `${state.tz}${offset ? ` (${offset.value})` : ""}${speed}`];
}

function render() {
  const lost = connectionLost();
  const conn = lost ? "lost" : state.heard ? "on" : "connecting";
  document.body.dataset.conn = conn;
  $("conn").className = `conn ${conn === "on" ? "on" : conn === "lost" ? "lost" : "off"}`;
  $("conn-ar").textContent = CONNECTION[conn][0];
  $("conn-en").textContent = CONNECTION[conn][1];
  $("conn-lost").hidden = !lost;
  // The engine stopped: nothing this screen shows can be trusted until it is back. Cover it all.
  // (With the connection lost, the engine's state is not known either: that notice covers this one.)
  $("engine-stopped").hidden = lost || state.engine !== "stopped";
  document.body.dataset.engine = state.engine;
  const shown = currentState();
  document.body.dataset.state = shown;
  const [ar, en] = HEADLINES[shown];
  // A warning in force when the engine stopped or the connection was lost stays in force: the notice repeats it.
  const last = shown === "early" || shown === "imminent" ? `${ar} — ${en}` : "";
  $("engine-last").textContent = last;
  $("conn-last-ar").textContent = last ? `آخر ما وصل: ${ar}` : "";
  $("conn-last-en").textContent = last ? `Last received: ${en}` : "";
  $("headline-ar").textContent = ar;
  $("headline-en").textContent = en;
  const status = state.status || {};
  const threatening = shown === "early" || shown === "imminent";
  $("countdown-box").hidden = !threatening;
  $("instructions").hidden = !(threatening || shown === "test");
  if (threatening) {
    const now = serverNow();
    const left = status.eta_s != null && now != null ? status.eta_s - now : null;
    $("countdown").textContent = left == null ? "—" : left <= 0 ? "الآن NOW"
      : `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(Math.floor(left % 60)).padStart(2, "0")}`;
    const [threatAr, threatEn] = threatText(status);
    $("threat-ar").textContent = threatAr;
    $("threat-en").textContent = threatEn;
  }
  const soundFor = lost ? "lost" : shown;
  if (soundFor !== state.sounded || (lost && !playing)) {
    // Sound on each change of state: siren for imminent, beeps for early, a steady tone for the all-clear,
    // the fault chime (again and again) while the connection is lost.
    const sound = { imminent: "siren", early: "beeps", all_clear: "allclear", test: "test", lost: "fault" }[soundFor];
    if (sound) play(sound); else stopSound();
    state.sounded = soundFor;
  }
  const now = serverNow();
  const [time, zone] = now == null ? ["", ""] : clockText(now);
  $("clock").textContent = time;
  $("zone").textContent = zone;
}

function fillInstructions() {
  for (const langKey of ["ar", "en"]) {
    $(`steps-${langKey}`).replaceChildren(...(state.instructions[langKey] || []).map((line) => {
      const li = document.createElement("li");
      li.textContent = line;
      return li;
    }));
  }
}

function setSite(info) {
  $("name-ar").textContent = info.name_ar || info.name;
  $("name-en").textContent = info.name;
  document.title = `${info.name} — Nadhir`;
}

function handle(type, data) {
  state.heard = true;
  state.lastHeard = performance.now();
  if (type === "snapshot") {
    if (state.wasLost) {
      // Back after a loss: the server's state is the truth; nothing shown from before the loss stays.
      state.wasLost = false;
      state.testUntil = 0;
      state.allClearUntil = 0;
    }
    if (data.tz) state.tz = data.tz;
    setSite(data.site);
    state.status = data.site.status;
    state.instructions = data.instructions;
    state.clock = data.clock; state.speed = data.speed; state.receivedAt = performance.now();
    if (data.engine) state.engine = data.engine.status;
    fillInstructions();
  } else if (type === "engine") {
    state.engine = data.status;
  } else if (type === "site") {
    state.status = data;
  } else if (type === "alert" && data.action === "all_clear") {
    state.allClearUntil = performance.now() + ALL_CLEAR_SHOWN_MS;
    if (state.status) state.status = Object.assign({}, state.status, { level: null });
  } else if (type === "test_alarm") {
    state.testUntil = performance.now() + TEST_SHOWN_MS;
  } else if (type === "clock") {
    state.clock = data.now; state.speed = data.speed; state.receivedAt = performance.now();
  } else if (type === "heartbeat" && data.clock != null) {
    state.clock = data.clock; state.speed = data.speed; state.receivedAt = performance.now();
  }
  render();
}

// A kiosk needs no token unless the service is set up so (public_kiosk = false): then open the page
// once as /kiosk/<site>#token=..., and the tablet keeps it.
function kioskToken() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem("nadhir.kiosk.token", decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);
  }
  return localStorage.getItem("nadhir.kiosk.token");
}

let source = null;
function connect() {
  if (source) source.close();
  const token = kioskToken();
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  source = new EventSource(`/api/v1/kiosk/${encodeURIComponent(site)}/sse${query}`);
  state.openedAt = performance.now();
  for (const type of ["snapshot", "site", "alert", "test_alarm", "clock", "operator", "engine", "heartbeat"]) {
    source.addEventListener(type, (e) => handle(type, JSON.parse(e.data)));
  }
  // EventSource retries by itself after an error, but not after an answer that is not a stream (a proxy's
  // 502), and never notices a connection that stays open and silent: the watchdog below covers both.
}

// Connection lost (no heartbeat for LOST_AFTER_MS) or given up by EventSource: open a fresh one every
// RECONNECT_MS until the feed is back; its snapshot then restores the real state.
function watchdog() {
  const lost = connectionLost();
  if (lost) state.wasLost = true;
  const stale = performance.now() - state.openedAt > RECONNECT_MS;
  if (stale && (lost || (source && source.readyState === EventSource.CLOSED))) connect();
}

// The facility's own status (a hospital's: functioning, staff, what is missing), from the health room;
// a site that is no health facility (404), or a service without it, shows nothing.
const FUNCTIONING = { fully: ["تعمل بالكامل", "fully functioning"], partially: ["تعمل جزئيًا", "partially functioning"],
  not: ["لا تعمل", "not functioning"] };
const FACILITY_MS = 60000;
async function facilityStatus() {
  const token = kioskToken();
  try {
    const response = await fetch(`/api/v1/health/facilities/${encodeURIComponent(site)}`,
      { headers: Object.assign({ Accept: "application/json" }, token ? { Authorization: `Bearer ${token}` } : {}) });
    if (!response.ok) { $("facility").hidden = true; return; }
    const f = await response.json();
    if (!f.status) { $("facility").hidden = true; return; }
    const func = FUNCTIONING[f.functionality] || ["؟", "?"];
    const hours = f.age_s == null ? null : Math.round(f.age_s / 3600);
    const ar = [`حالة المنشأة: ${func[0]}`], en = [`Facility: ${func[1]}`];
    if (f.status.evacuated) { ar.push("تم الإخلاء"); en.push("evacuated"); }
    if (f.readiness && !f.readiness.sirens) { ar.push("الإنذار بالهاتف فقط"); en.push("warned by phone only"); }
    else if (f.readiness && f.readiness.extra_lead_s > 0) { ar.push("إنذار مبكر أكثر"); en.push("warned earlier"); }
    if (f.not_available.length) { ar.push(`${f.not_available.length} خدمات غير متوفرة`); en.push(`${f.not_available.length} services not available`); }
    if (hours != null) { ar.push(`حُدّث قبل ${hours} ساعة`); en.push(`updated ${hours} h ago`); }
    $("facility-ar").textContent = ar.join(" · ");
    $("facility-en").textContent = en.join(" · ");
    $("facility").hidden = false;
  } catch (_) { /* offline: what was shown stays */ }
}

async function keepAwake() {
  try { if (navigator.wakeLock) await navigator.wakeLock.request("screen"); } catch (_) { /* not allowed: fine */ }
}

$("sound").addEventListener("click", async () => {
  const ctx = audioContext();
  if (ctx) await ctx.resume();
  soundButton();
  keepAwake();
  if (document.documentElement.requestFullscreen && !document.fullscreenElement) {
    document.documentElement.requestFullscreen().catch(() => {});
  }
});
document.body.dataset.sound = "none";
soundButton();
keepAwake();
connect();
facilityStatus();
setInterval(facilityStatus, FACILITY_MS);
setInterval(() => { watchdog(); render(); soundButton(); }, 250);
