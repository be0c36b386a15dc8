"""Reading spotters' free-text messages: Arabic (standard and Levantine), English, or a mix.

``MessageReader(gazetteer).read(text)`` turns one message such as
``"⚠️ طيران حربي روسي فوق <town> متجه شمالا"`` or ``"heli took off from <base> heading NW"``
into a :class:`~nadhir.intake.parsed.ParsedMessage`: aircraft type, count,
action, where the aircraft is seen, where it is heading, where it came from,
each with a confidence. It never raises; a message it cannot make sense of
comes back with its fields unknown and ``rejection`` set.

How it reads, in order:

1. The text is NFKC-normalised; diacritics, tatweel and invisible marks are
   dropped, Arabic-Indic digits become ASCII. It is cut into words, numbers,
   arrows (``->``) and separators; each word is folded
   (:func:`~nadhir.geo.names.normalise_word`) and looked up in the lexicon
   below, with an attached Arabic prefix (و ب ل ف ك, ``لل``) removed when the
   word itself is not found.
2. Place names are found with the gazetteer's exact, one-word, skeleton and
   generic-stripped keys (dictionary look-ups only). Fuzzy matching runs only
   on unknown words right after a place cue (``over``, ``فوق``, ``بأجواء``,
   ``باتجاه``, ``من``, a compass word ...); when nothing clears the threshold
   the words are reported in ``unknown_place`` and no position is given.
3. Each place gets a role from the cue before it: where the aircraft is seen,
   where it is going, where it came from. Compass words and
   ``ريف``/``countryside``/``outskirts`` around it make it a relative
   position, offset from the place with a larger uncertainty.
4. The remaining compass words give the heading, by the cue before them
   (``باتجاه الشمال``, ``-> NE``, ``شمالا``; ``قادم من الجنوب`` is the opposite);
   failing that, the bearing from where the aircraft is to where it is going.

The lexicon holds words about aircraft, movement and direction only; place
names come from the gazetteer (see :mod:`nadhir.geo.gazetteer`), never from here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz, process

from nadhir.domain import Action, AircraftType, Place
from nadhir.geo.distance import bearing_deg, haversine_m
from nadhir.geo.frame import LocalFrame
from nadhir.geo.gazetteer import Gazetteer, NameMatch, site_as_place
from nadhir.geo.names import (
    ARABIC_DIACRITICS,
    ARABIC_INDIC_DIGITS,
    INVISIBLES,
    WordForms,
    arabic_prefix_variants,
    normalise_word,
    word_forms,
)
from nadhir.intake.parsed import ParsedMessage

MAX_TEXT_CHARS = 2000  # spotter messages are short; a longer text is read up to here

# Position uncertainty (1 sigma) by how the position was given.
TOWN_SIGMA_MIN_M = 2000.0
TOWN_SIGMA_MAX_M = 3000.0
AIRBASE_SIGMA_M = 2000.0
NEAR_EXTRA_SIGMA_M = 500.0  # "near X", "محيط X"
FROM_EXTRA_SIGMA_M = 2000.0  # only "coming from X" is known
RELATIVE_OFFSET_M = 5000.0  # "east of X", "شرق X"
RELATIVE_SIGMA_M = 4000.0
COUNTRYSIDE_OFFSET_M = 8000.0  # "ريف X الجنوبي", "southern countryside of X"
COUNTRYSIDE_SIGMA_M = 6000.0
COUNTRYSIDE_ONLY_SIGMA_M = 8000.0  # "ريف X" without a direction
OUTSKIRTS_SIGMA_M = 2500.0
BETWEEN_MIN_SIGMA_M = 2500.0
MIN_TOWARD_DISTANCE_M = 1000.0  # closer than this, a destination gives no heading

Role = Literal["seen", "bare", "toward", "from", "between"]


# --- the lexicon ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    """What one word can mean; some words mean several things (``passing``: a place cue and transit)."""

    aircraft: AircraftType | None = None
    aircraft_weight: float = 0.0
    plane_noun: bool = False  # طائرة, plane: a count attaches to it
    model: AircraftType | None = None  # su, mig, mi ... when a number follows
    action: Action | None = None
    action_weight: float = 0.0
    compass: float | None = None
    compass_form: str = ""  # noun, adj, adv, abbr
    cue: str | None = None  # seen, toward, head, from, between, of
    weak_cue: bool = False  # in, at, to, في, من: unknown words after it are not taken for a place
    near: bool = False  # near, محيط: a little more uncertain
    area: str | None = None  # countryside, outskirts
    count: int | None = None
    unit: str | None = None  # km, m, time
    filler: bool = False  # city, the, مدينة: skipped between a cue and a name
    part: bool = False  # side, neighbourhood, حي: "the western side" is a position, not a heading
    back: bool = False  # "back" in "heading back"
    off: bool = False  # "off" in "took off"


_LEXICON: dict[str, _Entry] = {}
_EMPTY = _Entry()


def _entries(words: str) -> list[_Entry]:
    out = []
    for word in words.split():
        key = normalise_word(word.replace("_", " "))
        if not key:
            key = word.lower()
        entry = _LEXICON.get(key)
        if entry is None:
            entry = _LEXICON[key] = _Entry()
        out.append(entry)
    return out


def _aircraft(kind: AircraftType, weight: float, words: str) -> None:
    for e in _entries(words):
        if weight > e.aircraft_weight:
            e.aircraft, e.aircraft_weight = kind, weight


def _action(action: Action, weight: float, words: str) -> None:
    for e in _entries(words):
        if weight > e.action_weight:
            e.action, e.action_weight = action, weight


def _compass(deg: float, form: str, words: str) -> None:
    for e in _entries(words):
        e.compass, e.compass_form = deg, form


def _cue(cue: str, words: str, *, weak: bool = False, near: bool = False) -> None:
    for e in _entries(words):
        e.cue, e.weak_cue, e.near = cue, weak, near


def _count(n: int, words: str) -> None:
    for e in _entries(words):
        e.count = n


def _set(words: str, **values: object) -> None:
    for e in _entries(words):
        for name, value in values.items():
            setattr(e, name, value)


_aircraft("jet", 0.95, """
    jet jets warplane warplanes fighter fighters fighterjet bomber bombers sukhoi sukhois sukhoy suchoi
    sukoi sukhoi mig migs warjet
    جت جيت حربي حربيه حربيات سوخوي سخوي سوخو ميغ ميج مقاتله مقاتلات قاذفه قاذفات نفاثه نفاثات
""")
_aircraft("jet", 0.5, "war")
_aircraft("jet", 0.3, "russian russians روسي روسيه")
_aircraft("helicopter", 0.95, """
    helicopter helicopters heli helis helo helos chopper choppers helicoptor helecopter hellicopter
    helicoper kamov gunship gunships
    مروحي مروحيه مروحيات هليكوبتر هيليكوبتر هليكبتر هلكوبتر هليوكبتر حوامه حوامات كاموف
