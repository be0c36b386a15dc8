"""How people write: compass words, aircraft phrases with Arabic agreement, place-name variants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nadhir_lab.simulator.world import _chance, _pick, _Spot

COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


DIR_EN: dict[str, tuple[str, ...]] = {
    "N": ("north", "N", "northwards"),
    "NE": ("north-east", "northeast", "NE"),
    "E": ("east", "E", "eastwards"),
    "SE": ("south-east", "southeast", "SE"),
    "S": ("south", "S", "southwards"),
    "SW": ("south-west", "southwest", "SW"),
    "W": ("west", "W", "westwards"),
    "NW": ("north-west", "northwest", "NW"),
}


REL_EN: dict[str, tuple[str, ...]] = {
    "N": ("north",),
    "NE": ("north-east", "northeast"),
    "E": ("east",),
    "SE": ("south-east", "southeast"),
    "S": ("south",),
    "SW": ("south-west", "southwest"),
    "W": ("west",),
    "NW": ("north-west", "northwest"),
}


DIR_AR: dict[str, tuple[str, ...]] = {
    "N": ("الشمال",),
    "NE": ("الشمال الشرقي",),
    "E": ("الشرق",),
    "SE": ("الجنوب الشرقي",),
    "S": ("الجنوب",),
    "SW": ("الجنوب الغربي",),
    "W": ("الغرب",),
    "NW": ("الشمال الغربي",),
}


ADVERB_AR: dict[str, str] = {"N": "شمالاً", "E": "شرقاً", "S": "جنوباً", "W": "غرباً"}


REL_AR: dict[str, tuple[str, ...]] = {
    "N": ("شمال", "شمالي"),
    "NE": ("شمال شرق", "شمال شرقي"),
    "E": ("شرق", "شرقي"),
    "SE": ("جنوب شرق", "جنوب شرقي"),
    "S": ("جنوب", "جنوبي"),
    "SW": ("جنوب غرب", "جنوب غربي"),
    "W": ("غرب", "غربي"),
    "NW": ("شمال غرب", "شمال غربي"),
}


# Aircraft phrases by type and count (1, 2 = dual, 3 = three or more). An Arabic entry is
# "nominative|genitive|form": form m (masculine), f (feminine, or a non-human plural), d (dual).
TYPE_AR: dict[str, dict[int, tuple[str, ...]]] = {
    "jet": {
        1: ("طيران حربي||m", "طائرة حربية||f", "الطيران الحربي||m", "مقاتلة حربية||f", "حربي||m"),
        2: ("طائرتان حربيتان|طائرتين حربيتين|d", "حربيتان|حربيتين|d", "سرب من طائرتين حربيتين||m"),
        3: ("ثلاث طائرات حربية||f", "3 طائرات حربية||f", "سرب طيران حربي||m"),
    },
    "helicopter": {
        1: ("طيران مروحي||m", "طائرة مروحية||f", "مروحية||f", "الطيران المروحي||m", "حوامة||f"),
        2: ("مروحيتان|مروحيتين|d", "طائرتان مروحيتان|طائرتين مروحيتين|d"),
        3: ("ثلاث مروحيات||f", "3 مروحيات||f"),
    },
    "drone": {
        1: ("طائرة مسيرة||f", "مسيرة||f", "طائرة بدون طيار||f", "درون||m"),
        2: ("مسيرتان|مسيرتين|d", "طائرتان مسيرتان|طائرتين مسيرتين|d"),
        3: ("ثلاث مسيرات||f", "3 طائرات مسيرة||f"),
    },
    "recon": {
        1: ("طائرة استطلاع||f", "طيران استطلاع||m", "مسيرة استطلاع||f"),
        2: ("طائرتا استطلاع|طائرتي استطلاع|d",),
        3: ("عدة طائرات استطلاع||f",),
    },
    "unknown": {1: ("طيران||m", "طائرة||f"), 2: ("طائرتان|طائرتين|d",), 3: ("عدة طائرات||f", "3 طائرات||f")},
}


# Verbs and adjectives that agree with the aircraft phrase: masculine, feminine, dual.
AGREE_AR: dict[str, tuple[str, str, str]] = {
    "fly": ("يحلق", "تحلق", "تحلقان"),
    "hover": ("يحوم", "تحوم", "تحومان"),
    "circle": ("يدور", "تدور", "تدوران"),
    "watch": ("يرصد", "ترصد", "ترصدان"),
    "strike": ("يستهدف", "تستهدف", "تستهدفان"),
    "bomb": ("يقصف", "تقصف", "تقصفان"),
    "raid": ("ينفذ", "تنفذ", "تنفذان"),
    "drop": ("يلقي", "تلقي", "تلقيان"),
    "leave": ("يغادر", "تغادر", "تغادران"),
    "took_off": ("أقلع", "أقلعت", "أقلعتا"),
    "head": ("يتجه", "تتجه", "تتجهان"),
    "headed": ("متجه", "متجهة", "متجهتان"),
    "its": ("وجهته", "وجهتها", "وجهتهما"),
}


TYPE_EN: dict[str, dict[int, tuple[str, ...]]] = {
    "jet": {
        1: ("jet", "warplane", "fighter jet", "fast jet", "combat aircraft"),
        2: ("two jets", "2 jets", "pair of warplanes", "2x fighter jets"),
        3: ("three jets", "3 warplanes", "flight of 3 jets"),
    },
    "helicopter": {
        1: ("helicopter", "helo", "chopper", "gunship"),
        2: ("two helicopters", "2 helos", "pair of choppers"),
        3: ("three helicopters", "3 helos"),
    },
    "drone": {
        1: ("drone", "UAV", "armed drone"),
        2: ("two drones", "2 UAVs"),
        3: ("three drones", "several drones"),
    },
    "recon": {
        1: ("recon drone", "surveillance drone", "spy drone"),
        2: ("two recon drones",),
        3: ("several recon drones",),
    },
    "unknown": {1: ("aircraft", "plane"), 2: ("two aircraft", "2 planes"), 3: ("several aircraft",)},
}


# {T} the aircraft (subject), {G} the aircraft after a noun or preposition, {V...} an agreeing
# verb or adjective (see AGREE_AR), {P} a place, {R} a place relation ("east of X"), {B} a base.
TEMPLATES_AR: dict[str, tuple[str, ...]] = {
    "over": (
        "{T} فوق {P}",
        "{T} في أجواء {P}",
        "{T} في اجواء {P}",
        "تحليق {G} في سماء {P}",
        "رصد {G} فوق {P}",
        "{T} {Vfly} فوق {P}",
        "{T} بسماء {P}",
    ),
    "over_rel": ("{T} {R}", "رصد {G} {R}", "تحليق {G} {R}", "{T} {Vfly} {R}"),
    "circling": (
        "{T} {Vhover} فوق {P}",
        "{T} {Vhover} في سماء {P}",
        "تحويم {G} فوق {P}",
        "{T} {Vcircle} في أجواء {P}",
        "{T} {Vwatch} أجواء {P}",
    ),
    "circling_rel": ("{T} {Vhover} {R}", "تحويم {G} {R}"),
    "striking": (
        "{T} {Vstrike} {P}",
        "غارة من {G} على {P}",
        "{T} {Vbomb} {P}",
        "قصف من {G} على {P}",
        "{T} {Vraid} غارة على أطراف {P}",
        "{T} {Vstrike} محيط {P}",
        "غارة جوية على {P}",
    ),
    "striking_helicopter": ("{T} {Vdrop} براميل متفجرة على {P}", "براميل من {G} على {P}"),
    "takeoff": ("إقلاع {G} من {B}", "{T} {Vtook_off} من {B}", "اقلاع {G} من {B}", "خروج {G} من {B}"),
    "transit": ("{T} في الأجواء", "{T} بالأجواء", "رصد {G}"),
    "leaving": ("{T} {Vleave} أجواء {P}", "انسحاب {G} من أجواء {P}"),
}


TEMPLATES_EN: dict[str, tuple[str, ...]] = {
    "over": (
        "{T} over {P}",
        "{T} spotted over {P}",
        "{T} above {P}",
        "{T} in the sky over {P}",
        "{T} flying over {P}",
        "{T} seen near {P}",
        "{P}: {T} overhead",
    ),
    "over_rel": ("{T} {R}", "{T} spotted {R}", "{T} seen {R}"),
    "circling": (
        "{T} circling over {P}",
        "{T} circling {P}",
        "{T} loitering over {P}",
        "{T} orbiting {P}",
        "{T} making rounds over {P}",
    ),
    "circling_rel": ("{T} circling {R}", "{T} loitering {R}"),
    "striking": (
        "{T} striking {P}",
        "{T} bombing {P}",
        "airstrike on {P}",
        "{T} hitting {P}",
        "{T} attacking the outskirts of {P}",
    ),
    "striking_helicopter": ("{T} dropping barrel bombs on {P}",),
    "takeoff": (
        "{T} took off from {B}",
        "{T} takeoff from {B}",
        "{T} departing {B}",
        "{T} airborne from {B}",
        "takeoff: {T} from {B}",
    ),
    "transit": ("{T} in the air", "{T} airborne", "{T} heard"),
    "leaving": ("{T} leaving {P}", "{T} left the area of {P}"),
}


HEADING_AR = ("باتجاه {D}", "{Vheaded} نحو {D}", "{Vheaded} إلى {D}", "نحو {D}", "{Vits} {D}")


HEADING_EN = ("heading {D}", "moving {D}", "going {D}", "towards {D}", "-> {D}", "direction {D}")


PREFIX_AR = ("عاجل: ", "🔴 ", "⚠️ ", "تنبيه: ", "المراصد: ", "مرصد: ", "‼️ ")


SUFFIX_AR = (" يرجى الحذر", " انتبهوا", " خذوا الحيطة", " 🚨", " الله يحميكم")


PREFIX_EN = ("URGENT ", "ALERT: ", "⚠️ ", "#warning ", "Update: ")


SUFFIX_EN = (" now", " - take cover", " stay safe", " !!")


RELAY_PREFIX = ("", "نقلاً عن المراصد: ", "المراصد: ", "⚡ ", "عاجل | ", "fwd: ", "via spotters: ", "📡 ")


IMPACT_AR = ("انفجار في {P}", "قصف على {P}", "سقوط صاروخ في {P}", "استهداف {P} الآن", "انفجارات في محيط {P}")


IMPACT_EN = ("explosion in {P}", "strike hit {P}", "impact near {P}", "{P} was hit")


VAGUE = (
    "الطيران فوقنا",
    "انتبهوا طيران بالأجواء",
    "صوت انفجارات قوية",
    "هل من معلومات عن الطيران؟",
    "planes everywhere!!",
    "anyone know what's flying?",
    "يا جماعة شو في؟",
    "loud jets, where?",
)


def _compass(deg: float) -> str:
    return COMPASS[int(((deg % 360.0) + 22.5) // 45.0) % 8]


def _misspell_latin(name: str, rng: np.random.Generator) -> str:
    """A plausible transliteration slip: vowels, doubled letters, articles, spacing."""
    choice = int(rng.integers(6))
    if choice == 0 and " " in name:
        return name.replace(" ", "", 1)
    if choice == 1:
        for a, b in (("al-", "el-"), ("al-", "al "), ("Al-", "El "), ("-", " ")):
            if a in name:
                return name.replace(a, b, 1)
    if choice == 2:
        for a, b in (("ou", "u"), ("u", "ou"), ("ei", "ay"), ("ay", "ei"), ("i", "ee")):
            if a in name:
                return name.replace(a, b, 1)
    if choice == 3:
        vowels = [i for i, c in enumerate(name) if c in "ae" and i > 0]
        if vowels:
            i = _pick(rng, vowels)
            return name[:i] + ("e" if name[i] == "a" else "a") + name[i + 1 :]
    if choice == 4:
        cons = [i for i, c in enumerate(name) if c.isalpha() and c.lower() not in "aeiou" and i > 0]
        if cons:
            i = _pick(rng, cons)
            return name[: i + 1] + name[i] + name[i + 1 :]
    return name.lower()


def _misspell_arabic(name: str, rng: np.random.Generator) -> str:
    """Common Arabic spelling slips: taa marbuta, hamza seats, alif maqsura, the article, spacing."""
    choice = int(rng.integers(5))
    if choice == 0 and "ة" in name:
        return name.replace("ة", "ه")
    if choice == 1 and any(c in name for c in "أإآ"):
        return name.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    if choice == 2 and ("ى" in name or name.endswith("ي")):
        return name.replace("ى", "ي") if "ى" in name else name[:-1] + "ى"
    if choice == 3 and name.startswith("ال") and len(name) > 4:
        return name[2:]
    if " " in name:
        return name.replace(" ", "", 1)
    return name


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def _name_variant(spot: _Spot, arabic: bool, rng: np.random.Generator, misspell: float) -> str:
    """How a reporter writes a place's name."""
    ar_names = [a for a in spot.aliases if _is_arabic(a)]
    la_names = [a for a in spot.aliases if not _is_arabic(a)]
    if arabic and spot.name_ar and not _chance(rng, 0.08):
        name = spot.name_ar if not ar_names or _chance(rng, 0.75) else _pick(rng, ar_names)
        return _misspell_arabic(name, rng) if _chance(rng, misspell) else name
    name = spot.name if not la_names or _chance(rng, 0.6) else _pick(rng, la_names)
    return _misspell_latin(name, rng) if _chance(rng, misspell) else name


