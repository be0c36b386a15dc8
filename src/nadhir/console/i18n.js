// Interface strings in English and Arabic, and the page direction that goes with each.
export const STRINGS = {
  en: {
    title: "Nadhir — operator console", connected: "live", disconnected: "reconnecting…",
    clock: "Clock", speed: "speed", tracks: "Tracks", sites: "Sites", alerts: "Alert log",
    threatened: "Sites under threat", none: "None", sources: "Sensors and observers",
    confirm: "Confirm", cancel: "Cancel (all-clear)", manual: "Manual alert", test: "Test alarm",
    send: "Send", site: "Site", level: "Level", aircraft: "Aircraft", early: "early", imminent: "imminent",
    jet: "jet", helicopter: "helicopter", drone: "drone", unknown: "unknown",
    alert: "alert", update: "update", all_clear: "all clear", from: "from", eta: "arrival",
    token: "API token", login: "Sign in", logout: "Sign out", signed_out: "Enter an operator or viewer token.",
    confirmed: "confirmed", manual_flag: "manual", ok: "ok", silent: "silent", never: "never heard",
    unconfirmed: "unconfirmed",
    observers: "observers", sensors: "sensors", done: "Done", failed: "Failed", all_sites: "All sites",
    replay: "Replay", console: "Console", run: "Run", play: "Play", pause: "Pause", loading: "Loading…",
    no_runs: "No stored runs.", now: "now", lang: "عربي", operator_log: "Operator actions",
    engine_stopped: "Warning: engine stopped",
    engine_stopped_detail: "reports are not being processed and no alert goes out until it restarts (the service is restarting it).",
    // console: confirmations, threats, log, inputs
    inputs: "Live inputs", choose_level: "choose a level…", early_phones: "early — phones only",
    imminent_sirens: "imminent — sirens and phones", go_back: "Go back", kmh: "km/h", km: "km",
    arrives_in: "arrives in", overhead_since: "overhead since", strike_since: "strike reported at",
    arrival_unknown: "arrival time not known", track: "track", direction_unknown: "direction not known",
    type_unknown: "type not known", cancel_everywhere: "Cancel {track} everywhere",
    sirens_phones: "sirens and phones", phones_only: "phones only (no sirens)", no_sirens_here: "this site has no sirens",
    ask_alert_title: "Raise an imminent alert?", ask_alert_early_title: "Send an early warning?",
    ask_alert_body: "Alert level {level} at {sites}: {how}.", ask_yes_alert: "Sound it",
    ask_cancel_title: "Send the all-clear?",
    ask_cancel_body: "All-clear at {sites}: {how} will tell people the danger is over and they may leave shelter.",
    ask_yes_cancel: "Send the all-clear",
    ask_cancel_track_title: "Cancel {track} everywhere?",
    ask_cancel_track_body: "All-clear at {n} sites: {sites}. The alerts stand for {window} s so that you can undo; then {how} tell people they may leave shelter. {track} is then ignored for 20 minutes.",
    ask_yes_cancel_track: "Cancel everywhere",
    ask_confirm_title: "Confirm the alert?",
    ask_confirm_body: "The threat to {sites} is taken as certain: {how} when the arrival is close.",
    ask_yes_confirm: "Confirm",
    ask_test_title: "Test alarm at every site?",
    ask_test_body: "A test tone and a “TEST — no danger” screen at the kiosks of all {n} sites. Refused if any site is under alert.",
    ask_yes_test: "Sound the test",
    manual_all: "A manual alert goes to one site at a time: choose the site.",
    pick_level: "Choose a level first: early (phones) or imminent (sirens and phones).",
    held_line: "Cancelling {track} at {sites} in {s} s", undo: "Undo", undone: "Undone: nothing was sent",
    applied: "All-clears sent", lapsed: "Nothing to cancel any more",
    low_group: "{n} sites on phones only at low probability ({lo}–{hi})",
    low_explain: "Phones only, no sirens: an aircraft within range of these sites is not heading for them, and the chance it reaches them is low.",
    updates: "updates", cleared: "cleared", open_now: "open", episode: "episode",
    sound: "sound", bearing: "bearing", confidence: "confidence", trust: "trust", read_as: "read as",
    rejected_input: "not used", at: "at", heading: "heading", place: "place", observer: "observer", sensor: "sensor",
    first_report: "first report", on_map: "on the map", later: "later", first_word: "first word of {track}",
    comma: ", ", sep: " · ", count_of: "{n} aircraft", impact: "strike", acoustic: "detection", report: "report",
    none_heard: "Nothing heard yet.", explosion: "explosion", propeller: "propeller aircraft",
    N: "north", NE: "north-east", E: "east", SE: "south-east", S: "south", SW: "south-west", W: "west", NW: "north-west",
    // the map
    speed_uncertain: "speed uncertain", speed_estimate: "Speed estimate",
    north: "North", north_abbr: "N", scale: "Scale", map_zoom: "Map zoom", zoom_in: "Zoom in", zoom_out: "Zoom out",
    zoom_home: "Show the whole area", legend: "Map legend",
    lg_imminent: "Site: imminent alert", lg_early: "Site: early warning", lg_clear: "Site: no alert",
    lg_hospital: "Hospital", lg_site: "Town or site", lg_threat_line: "Selected threat: aircraft to site",
    lg_jet: "Jet", lg_helicopter: "Helicopter", lg_drone: "Drone", lg_unknown: "Aircraft, type unknown",
    lg_tentative: "Unconfirmed track (faint)", lg_speed_uncertain: "Speed uncertain (dashed outline)",
    lg_trail: "Track so far", lg_prediction: "Predicted path", lg_cone: "Prediction cone (where it may be)",
    lg_sigma: "Position uncertainty", lg_sensor: "Sensor (microphone)", lg_observer: "Observer",
    lg_health_ok: "Source heard lately", lg_health_silent: "Source silent", lg_health_never: "Source never heard",
    lg_highway: "Highway", lg_road: "Road", lg_border: "Border", lg_boundary: "Area watched",
    lg_place: "Town or village", lg_airbase: "Air base",
  },
  ar: {
    title: "نذير — لوحة المشغّل", connected: "مباشر", disconnected: "جارٍ إعادة الاتصال…",
    clock: "الساعة", speed: "السرعة", tracks: "المسارات", sites: "المواقع", alerts: "سجل الإنذارات",
    threatened: "مواقع مهددة", none: "لا يوجد", sources: "الحساسات والمراصد",
    confirm: "تأكيد", cancel: "إلغاء (زوال الخطر)", manual: "إنذار يدوي", test: "إنذار تجريبي",
    send: "إرسال", site: "الموقع", level: "المستوى", aircraft: "الطائرة", early: "مبكر", imminent: "وشيك",
    jet: "طيران حربي", helicopter: "مروحي", drone: "مسيّرة", unknown: "غير معروف",
    alert: "إنذار", update: "تحديث", all_clear: "زوال الخطر", from: "من", eta: "الوصول",
    token: "رمز الدخول", login: "دخول", logout: "خروج", signed_out: "أدخل رمز مشغّل أو مراقب.",
    confirmed: "مؤكد", manual_flag: "يدوي", ok: "يعمل", silent: "صامت", never: "لم يُسمع",
    unconfirmed: "غير مؤكد",
    observers: "المراصد", sensors: "الحساسات", done: "تم", failed: "فشل", all_sites: "كل المواقع",
    replay: "إعادة العرض", console: "اللوحة", run: "التشغيل", play: "تشغيل", pause: "إيقاف", loading: "جارٍ التحميل…",
    no_runs: "لا توجد تشغيلات محفوظة.", now: "الآن", lang: "English", operator_log: "إجراءات المشغّلين",
    engine_stopped: "تحذير: المحرك متوقف",
    engine_stopped_detail: "لا تُعالج البلاغات ولا تصدر إنذارات حتى يعود للعمل (تجري إعادة تشغيله).",
    inputs: "المدخلات المباشرة", choose_level: "اختر المستوى…", early_phones: "مبكر — الهواتف فقط",
    imminent_sirens: "وشيك — صفارات الإنذار والهواتف", go_back: "رجوع", kmh: "كم/س", km: "كم",
    arrives_in: "يصل خلال", overhead_since: "فوق الموقع منذ", strike_since: "أُبلغ عن ضربة الساعة",
    arrival_unknown: "وقت الوصول غير معروف", track: "المسار", direction_unknown: "الاتجاه غير معروف",
    type_unknown: "النوع غير معروف", cancel_everywhere: "إلغاء {track} في كل المواقع",
    sirens_phones: "صفارات الإنذار والهواتف", phones_only: "الهواتف فقط (دون صفارات)", no_sirens_here: "لا صفارات في هذا الموقع",
    ask_alert_title: "إطلاق إنذار وشيك؟", ask_alert_early_title: "إرسال إنذار مبكر؟",
    ask_alert_body: "مستوى الإنذار {level} في {sites}: {how}.", ask_yes_alert: "أطلِق الإنذار",
    ask_cancel_title: "إرسال زوال الخطر؟",
    ask_cancel_body: "زوال الخطر في {sites}: ستُبلغ {how} الناس بأن الخطر زال وبأن لهم مغادرة الملاجئ.",
    ask_yes_cancel: "أرسل زوال الخطر",
    ask_cancel_track_title: "إلغاء {track} في كل المواقع؟",
    ask_cancel_track_body: "زوال الخطر في {n} مواقع: {sites}. تبقى الإنذارات {window} ثانية لتتمكن من التراجع؛ ثم تُبلغ {how} الناس بأن لهم مغادرة الملاجئ. يُتجاهل {track} بعدها عشرين دقيقة.",
    ask_yes_cancel_track: "ألغِ في كل المواقع",
    ask_confirm_title: "تأكيد الإنذار؟",
    ask_confirm_body: "يُعدّ التهديد على {sites} مؤكدًا: {how} عند اقتراب الوصول.",
    ask_yes_confirm: "أكِّد",
    ask_test_title: "إنذار تجريبي في كل المواقع؟",
    ask_test_body: "نغمة تجريبية وشاشة «تجربة — لا خطر» على شاشات المواقع الـ{n} كلها. يُرفض إن كان أي موقع تحت الإنذار.",
    ask_yes_test: "أطلِق التجربة",
    manual_all: "يُرسل الإنذار اليدوي إلى موقع واحد في كل مرة: اختر الموقع.",
    pick_level: "اختر المستوى أولًا: مبكر (الهواتف) أو وشيك (صفارات الإنذار والهواتف).",
    held_line: "إلغاء {track} في {sites} خلال {s} ثانية", undo: "تراجع", undone: "تم التراجع: لم يُرسل شيء",
    applied: "أُرسل زوال الخطر", lapsed: "لم يبقَ ما يُلغى",
    low_group: "{n} مواقع على الهواتف فقط باحتمال منخفض ({lo}–{hi})",
    low_explain: "الهواتف فقط دون صفارات: طائرة في مدى هذه المواقع لا تتجه نحوها، واحتمال وصولها إليها منخفض.",
    updates: "تحديثات", cleared: "زال الخطر", open_now: "مفتوح", episode: "حالة",
    sound: "الصوت", bearing: "الاتجاه", confidence: "الثقة", trust: "الموثوقية", read_as: "قُرئ على أنه",
    rejected_input: "لم يُستخدم", at: "عند", heading: "متجه", place: "المكان", observer: "راصد", sensor: "حساس",
    first_report: "أول بلاغ", on_map: "على الخريطة", later: "بعد", first_word: "أول خبر عن {track}",
    comma: "، ", sep: " · ", count_of: "{n} طائرات", impact: "ضربة", acoustic: "رصد صوتي", report: "بلاغ",
    none_heard: "لم يُسمع شيء بعد.", explosion: "انفجار", propeller: "طائرة مروحية الدفع",
    N: "الشمال", NE: "الشمال الشرقي", E: "الشرق", SE: "الجنوب الشرقي", S: "الجنوب", SW: "الجنوب الغربي", W: "الغرب", NW: "الشمال الغربي",
    // الخريطة
    speed_uncertain: "السرعة غير مؤكدة", speed_estimate: "السرعة المقدّرة",
    north: "الشمال", north_abbr: "ش", scale: "مقياس الرسم", map_zoom: "تكبير الخريطة", zoom_in: "تكبير", zoom_out: "تصغير",
    zoom_home: "عرض المنطقة كاملة", legend: "دليل الخريطة",
    lg_imminent: "موقع: إنذار وشيك", lg_early: "موقع: إنذار مبكر", lg_clear: "موقع: لا إنذار",
    lg_hospital: "مشفى", lg_site: "بلدة أو موقع", lg_threat_line: "التهديد المحدد: من الطائرة إلى الموقع",
    lg_jet: "طيران حربي", lg_helicopter: "مروحي", lg_drone: "مسيّرة", lg_unknown: "طائرة، نوعها غير معروف",
    lg_tentative: "مسار غير مؤكد (باهت)", lg_speed_uncertain: "سرعة غير مؤكدة (إطار متقطع)",
    lg_trail: "المسار حتى الآن", lg_prediction: "المسار المتوقع", lg_cone: "مخروط التوقع (حيث قد تكون)",
    lg_sigma: "هامش خطأ الموقع", lg_sensor: "حساس (ميكروفون)", lg_observer: "مرصد",
    lg_health_ok: "مصدر سُمع مؤخرًا", lg_health_silent: "مصدر صامت", lg_health_never: "مصدر لم يُسمع قط",
    lg_highway: "طريق سريع", lg_road: "طريق", lg_border: "حدود دولية", lg_boundary: "المنطقة المراقبة",
    lg_place: "بلدة أو قرية", lg_airbase: "قاعدة جوية",
  },
};