""")
_aircraft("helicopter", 0.8, "copter copters rotary rotorcraft")
_aircraft("helicopter", 0.6, "barrel barrels برميل براميل مروحه")
_aircraft("drone", 0.95, """
    drone drones dron uav uavs uas shahed shaheds orlan mohajer quadcopter quadcopters fpv
    مسيره مسيرات درون درونات دورن زنانه زنانات بيرقدار bayraktar
""")
_aircraft("drone", 0.9, "مسير")
_aircraft("drone", 0.9, "recon reconnaissance unmanned استطلاع استطلاعيه استطلاعي")
_aircraft("helicopter", 0.8, "🚁")
_aircraft("drone", 0.7, "surveillance kamikaze انتحاريه")
_set("""
    plane planes aircraft airplane airplanes aeroplane ✈ 🛩 🛫
    طائره طائرات طياره طيارات طيران
""", plane_noun=True)
for _word, _kind in (("su", "jet"), ("سو", "jet"), ("mig", "jet"), ("ميغ", "jet"), ("ميج", "jet"),
                     ("l", "jet"), ("tu", "jet"), ("yak", "jet"), ("f", "jet"),
                     ("mi", "helicopter"), ("مي", "helicopter"), ("ka", "helicopter")):
    _set(_word, model=_kind)

_action("takeoff", 0.95, """
    takeoff takeoffs liftoff departed departing departure launched launching scrambled
    اقلع اقلعت يقلع تقلع اقلاع اقلعتا انطلق انطلقت انطلاق ينطلق تنطلق اقلعوا يقلعوا انطلقوا ينطلقوا
""")
_action("takeoff", 0.6, "airborne طلع طلعت")
_set("off", off=True)
_action("striking", 0.95, """
    striking strike strikes struck bombing bombed bomb bombs bombard bombarding bombarded dropping dropped
    drops diving dive dives dived attacking attacked attack attacks firing fired shelling shelled raid raids
    airstrike airstrikes targeting targeted hitting pounding pounded strafing strafed strafe
    swooping swooped
    يستهدف تستهدف استهداف استهدف استهدفت قصف يقصف تقصف قصفت غاره غارات يشن تشن شن شنت ينقض تنقض انقضاض
    انقض يرمي ترمي رمي رمت القي يلقي تلقي يضرب تضرب ضرب ضربت قنابل قنبله صواريخ صاروخ براميل برميل
    يقصفوا يستهدفوا يضربوا يرموا يلقوا يغير تغير اغار اغارت يغيروا ضربه ضربات
    يقصفان تقصفان يستهدفان تستهدفان يضربان تضربان يلقيان تلقيان يرميان ترميان يشنان تشنان قصفتا
    قاصف قاصفه قاصفين
""")
# "hit" is as often said of an aircraft (hit by ground fire, took a hit) as by one: a weak cue.
_action("striking", 0.5, "target missiles rockets missile rocket hit hits")
_action("leaving", 0.9, """
    leaving left returning returned return returns retreating retreated withdrawing withdrew withdrawn
    exited exiting departs
    عايد عايده عاد عادت يعود تعود عوده انسحب انسحبت انسحاب ينسحب تنسحب غادر غادرت يغادر تغادر مغادره
    رجع رجعت راجع راجعه يرجع ترجع ابتعد ابتعدت يبتعد تبتعد خرج خرجت يخرج تخرج
    يعودان تعودان عادتا يغادران تغادران غادرتا
""")
_set("back", back=True)
_action("circling", 0.9, """
    circling circle circles circled orbiting orbit orbits loitering loiter loiters hovering hover hovers
    hovered
    يحوم تحوم حوم يحومان تحومان يدور تدور دوران دائري دائريه دوائر حايم حايمه يلف تلف يحوموا تحوموا
    يدوروا حامت حام
""")
_action("transit", 0.8, """
    passing passes passed crossing crosses crossed transiting transit overflying overflew
    عابر عابره يعبر تعبر مر مرت يمر تمر مرور
""")
_action("transit", 0.5, """
    heading headed moving going flying flies travelling traveling bound
    متجه متجهه متجهين متجهات متجهتين يتجه تتجه يتجهان تتجهان متوجه متوجهه يتوجه تتوجه رايح رايحه
    ماشي ماشيه يروح تروح
""")

_compass(0.0, "noun", "north شمال")
_compass(0.0, "adj", "northern شمالي شماليه")
_compass(0.0, "adv", "northward northwards northbound شمالا")
_compass(0.0, "abbr", "n")
_compass(180.0, "noun", "south جنوب")
_compass(180.0, "adj", "southern جنوبي جنوبيه قبلي قبليه")
_compass(180.0, "adv", "southward southwards southbound جنوبا")
_compass(180.0, "abbr", "s")
_compass(90.0, "noun", "east شرق")
_compass(90.0, "adj", "eastern شرقي شرقيه")
_compass(90.0, "adv", "eastward eastwards eastbound شرقا")
_compass(90.0, "abbr", "e")
_compass(270.0, "noun", "west غرب")
_compass(270.0, "adj", "western غربي غربيه")
_compass(270.0, "adv", "westward westwards westbound غربا")
_compass(270.0, "abbr", "w")
_compass(45.0, "noun", "northeast")
_compass(45.0, "adj", "northeastern")
_compass(45.0, "adv", "northeastward northeastwards")
_compass(45.0, "abbr", "ne nne ene")
_compass(315.0, "noun", "northwest")
_compass(315.0, "adj", "northwestern")
_compass(315.0, "adv", "northwestward northwestwards")
_compass(315.0, "abbr", "nw nnw wnw")
_compass(135.0, "noun", "southeast")
_compass(135.0, "adj", "southeastern")
_compass(135.0, "adv", "southeastward southeastwards")
_compass(135.0, "abbr", "se sse ese")
_compass(225.0, "noun", "southwest")
_compass(225.0, "adj", "southwestern")
_compass(225.0, "adv", "southwestward southwestwards")
_compass(225.0, "abbr", "sw ssw wsw")

_cue("seen", """
    over above overhead atop skies sky airspace passing crossing circling hovering orbiting loitering
    striking bombing targeting attacking
    فوق اجواء اجوا سماء سما يحوم تحوم حايم حايمه يستهدف تستهدف قصف يقصف تقصف غاره غارات استهداف
""")
_cue("seen", "near nr around vicinity nearby محيط قرب قريب حول جوار اطراف", near=True)
_cue("seen", "close next", weak=True, near=True)
_cue("seen", "at in on by across within في علي ع عند ضمن داخل مقابل", weak=True)
_cue("toward", """
    towards toward direction destination approaching inbound nearing
    نحو صوب اتجاه لعند وجهه وجهته وجهتها مقصده تقترب يقترب اقترب اقتربت تقرب يقرب مقترب مقتربه
