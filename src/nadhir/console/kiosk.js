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
const ALL_CLEAR_SHOWN_MS = 60000;
const TEST_SHOWN_MS = 8000;

const state = { status: null, instructions: { en: [], ar: [] }, clock: null, speed: 1, receivedAt: performance.now(),
  allClearUntil: 0, testUntil: 0, shown: null, sounded: null, engine: "ok" };

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
  if (kind === "siren" || kind === "test") {
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

function render() {
  // The engine stopped: nothing this screen shows can be trusted until it is back. Cover it all.
  $("engine-stopped").hidden = state.engine !== "stopped";
  document.body.dataset.engine = state.engine;
  const shown = currentState();
  document.body.dataset.state = shown;
  const [ar, en] = HEADLINES[shown];
  // A warning in force when the engine stopped stays in force: the notice repeats it.
  $("engine-last").textContent = shown === "early" || shown === "imminent" ? `${ar} — ${en}` : "";
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
    const [aircraftAr, aircraftEn] = AIRCRAFT[status.aircraft] || AIRCRAFT.unknown;
    const from = FROM[status.from];
    $("threat-ar").textContent = from ? `${aircraftAr} من ${from[0]}` : aircraftAr;
    $("threat-en").textContent = from ? `${aircraftEn} from the ${from[1]}` : aircraftEn;
  }
  if (shown !== state.sounded) {
    // Sound on each change of state: siren for imminent, beeps for early, a steady tone for the all-clear.
    const sound = { imminent: "siren", early: "beeps", all_clear: "allclear", test: "test" }[shown];
    if (sound) play(sound); else stopSound();
    state.sounded = shown;
  }
  const now = serverNow();
  $("clock").textContent = now == null ? "" : new Date(now * 1000).toISOString().slice(11, 19) + " UTC" + (state.speed !== 1 ? ` ×${state.speed}` : "");
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
  if (type === "snapshot") {
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

function connect() {
  const token = kioskToken();
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  const source = new EventSource(`/api/v1/kiosk/${encodeURIComponent(site)}/sse${query}`);
  for (const type of ["snapshot", "site", "alert", "test_alarm", "clock", "operator", "engine"]) {
    source.addEventListener(type, (e) => { $("conn").className = "conn on"; handle(type, JSON.parse(e.data)); });
  }
  source.addEventListener("error", () => { $("conn").className = "conn off"; });  // EventSource reconnects by itself
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
setInterval(() => { render(); soundButton(); }, 250);
