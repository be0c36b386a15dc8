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
    N: "north", NE: "north-east", E: "east", SE: "south-east", S: "south", SW: "south-west", W: "west", NW: "north-west",
    // the map
    kmh: "km/h", km: "km", sep: ", ", speed_uncertain: "speed uncertain", speed_estimate: "Speed estimate",
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
    N: "الشمال", NE: "الشمال الشرقي", E: "الشرق", SE: "الجنوب الشرقي", S: "الجنوب", SW: "الجنوب الغربي", W: "الغرب", NW: "الشمال الغربي",
    // الخريطة
    kmh: "كم/س", km: "كم", sep: "، ", speed_uncertain: "السرعة غير مؤكدة", speed_estimate: "السرعة المقدّرة",
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

export function siteName(site) { return current === "ar" && site.name_ar ? site.name_ar : site.name; }

const clockFormat = {};
export function formatClock(seconds) {
  if (seconds == null) return "—";
  const key = current;
  clockFormat[key] ||= new Intl.DateTimeFormat(current === "ar" ? "ar-SY-u-nu-latn" : "en-GB",
    { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: "UTC" });
  return clockFormat[key].format(new Date(seconds * 1000)) + " UTC";
}

export function formatCountdown(seconds) {
  if (seconds == null || !isFinite(seconds)) return "—";
  if (seconds <= 0) return t("now");
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