""")
_cue("toward", "to into for الي", weak=True)
_cue("head", """
    heading headed heads moving moves going goes flying flies travelling traveling bound course dir hdg
    bearing
    returning returned return returns turned turning turns
    متجه متجهه متجهين متجهات متجهتين يتجه تتجه يتجهان تتجهان متوجه متوجهه يتوجه تتوجه اتجاهه اتجاهها
    رايح رايحه رايحين ماشي ماشيه يروح تروح عايد عايده راجع راجعه رجع رجعت عاد عادت يعود تعود اتجه اتجهت
    يرجع ترجع
""")
_cue("from", "قادم قادمه قادمين قادمتين جاي جايه اتيه مصدره")
_cue("from", "from من", weak=True)
_cue("between", "between بين")
_cue("of", "of")
_set("countryside countrysides rural countryside's ريف ارياف", area="countryside")
_set("outskirts suburbs edge edges مشارف ضواحي اطرف", area="outskirts")
_set("اطراف", area="outskirts")
# Words for a part of a place: beside a compass adjective ("the western side", الأحياء الشرقية) they
# make it a position, not a heading; between a cue and a name they are skipped like "city".
_PLACE_PARTS = """
    side part neighbourhood neighbourhoods neighborhood neighborhoods district districts quarter quarters
    جهه ناحيه حي احياء حاره حارات قسم
"""
_set("""
    city town village area region the a an its just slightly directly right
    مدينه بلده قريه منطقه بلدات قري مناطق
""" + _PLACE_PARTS, filler=True)
_set(_PLACE_PARTS + "sides parts", part=True)
_count(1, "one single واحد واحده")
_count(2, "two pair couple twin اثنان اثنين اثنتان اثنتين ثنتين تنتين تنين زوج")
_count(3, "three trio ثلاث ثلاثه تلات تلاته")
_count(4, "four اربع اربعه")
_count(5, "five خمس خمسه")
_count(6, "six ست سته")
_count(7, "seven سبع سبعه")
_count(8, "eight ثمان ثماني ثمانيه تمن تمانيه")
_count(9, "nine تسع تسعه")
_count(10, "ten عشر عشره")
_set("km kms kilometer kilometers kilometre kilometres klm كم كيلو كيلومتر كيلومترات", unit="km")
_set("m meter meters metre metres متر امتار", unit="m")
_set("""
    min mins minute minutes sec secs second seconds h hr hrs hour hours am pm
    دقيقه دقائق دقايق ثانيه ثواني ساعه ساعات ص
""", unit="time")
_set("deg degree degrees درجه درجات", unit="deg")
# Words that are never part of a place name (the entry itself says so; no flag needed).
_entries("""
    now urgent alert alerts warning warnings breaking attention please careful caution beware fwd fw
    forwarded via update updates spotted seen sighted sighting reported report reports observers observer
    observatory observatories also again still and or with very low high altitude fast slow slowly quickly
    rapidly loud sound sounds heard hear hearing noise engine engines is are was were be been being has have
    had it they we i you he she this that these those there here another more many several some currently
    ago sirens siren shelter shelters take cover stay safe god allah protect regime syrian army russia not no
    yes confirmed unconfirmed possible possibly probably maybe likely message channel activity movement
    intense heavy continuous continues continuing same our us my me your their them what where when who which
    then than but so if as for about after before during while until since up down out base home position
    location sector post lookout everyone all people civilians residents news info information source
    sources team civil defence defense today tonight morning evening night local repeat repeated first last x
    pls plz asap ok okay guys wow danger dangerous imminent expected expect unidentified type visual contact
    radar watch approx approximately about few group formation
    عاجل تحذير انتباه تنبيه يرجي حذر اخذ حيطه مراصد مرصد منقول رصد شوهد تحليق يحلق تحلق ان حاليا تم هناك
    يوجد مع و او هو هي عم كان جدا منخفض علو مرتفع صوت سماع انفجار اشاره الله يحمي احذروا ملاجي انتبهوا يا
    شباب جماعه اخوان بسرعه كبير متواصل ايضا كمان لسا لسه هلق هلا هون بشكل مكثف اخر جديد حركه نشاط نظام
    اسد ميليشيات روس جيش خطر شديد رجاء عدد كثيف تعميم ورد افاده مصادر مصدر متابعه اخبار خبر قناه منذ
    قليل قبل بعد حتي انه انها يعني لقد قد ما لا نعم مازال مازالت لازال لازالت يزال تزال مستمر مستمره
    ارتفاع منخفضه مرتفعه سريع ببطء اليوم ليله صباح مساء فجر ليلا صباحا مساءا تاكيد مؤكد غير احتمال ربما
    ممكن لاحقا مجددا وين شو كتير هاد هاي هيك مشان كل جميع اهالي مدنيين دفاع مدني فريق رصدنا شاهدنا شفنا
    سمعنا نسمع يسمع صوته هدير ازيز طنين محركات محرك واضح واضحه سرب مجموعه تشكيل ثم بعدين
