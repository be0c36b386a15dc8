// The register of attacks on health care, as a compact pane of the console.
// Any reader sees the public fields (date, admin area, types, casualties, certainty, review); the
// health role also gets the facility and its sources, and may confirm or reject a draft here.
// Text is always set with textContent: records carry what reporters wrote.
import { api } from "/static/auth.js";
import { lang } from "/static/i18n.js";

const WORDS = {
  en: {
    title: "Attacks on health care", none: "No attacks recorded.", killed: "killed", injured: "injured",
    confirm: "Confirm", reject: "Reject", sources: "sources", unknown: "?",
    rumour: "rumour", possible: "possible", probable: "probable", confirmed: "confirmed",
    draft: "draft", rejected: "rejected", failed: "Could not save the review: ",
  },
  ar: {
    title: "الهجمات على الرعاية الصحية", none: "لا هجمات مسجلة.", killed: "قتيل", injured: "جريح",
    confirm: "تأكيد", reject: "رفض", sources: "مصادر", unknown: "؟",
    rumour: "إشاعة", possible: "محتمل", probable: "مرجح", confirmed: "مؤكد",
    draft: "مسودة", rejected: "مرفوض", failed: "تعذر حفظ المراجعة: ",
  },
};
const REFRESH_MS = 60_000;

function w(key) { return (WORDS[lang()] || WORDS.en)[key] || WORDS.en[key] || key; }

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

function count(n) { return n === null || n === undefined ? w("unknown") : String(n); }

function item(attack, reload) {
  const li = node("li", `attack certainty-${attack.certainty} review-${attack.review}`);
  const head = node("div", "attack-head");
  const where = attack.facility ? attack.facility.name : [attack.facility_type, attack.admin_area].filter(Boolean).join(", ");
  head.append(node("b", "", attack.date), document.createTextNode(" "), node("span", "attack-where", where));
  li.append(head);
  const types = attack.attack_types.map((x) => x.replaceAll("_", " ")).join(", ");
  li.append(node("div", "attack-types", types));
  const line = `${count(attack.killed)} ${w("killed")} · ${count(attack.injured)} ${w("injured")} · `
    + `${w(attack.certainty)} · ${w(attack.review)}`
    + (attack.sources ? ` · ${attack.sources.length} ${w("sources")}` : "");
  li.append(node("div", "attack-figures", line));
  if (attack.facility && attack.review === "draft") {  // the health role's view: review here
    const buttons = node("div", "attack-review");
    for (const [decision, label] of [["confirmed", "confirm"], ["rejected", "reject"]]) {
      const b = node("button", decision === "rejected" ? "danger" : "", w(label));
      b.type = "button";
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          await api(`/api/v1/health/attacks/${attack.id}/review`, { method: "POST", body: { decision } });
          await reload();
        } catch (error) {
          b.disabled = false;
          li.append(node("p", "error", w("failed") + error.message));
        }
      });
      buttons.append(b);
    }
    li.append(buttons);
  }
  return li;
}

async function load() {
  const pane = document.getElementById("attacks-pane");
  const list = document.getElementById("attacks");
  if (!pane || !list) return;
  let attacks;
  try {
    attacks = await api("/api/v1/health/attacks");
  } catch (_) {
    pane.hidden = true;  // not signed in yet, or a role that may not read: no pane
    return;
  }
  if (pane.hidden && attacks.some((a) => a.facility)) pane.open = true;  // the health role's view: open at first
  pane.hidden = false;
  document.getElementById("attacks-title").textContent = w("title");
  document.getElementById("attacks-count").textContent = attacks.length ? `(${attacks.length})` : "";
  list.replaceChildren(...(attacks.length ? attacks.map((a) => item(a, load)) : [node("li", "attack-none", w("none"))]));
}

load();
setInterval(load, REFRESH_MS);
// The console's language button: say it again in the language chosen (after console.js has set it).
document.getElementById("lang")?.addEventListener("click", () => setTimeout(load, 0));