let current = localStorage.getItem("nadhir.lang") === "ar" ? "ar" : "en";

export function lang() { return current; }

export function t(key) { return (STRINGS[current] && STRINGS[current][key]) || STRINGS.en[key] || key; }

export function setLang(value) {
  current = value === "ar" ? "ar" : "en";
  localStorage.setItem("nadhir.lang", current);
  applyLang();
}

// Sets lang and dir on the page and fills every element that names a string with data-i18n.
export function applyLang() {
  document.documentElement.lang = current;
  document.documentElement.dir = current === "ar" ? "rtl" : "ltr";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

// A string with {name} placeholders filled in.
export function tf(key, values) {
  return t(key).replace(/\{(\w+)\}/g, (m, k) => (values[k] != null ? String(values[k]) : m));
}

// A list joined with the language's comma ("، " in Arabic).
export function joinList(items) { return items.join(t("comma")); }

export function siteName(site) { return current === "ar" && site.name_ar ? site.name_ar : site.name; }

const clockFormat = {};
export function formatClock(seconds) {
  if (seconds == null) return "—";
  const key = current;
  clockFormat[key] ||= new Intl.DateTimeFormat(current === "ar" ? "ar-SY-u-nu-latn" : "en-GB",
    { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: "UTC" });
  return clockFormat[key].format(new Date(seconds * 1000)) + " UTC";
}

const shortFormat = {};
// Hours and minutes, UTC, for "overhead since 02:10".
export function formatShortClock(seconds) {
  if (seconds == null) return "—";
  shortFormat[current] ||= new Intl.DateTimeFormat(current === "ar" ? "ar-SY-u-nu-latn" : "en-GB",
    { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });
  return shortFormat[current].format(new Date(seconds * 1000));
}

// A duration as m:ss (h:mm:ss past an hour), never "now": for "arrives in 3:20" and "+7:03".
export function formatDuration(seconds) {
  if (seconds == null || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export function formatCountdown(seconds) {
  if (seconds == null || !isFinite(seconds)) return "—";
  if (seconds <= 0) return t("now");
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