""")

# Duals: طائرتان, مروحيتين ... the stem (taa marbuta written as ت before the ending) and its type.
_DUAL_STEMS: dict[str, AircraftType] = {
    "طاير": "unknown", "طيار": "unknown", "مروحي": "helicopter", "حربي": "jet", "مسير": "drone",
    "حوام": "helicopter", "زنان": "drone", "مقاتل": "jet", "قاذف": "jet", "نفاث": "jet",
}
_DUAL_ENDINGS = ("تان", "تين", "تا")  # طائرتان, طائرتين, and طائرتا before a noun
_TAKE_WORDS = frozenset({"took", "take", "taking", "takes"})
_NO_PILOT = (frozenset({"بدون", "بلا", "without"}), frozenset({"طيار", "pilot"}))
_FUZZY_AIRCRAFT = {k: e for k, e in _LEXICON.items() if e.aircraft is not None and len(k) >= 6}
_FUZZY_AIRCRAFT_KEYS = list(_FUZZY_AIRCRAFT)
_JET_PHRASES = frozenset({("fixed", "wing"), ("fixed", "wings"), ("fast", "mover"), ("fast", "movers")})
_CIRCLE_WORDS = frozenset({"circle", "circles", "دوائر", "دايري", "دايريه"})

_TOKEN = re.compile(
    r"(?P<arrow>-+>|=+>|[→➡⟶➔➜⇒⇨])"
    r"|(?P<num>\d+)"
    r"|(?P<word>[^\W\d_]+(?:['’`ʿʾ][^\W\d_]+)*|[🚁✈🛩🛫])"
    r"|(?P<times>[×✖])"
    r"|(?P<deg>°)"
    r"|(?P<sep>[,.;:!?؟،؛/|()\[\]{}\n\"«»])"
)


# --- tokens --------------------------------------------------------------------------------------


class _Tok:
    __slots__ = (
        "end", "entry", "forms", "index", "key", "kind", "num", "pkey", "prefix", "raw", "start", "used",
    )

    def __init__(self, kind: str, raw: str, start: int = 0, end: int = 0) -> None:
        self.kind = kind  # word, num, arrow, sep, times, deg
        self.raw = raw
        self.start, self.end = start, end  # where it is in the cleaned text
        self.index = 0
        self.key = ""  # lexicon key: folded, Arabic article removed, Latin lower case
        self.pkey = ""  # place key (normalise_word; "" for a Latin article)
        self.entry: _Entry | None = None
        self.prefix = ""  # the Arabic prefix removed to find the entry (ل, ب, ...)
        self.forms: WordForms | None = None
        self.num = 0
        self.used = False  # taken by a place, a relative position, a model number

    @property
    def e(self) -> _Entry:
        """The lexicon entry, or an empty one for a word the lexicon does not know."""
        return self.entry if self.entry is not None else _EMPTY

    def names_aircraft(self) -> bool:
        """An aircraft word (jet, مروحية) or a word for any aircraft (plane, طائرة)."""
        return self.entry is not None and (self.entry.aircraft is not None or self.entry.plane_noun)

    def compass(self) -> float | None:
        """The direction this word names, unless it was used for a relative position."""
        return None if self.used or self.entry is None else self.entry.compass

    def content(self) -> bool:
        """A word that may be part of a place name the gazetteer does not know."""
        if self.kind != "word" or self.entry is not None or self.used or not self.pkey:
            return False
        return len(self.pkey) >= (2 if self.pkey[0] >= "\u0600" else 3)


@dataclass(slots=True)
class _Span:
    start: int  # token indices, end exclusive
    end: int
    match: NameMatch | None  # None: words that name no known place
    raw: str
    role: Role = "bare"
    cued: bool = False
    weak: bool = False  # unknown words after a weak cue (in, at, في)
    bearing: float | None = None  # relative position: direction from the place
    area: str | None = None  # of, countryside, outskirts, near
    distance_m: float | None = None


def _lex(key: str) -> tuple[_Entry | None, str]:
    entry = _LEXICON.get(key)
    if entry is not None:
        return entry, ""
    if key and "\u0600" <= key[0] <= "\u06ff":
        for variant in arabic_prefix_variants(key):
            entry = _LEXICON.get(variant)
            if entry is not None:
                return entry, "ل" if key.startswith("لل") else key[0]
        return None, ""
    if len(key) > 3 and key.endswith("s"):
        entry = _LEXICON.get(key[:-1])
        if entry is not None and (entry.aircraft is not None or entry.plane_noun):
            return entry, ""
    return None, ""


_WORD_CACHE: dict[str, tuple[str, str, _Entry | None, str]] = {}
_WORD_CACHE_MAX = 100_000


def _tokenise(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "sep"
        raw = m.group()
        tok = _Tok(kind, raw, m.start(), m.end())
        if kind == "word":
            cached = _WORD_CACHE.get(raw)
            if cached is None:
                pkey = normalise_word(raw)
                key = pkey or raw.lower()
                entry, prefix = _lex(key)
                cached = (key, pkey, entry, prefix)
                if len(_WORD_CACHE) >= _WORD_CACHE_MAX:
                    _WORD_CACHE.clear()
                _WORD_CACHE[raw] = cached
            tok.key, tok.pkey, tok.entry, tok.prefix = cached
        elif kind == "num":
            tok.num = int(raw) if len(raw) <= 6 else 10**6
        if kind == "sep" and raw == "." and toks and len(toks[-1].key) == 1 and (
                toks[-1].e.compass_form == "abbr"):
            continue  # N.W., S.E.
        tok.index = len(toks)
        toks.append(tok)
    return toks


def _words_as_written(toks: list[_Tok], start: int, end: int, text: str) -> str:
    """The text of tokens ``start:end`` as written, with a Latin article just before them (al-X)."""
    if start > 0 and toks[start - 1].kind == "word" and not toks[start - 1].pkey:
        start -= 1
    return text[toks[start].start : toks[end - 1].end]


def _combine(degs: list[float]) -> float:
    """One direction from compass words in a row: north + west -> 315."""
    first = degs[0]
    for other in degs[1:]:
        if abs(((other - first + 180.0) % 360.0) - 180.0) in (90.0, 45.0):
            x = math.sin(math.radians(first)) + math.sin(math.radians(other))
            y = math.cos(math.radians(first)) + math.cos(math.radians(other))
            return round(math.degrees(math.atan2(x, y)) % 360.0, 6)
    return first


def _offset(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    r = math.radians(bearing)
    return LocalFrame(lat, lon).to_latlon(distance_m * math.sin(r), distance_m * math.cos(r))


# --- the reader ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Heading:
    deg: float
    priority: int  # 3 explicit, 2 "coming from", 1 a bare compass word
    confidence: float


class MessageReader:
    """Reads observer messages against a gazetteer (scenario places and sites)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    @classmethod
    def from_scenario(cls, root: str | Path) -> MessageReader:
        """A reader for a scenario folder: its sites (first, so their names win) and its gazetteer."""
        from nadhir.domain.formats.scenario import load_scenario

        scenario = load_scenario(root)
        return cls(Gazetteer([*(site_as_place(s) for s in scenario.sites), *scenario.places]))

    def read(self, text: str) -> ParsedMessage:
        """The fields of one message. Never raises: an unreadable message comes back with ``rejection``."""
        if not isinstance(text, str):
            return ParsedMessage(text="", rejection="not text")
        try:
            return self._read(text)
        except Exception as exc:  # a reader bug must not drop a warning on the floor
            return ParsedMessage(text=text, rejection=f"unreadable ({type(exc).__name__})")

    def _read(self, text: str) -> ParsedMessage:
        clean = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS])
        clean = ARABIC_DIACRITICS.sub("", INVISIBLES.sub("", clean)).replace("ـ", "")
        clean = clean.translate(ARABIC_INDIC_DIGITS)
        toks = _tokenise(clean)
        if not any(t.kind == "word" for t in toks):
            return ParsedMessage(text=text, rejection="no words")
        _phrases(toks)
        aircraft, aircraft_conf, dual_type = _read_aircraft(toks)
        spans = self._places(toks, clean)
        _roles(toks, spans)
        heading = _read_heading(toks)
        count, count_conf = _read_count(toks)
        toward = any(s.role == "toward" and s.match is not None for s in spans)
        action, action_conf = _read_action(toks, heading is not None or toward)
        if aircraft == "unknown" and dual_type != "unknown":
            aircraft, aircraft_conf = dual_type, 0.9
        return self._assemble(text, spans, aircraft, aircraft_conf, count, count_conf, action, action_conf,
                              heading)

    # --- places ----------------------------------------------------------------------------------

    def _places(self, toks: list[_Tok], text: str) -> list[_Span]:
        """Known names by dictionary look-up; then unknown words after place cues (fuzzy, else unknown)."""
        spans: list[_Span] = []
        segment: list[_Tok] = []
        for tok in [*toks, None]:
            if tok is not None and tok.kind == "word":
                if tok.pkey:  # Latin articles (al-, el-) are skipped, not a break
                    segment.append(tok)
                continue
            if segment:
                spans.extend(self._match_segment(segment, toks, text))
                segment = []
        for span in spans:
            for k in range(span.start, span.end):
                toks[k].used = True
        for i, tok in enumerate(toks):
            e = tok.entry
            if e is None or tok.used or not _introduces_place(toks, i):
                continue
            j = i + 1
            while j < len(toks) and toks[j].entry is not None and _skippable(toks, j, e):
                j += 1
            run: list[_Tok] = []
            while j < len(toks) and len(run) < 3 and toks[j].content():
                run.append(toks[j])
                j += 1
            if not run:
                continue
            if j < len(toks) and toks[j].used and toks[j].kind == "word" and len(run) == 1:
                continue  # فوق مخيمات <place>: a word about the place, not another place
            span = self._resolve_words(run, toks, text)
            span.weak = span.match is None and (e.weak_cue or e.compass is not None)
            spans.append(span)
            for t in toks[span.start : span.end]:
                t.used = True
        if not spans:
            spans.extend(self._uncued_words(toks, text))
        spans.sort(key=lambda s: s.start)
        return spans

    def _match_segment(self, segment: list[_Tok], toks: list[_Tok], text: str) -> list[_Span]:
        gaz = self.gazetteer
        forms: list[WordForms] = []
        for tok in segment:
            if tok.forms is None:
                tok.forms = word_forms(tok.pkey)
            forms.append(tok.forms)
        out: list[_Span] = []
        i = 0
        while i < len(segment):
            tok = segment[i]
            entry = tok.entry
            if entry is not None and not any(v in gaz.first_words for v in forms[i].variants):
                i += 1  # a lexicon word that starts no name
                continue
            hit = gaz.match_at(forms, i)
            if hit is None:
                i += 1
                continue
            n, match = hit
            start, end = segment[i].index, segment[i + n - 1].index + 1
            # A lexicon word that is also a name ("has") needs a place cue before it; a short
            # word found only by its skeleton needs a cue or an aircraft word or heading next to it.
            lexical = n == 1 and entry is not None
            weak = n == 1 and match.how == "skeleton" and len(tok.pkey) <= 5
            if lexical and not _cue_before(toks, start):
                i += 1
                continue
            if weak and not (_cue_before(toks, start) or _aircraft_before(toks, start)
                             or _heading_after(toks, end)):
                i += 1
                continue
            out.append(_Span(start, end, match, _words_as_written(toks, start, end, text)))
            i += n
        return out

    def _resolve_words(self, run: list[_Tok], toks: list[_Tok], text: str) -> _Span:
        """Unknown words: a distinctive first word of a name, a fuzzy match, or unknown."""
        gaz = self.gazetteer
        start = run[0].index
        end = run[-1].index + 1
        after = toks[end] if end < len(toks) else None
        if len(run) == 1 and (after is None or not after.content()):
            head = gaz.head_match(run[0].forms or word_forms(run[0].pkey))
            if head is not None:
                return _Span(start, end, head, _words_as_written(toks, start, end, text))
        for n in range(len(run), 0, -1):
            key = " ".join(t.pkey for t in run[:n])
            match = gaz.fuzzy(key)
            if match is None and n > 1:
                match = gaz.fuzzy(key.replace(" ", ""))  # Kafr X / KafrX
            if match is not None:
                stop = run[n - 1].index + 1
                return _Span(start, stop, match, _words_as_written(toks, start, stop, text))
        return _Span(start, end, None, _words_as_written(toks, start, end, text))

    def _uncued_words(self, toks: list[_Tok], text: str) -> list[_Span]:
        """No place found at all: unknown words next to the aircraft word or before an arrow/heading."""
        i = 0
        while i < len(toks):
            if not toks[i].content():
                i += 1
                continue
            run = [toks[i]]
            while i + len(run) < len(toks) and len(run) < 3 and toks[i + len(run)].content():
                run.append(toks[i + len(run)])
            before = toks[i - 1] if i > 0 else None
            after = toks[i + len(run)] if i + len(run) < len(toks) else None
            by_aircraft = before is not None and (
                before.kind == "num" or before.e.aircraft is not None or before.e.plane_noun)
            by_heading = after is not None and (
                after.kind == "arrow" or after.e.cue in ("head", "toward") or after.e.compass is not None)
            if by_aircraft or by_heading:
                span = self._resolve_words(run, toks, text)
                span.weak = span.match is None
                return [span]
            i += len(run)
        return []

    # --- putting it together ---------------------------------------------------------------------

    def _assemble(
        self,
        text: str,
        spans: list[_Span],
        aircraft: AircraftType,
        aircraft_conf: float,
        count: int | None,
        count_conf: float,
        action: Action,
        action_conf: float,
        heading: _Heading | None,
    ) -> ParsedMessage:
        known = [s for s in spans if s.match is not None]
        unknown = [s for s in spans if s.match is None]

        def first(spans_: list[_Span], *roles: str) -> _Span | None:
            return next((s for s in spans_ if s.role in roles), None)

        seen = first(known, "seen")
        seen_unknown = first([s for s in unknown if not s.weak], "seen")
        bare = first(known, "bare")
        toward = first(known, "toward")
        origin_span = first(known, "from")
        between = [s for s in known if s.role == "between"]
        if between:
            nxt = next((s for s in known if s.start > between[0].start and s is not between[0]
                        and s.role in ("bare", "between")), None)
            between = [between[0], nxt] if nxt is not None else []
        if action == "takeoff" and origin_span is None:
            for cand in (seen, bare):
                if cand is not None and cand.match is not None and _is_airbase(cand.match.place):
                    origin_span = cand
                    break
        origin_id = None
        if origin_span is not None and origin_span.match is not None and _is_airbase(origin_span.match.place):
            origin_id = origin_span.match.place.id

        where: _Span | None = None
        lat = lon = sigma = None
        place_conf = 0.0
        if len(between) == 2:
            a, b = between[0].match, between[1].match
            assert a is not None and b is not None
            lat, lon = (a.place.lat + b.place.lat) / 2.0, (a.place.lon + b.place.lon) / 2.0
            half = haversine_m(a.place.lat, a.place.lon, b.place.lat, b.place.lon) / 2.0
            sigma = max(BETWEEN_MIN_SIGMA_M, half)
            where, place_conf = between[0], min(a.score, b.score) * 0.8
        else:
            if seen is not None:
                where = seen
            elif seen_unknown is None:
                where = bare
                if where is None and origin_span is not None:
                    where = origin_span
            if where is not None and where.match is not None:
                lat, lon, sigma = _position(where)
                place_conf = where.match.score * (0.8 if where.bearing is not None or where.area else 1.0)
                if where.role == "from" and not (origin_id and where.match.place.id == origin_id):
                    sigma += FROM_EXTRA_SIGMA_M
                    place_conf *= 0.7
        unknown_place = None
        if where is None or where.match is None:
            for roles in (("seen",), ("bare",), ("from", "toward", "between")):
                cand = first(unknown, *roles)
                if cand is not None:
                    unknown_place = cand.raw
                    break
        heading_deg: float | None = None
        heading_conf = 0.0
        if heading is not None and heading.priority >= 3:
            heading_deg, heading_conf = heading.deg, heading.confidence
        elif toward is not None and toward.match is not None:
            start = (lat, lon) if lat is not None and lon is not None else None
            if start is None and origin_span is not None and origin_span.match is not None:
                start = (origin_span.match.place.lat, origin_span.match.place.lon)
            dest = toward.match.place
            if start is not None and haversine_m(*start, dest.lat, dest.lon) > MIN_TOWARD_DISTANCE_M:
                heading_deg = round(bearing_deg(start[0], start[1], dest.lat, dest.lon), 1)
                heading_conf = 0.7 * toward.match.score
        if heading_deg is None and heading is not None:
            heading_deg, heading_conf = heading.deg, heading.confidence

        found_anything = (aircraft != "unknown" or where is not None or heading_deg is not None
                          or unknown_place is not None)
        confidence = 0.4 * aircraft_conf + 0.4 * place_conf + 0.2 * max(
            heading_conf, 0.5 if action != "unknown" else 0.0)
        place = where.match.place if where is not None and where.match is not None else None
        return ParsedMessage(
            text=text,
            aircraft=aircraft,
            aircraft_confidence=round(aircraft_conf, 3),
            count=count,
            action=action,
            place_id=place.id if place is not None else None,
            place_name=place.name if place is not None else None,
            lat=None if lat is None else round(lat, 6),
            lon=None if lon is None else round(lon, 6),
            sigma_m=None if sigma is None else round(sigma, 1),
            toward_id=toward.match.place.id if toward is not None and toward.match is not None else None,
            origin_id=origin_id,
            heading_deg=heading_deg,
            unknown_place=unknown_place,
            confidence=round(confidence, 3),
            place_confidence=round(place_conf, 3),
            count_confidence=round(count_conf, 3),
            action_confidence=round(action_conf, 3),
            heading_confidence=round(heading_conf, 3),
            rejection=None if found_anything else "no aircraft, place or heading found",
        )