@dataclass(frozen=True)
class _Aircraft:
    """How a message names the aircraft: subject and oblique forms, and the agreement."""

    nom: str
    gen: str
    form: int  # 0 masculine, 1 feminine, 2 dual (Arabic); 0 for English

    def fill(self, template: str, **slots: str) -> str:
        """Fill {T}, {G}, the agreeing {V...} words and the given slots."""
        for key, forms in AGREE_AR.items():
            template = template.replace("{V" + key + "}", forms[self.form])
        return template.format(T=self.nom, G=self.gen, **slots)


def _type_phrase(kind: str, count: int, arabic: bool, recon: bool, rng: np.random.Generator) -> _Aircraft:
    key = "recon" if recon and kind == "drone" and _chance(rng, 0.6) else kind
    n = min(max(count, 1), 3)
    if not arabic:
        phrase = _pick(rng, TYPE_EN[key][n])
        return _Aircraft(phrase, phrase, 0)
    nom, gen, form = _pick(rng, TYPE_AR[key][n]).split("|")
    return _Aircraft(nom, gen or nom, "mfd".index(form))


def _heading_phrase(deg: float, arabic: bool, rng: np.random.Generator, who: _Aircraft) -> str:
    point = _compass(deg)
    if arabic:
        if point in ADVERB_AR and _chance(rng, 0.3):
            return who.fill("{Vhead} " + ADVERB_AR[point])
        return who.fill(_pick(rng, HEADING_AR), D=_pick(rng, DIR_AR[point]))
    return _pick(rng, HEADING_EN).format(D=_pick(rng, DIR_EN[point]))


def _relative_phrase(spot_name: str, point: str, km: float, arabic: bool, rng: np.random.Generator) -> str:
    """ "east of X", "5 km north of X", in either language."""
    if arabic:
        rel = _pick(rng, REL_AR[point])
        if _chance(rng, 0.3):
            return f"على بعد {round(km)} كم {rel} {spot_name}"
        return f"{rel} {spot_name}"
    rel = _pick(rng, REL_EN[point])
    if _chance(rng, 0.3):
        return f"{round(km)} km {rel} of {spot_name}"
    return f"{'just ' if km < 5 and _chance(rng, 0.3) else ''}{rel} of {spot_name}"