# --- steps that need no gazetteer ----------------------------------------------------------------


def _phrases(toks: list[_Tok]) -> None:
    """Two-word phrases: took off, heading back, بدون طيار, in circles."""
    for i in range(len(toks) - 1):
        a, b = toks[i], toks[i + 1]
        if a.kind != "word" or b.kind != "word":
            continue
        if a.key in _TAKE_WORDS and b.e.off:
            a.entry = _Entry(action="takeoff", action_weight=0.95)
        elif b.e.back and a.e.cue == "head":
            b.entry = _Entry(action="leaving", action_weight=0.9)
        elif a.key in _NO_PILOT[0] and b.key in _NO_PILOT[1]:
            b.entry = _Entry(aircraft="drone", aircraft_weight=0.95)
        elif (a.key, b.key) in _JET_PHRASES:
            b.entry = _Entry(aircraft="jet", aircraft_weight=0.8)
        elif b.key in _CIRCLE_WORDS:
            b.entry = _Entry(action="circling", action_weight=0.9)


def _read_aircraft(toks: list[_Tok]) -> tuple[AircraftType, float, AircraftType]:
    """The aircraft type with the most weight, its confidence, and the type named by a dual form."""
    scores: dict[AircraftType, float] = {}
    first_seen: dict[AircraftType, int] = {}
    dual_type: AircraftType = "unknown"
    for i, tok in enumerate(toks):
        if tok.kind != "word":
            continue
        entry = tok.entry
        kind: AircraftType | None = None
        weight = 0.0
        if entry is not None and entry.model is not None:
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and nxt.kind == "num" and 2 <= nxt.num < 1000:
                kind, weight = entry.model, 0.95
                nxt.used = True
        if kind is None and entry is not None and entry.aircraft is not None:
            kind, weight = entry.aircraft, entry.aircraft_weight
        if kind is None and entry is None and tok.key.endswith(_DUAL_ENDINGS) and tok.key[0] >= "\u0600":
            ending = next(e for e in _DUAL_ENDINGS if tok.key.endswith(e))
            stem = tok.key[: -len(ending)]
            for s in (stem, *arabic_prefix_variants(stem)):
                dual = _DUAL_STEMS.get(s)
                if dual is not None:
                    tok.entry = _Entry(count=2, plane_noun=True)
                    if dual != "unknown":
                        kind, weight, dual_type = dual, 0.95, dual
                    break
        if kind is None or kind == "unknown":
            continue
        scores[kind] = scores.get(kind, 0.0) + weight
        first_seen.setdefault(kind, i)
    if not scores:
        fuzzy_kind, fuzzy_conf = _fuzzy_aircraft(toks)
        if fuzzy_kind is not None:
            return fuzzy_kind, fuzzy_conf, dual_type
        return "unknown", 0.0, dual_type
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], first_seen[kv[0]]))
    best, best_score = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = min(0.99, best_score) * (1.0 - 0.5 * second / best_score)
    return best, confidence, dual_type


def _fuzzy_aircraft(toks: list[_Tok]) -> tuple[AircraftType | None, float]:
    """A misspelt aircraft word (helikopter, مروحبة), tried only when no aircraft word was found."""
    for tok in toks:
        if not tok.content() or len(tok.key) < 6:
            continue
        best = process.extractOne(tok.key, _FUZZY_AIRCRAFT_KEYS, scorer=fuzz.ratio, score_cutoff=85.0)
        if best is not None:
            entry = _FUZZY_AIRCRAFT[best[0]]
            return entry.aircraft, entry.aircraft_weight * best[1] / 100.0 * 0.8
    return None, 0.0


def _cue_before(toks: list[_Tok], start: int) -> bool:
    j = start - 1
    while j >= 0 and toks[j].e.filler:
        j -= 1
    if j < 0:
        return False
    if toks[j].kind == "arrow":
        return True
    e = toks[j].entry
    return e is not None and (e.cue is not None or e.compass is not None or e.area is not None)


def _aircraft_before(toks: list[_Tok], start: int) -> bool:
    prev = toks[start - 1] if start > 0 else None
    if prev is not None and prev.kind == "num" and prev.used:
        return True  # Su-24 <name>
    return prev is not None and prev.names_aircraft()


def _heading_after(toks: list[_Tok], end: int) -> bool:
    nxt = toks[end] if end < len(toks) else None
    return nxt is not None and (nxt.kind == "arrow" or nxt.e.cue == "head")


def _introduces_place(toks: list[_Tok], i: int) -> bool:
    """Whether unknown words after this word would be a place name."""
    e = toks[i].entry
    assert e is not None
    if e.cue in ("seen", "toward", "head", "from", "between") or e.area is not None:
        return True
    if e.compass is None or e.compass_form in ("abbr", "adv"):
        return False
    # شرق X, east of X: a compass word introduces a place unless it is a heading (متجه شرق ...)
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    of_follows = nxt is not None and nxt.e.cue == "of"
    if toks[i].raw.isascii() and not of_follows:
        return False
    j = i - 1
    while j >= 0 and (toks[j].e.filler or toks[j].e.compass is not None):
        j -= 1
    if j >= 0 and (toks[j].kind == "arrow" or toks[j].e.cue in ("head", "toward", "from")):
        return of_follows
    return toks[i].prefix != "ل"


def _skippable(toks: list[_Tok], j: int, cue: _Entry) -> bool:
    e = toks[j].entry
    assert e is not None
    return e.filler or e.cue == "of" or (toks[j].key == "من" and cue.compass is not None)


def _roles(toks: list[_Tok], spans: list[_Span]) -> None:
    """Each place's role from the cue before it; relative positions from compass words around it."""
    for span in spans:
        _look_back(toks, span)
        _look_ahead(toks, span)
        if span.match is not None and span.match.prefix == "ل" and not span.cued and (
                span.bearing is None and span.area is None):
            span.role, span.cued = "toward", True  # لX: to X
        if span.bearing is not None and span.area in (None, "near"):
            span.area = "of"


def _look_back(toks: list[_Tok], span: _Span) -> None:
    j = span.start - 1
    via_of = False
    while j >= 0:
        tok = toks[j]
        e = tok.entry
        if tok.kind == "num":
            unit = toks[j + 1].entry if j + 1 < len(toks) else None
            if unit is not None and unit.unit == "km" and 0 < tok.num < 100:
                span.distance_m = tok.num * 1000.0
                tok.used = True
                j -= 1
                continue
            return
        if tok.kind == "arrow":
            span.role, span.cued = "toward", True
            return
        if tok.kind == "word" and e is None and j == span.start - 1 and tok.content():
            j -= 1  # one word about the place (مخيمات, camps) between the cue and the name
            continue
        if tok.kind != "word" or e is None:
            return
        if e.filler or e.unit == "km":
            j -= 1
            continue
        if e.cue == "of":
            via_of = True
            j -= 1
            continue
        if tok.key == "من" and j > 0:
            prev = toks[j - 1].entry
            if prev is not None and prev.compass is not None and not toks[j - 1].used:
                via_of = True  # الى الشرق من X: east of X
                j -= 1
                continue
            if prev is not None and prev.cue == "seen":
                j -= 1  # بالقرب من X, قريب من X: near X
                continue
            if prev is not None and prev.cue == "toward":
                j -= 1  # تقترب من X: approaching X
                continue
        if e.area is not None and span.area in (None, "near"):
            span.area = e.area
            tok.used = True
            j -= 1
            continue
        if e.compass is not None and not tok.used and span.bearing is None and _relative_compass(tok, via_of):
            k = j
            while k > 0 and toks[k - 1].compass() is not None:
                k -= 1
            span.bearing = _combine(_directions(toks[k : j + 1]))
            for t in toks[k : j + 1]:
                t.used = True
            j = k - 1
            continue
        if e.cue is not None:
            span.cued = True
            if e.cue == "seen":
                span.role = "seen"
                if e.near:
                    span.area = span.area or "near"
                if e.weak_cue and j > 0 and toks[j - 1].e.cue == "head":
                    span.role = "toward"  # رايح ع X: going to X
                elif e.near and e.weak_cue and j + 1 < len(toks) and toks[j + 1].key == "to":
                    span.role = "seen"
            elif e.cue in ("toward", "head"):
                span.role = "toward"
                if e.weak_cue and j > 0 and toks[j - 1].key in ("close", "next", "near"):
                    span.role, span.area = "seen", span.area or "near"
                elif via_of and e.weak_cue:
                    span.role = "seen"  # to the east of X: a position
            elif e.cue == "from":
                span.role = "from"
            elif e.cue == "between":
                span.role = "between"
            else:
                span.role = "bare"
            return
        if e.action == "takeoff":
            span.role, span.cued = "from", True  # Su-24 takeoff <base>
            return
        return


def _relative_compass(tok: _Tok, via_of: bool) -> bool:
    e = tok.entry
    assert e is not None
    if e.compass_form == "adv":
        return False
    if e.compass_form == "abbr":
        return via_of
    return True


def _look_ahead(toks: list[_Tok], span: _Span) -> None:
    k = span.end
    while k < len(toks):
        tok = toks[k]
        e = tok.entry
        if tok.kind != "word" or e is None:
            return
        if e.area is not None and span.area in (None, "near"):
            span.area = e.area
            tok.used = True
            k += 1
            continue
        definite = tok.raw.startswith("ال")  # X الجنوبي: southern X
        if tok.compass() is not None and span.bearing is None and e.compass_form == "adj" and (
                span.area in ("countryside", "outskirts") or definite or _area_follows(toks, k)):
            last = k
            while last + 1 < len(toks) and toks[last + 1].compass() is not None:
                last += 1
            span.bearing = _combine(_directions(toks[k : last + 1]))
            for t in toks[k : last + 1]:
                t.used = True
            k = last + 1
            continue
        return


def _area_follows(toks: list[_Tok], k: int) -> bool:
    n = k + 1
    while n < len(toks) and toks[n].e.compass is not None:
        n += 1
    return n < len(toks) and toks[n].e.area is not None


def _directions(toks: list[_Tok]) -> list[float]:
    return [t.e.compass for t in toks if t.e.compass is not None]


def _read_heading(toks: list[_Tok]) -> _Heading | None:
    """The heading from compass words not used for a relative position, by the cue before them."""
    best: _Heading | None = None
    i = 0
    while i < len(toks):
        tok = toks[i]
        e = tok.entry
        if tok.kind == "num" and not tok.used and tok.num <= 360 and i > 0 and (
                toks[i - 1].e.cue in ("head", "toward") and not toks[i - 1].e.weak_cue):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if len(tok.raw) == 3 or (nxt is not None and (nxt.kind == "deg" or nxt.e.unit == "deg")):
                tok.used = True  # heading 045, course 230°
                found = _Heading(float(tok.num % 360), 3, 0.9)
                if best is None or found.priority > best.priority:
                    best = found
            i += 1
            continue
        if tok.kind != "word" or e is None or e.compass is None or tok.used:
            i += 1
            continue
        j = i
        while j + 1 < len(toks) and toks[j + 1].compass() is not None:
            j += 1
        group = toks[i : j + 1]
        i = j + 1
        forms = [t.e.compass_form for t in group]
        deg = _combine(_directions(group))
        p = tok.index - 1
        while p >= 0 and toks[p].e.filler:
            p -= 1
        prev = toks[p] if p >= 0 else None
        pe = prev.e if prev is not None else _EMPTY
        # رايح ع الشمال: "ع"/"على" after a verb of going is "to"
        to_after_verb = pe.weak_cue and pe.cue == "seen" and p > 0 and toks[p - 1].e.cue == "head"
        arrow = prev is not None and prev.kind == "arrow"
        if arrow or tok.prefix == "ل" or pe.cue in ("toward", "head") or to_after_verb:
            found = _Heading(deg, 3, 0.9)
        elif pe.cue == "from":
            found = _Heading((deg + 180.0) % 360.0, 2, 0.8)
        elif "adv" in forms:
            found = _Heading(deg, 3, 0.85)
        else:
            single = all(len(t.key) == 1 for t in group)
            shouted = all(t.raw.isupper() for t in group)
            if single or (forms[0] == "abbr" and not shouted):
                continue
            if "adj" in forms and _next_to_part(toks, group):
                # the western side, الأحياء الشرقية: a part of a place, not a heading (but جهة
                # الشمال, "towards the north", and "NE side by side" keep theirs: no adjective)
                continue
            found = _Heading(deg, 1, 0.5)
        if best is None or found.priority >= best.priority:
            best = found  # of two alike, the later: "heading NE, then turned north"
    return best


def _next_to_part(toks: list[_Tok], group: list[_Tok]) -> bool:
    """Whether a word for a part of a place (side, neighbourhood, حي) is right before or after the group."""
    before, after = group[0].index - 1, group[-1].index + 1
    return (before >= 0 and toks[before].e.part) or (after < len(toks) and toks[after].e.part)


def _read_count(toks: list[_Tok]) -> tuple[int | None, float]:
    """How many aircraft: a number, a number word, a dual form, x2, a pair."""
    best: tuple[float, int] | None = None
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i > 0 else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        strength = 0.0
        n = 0
        if tok.kind == "num" and not tok.used:
            n = tok.num
            if not 1 <= n <= 20:
                continue
            if nxt is not None and (nxt.kind == "deg" or nxt.e.unit is not None):
                continue
            if prev is not None and prev.kind == "word" and len(prev.key) == 1 and prev.key != "x":
                continue  # M4 (a road), F16
            after = toks[i + 2] if i + 2 < len(toks) else None
            before = toks[i - 2] if i > 1 else None
            if (nxt is not None and nxt.raw in ":/." and after is not None and after.kind == "num") or (
                    prev is not None and prev.raw in ":/." and before is not None and before.kind == "num"):
                continue  # a time or a date: 03:15, 25/11
            near_aircraft = any(t is not None and (t.kind == "times" or t.key == "x" or t.names_aircraft())
                                for t in (prev, nxt))
            strength = 0.95 if near_aircraft else 0.6
        elif tok.kind == "word" and tok.entry is not None and tok.entry.count is not None:
            n = tok.entry.count
            near_aircraft = any(t is not None and t.names_aircraft() for t in (prev, nxt))
            strength = 0.9 if (n != 1 or near_aircraft) else 0.4
            if n == 1 and not near_aircraft:
                continue  # "one" is rarely a count on its own ("one of ...")
        else:
            continue
        if best is None or strength > best[0]:
            best = (strength, n)
    if best is None:
        return None, 0.0
    return best[1], best[0]


_ACTION_ORDER: tuple[Action, ...] = ("striking", "takeoff", "leaving", "circling", "transit")


def _read_action(toks: list[_Tok], moving: bool) -> tuple[Action, float]:
    weights: dict[Action, float] = {}
    for tok in toks:
        e = tok.entry
        if tok.kind == "word" and e is not None and e.action is not None:
            weights[e.action] = max(weights.get(e.action, 0.0), e.action_weight)
    for action in _ACTION_ORDER:
        w = weights.get(action, 0.0)
        if w >= 0.5:
            return action, w
    if moving:
        return "transit", 0.5
    return "unknown", 0.0


def _is_airbase(place: Place) -> bool:
    return "air" in place.kind.lower() or place.kind.lower() in ("base", "airport")


def _position(span: _Span) -> tuple[float, float, float]:
    """Where a place span puts the aircraft, and how uncertain that is (1 sigma, metres)."""
    assert span.match is not None
    place = span.match.place
    if _is_airbase(place):
        base_sigma = AIRBASE_SIGMA_M
    else:
        base_sigma = min(TOWN_SIGMA_MAX_M, max(TOWN_SIGMA_MIN_M, place.radius_m))
    lat, lon = place.lat, place.lon
    if span.area == "countryside":
        if span.bearing is None:
            return lat, lon, COUNTRYSIDE_ONLY_SIGMA_M
        lat, lon = _offset(lat, lon, span.bearing, span.distance_m or COUNTRYSIDE_OFFSET_M)
        return lat, lon, COUNTRYSIDE_SIGMA_M
    if span.area == "outskirts":
        if span.bearing is None:
            return lat, lon, max(base_sigma, OUTSKIRTS_SIGMA_M)
        lat, lon = _offset(lat, lon, span.bearing, max(place.radius_m, TOWN_SIGMA_MIN_M))
        return lat, lon, max(base_sigma, OUTSKIRTS_SIGMA_M)
    if span.bearing is not None:
        distance = span.distance_m or RELATIVE_OFFSET_M
        lat, lon = _offset(lat, lon, span.bearing, distance)
        sigma = max(1500.0, 0.4 * distance) if span.distance_m else RELATIVE_SIGMA_M
        return lat, lon, sigma
    if span.area == "near":
        return lat, lon, base_sigma + NEAR_EXTRA_SIGMA_M
    return lat, lon, base_sigma
