"""The message reader's lexicon: what each word about aircraft, movement and direction can mean.

Word lists kept as data: each word's entry is built here once, at import. Place names are
not here; they come from the gazetteer (:mod:`nadhir.geo.gazetteer`).
"""

from __future__ import annotations

from dataclasses import dataclass

from nadhir.domain import Action, AircraftType
from nadhir.geo.names import (
    normalise_word,
)

# --- the lexicon ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
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
    summary: float = 0.0  # how much the word says "a tally of past sorties" (yesterday, sorties)
    shelter: bool = False  # a word of a call to take cover (shelters, clear the streets)
    recon: bool = False  # reconnaissance, استطلاع: a drone, unless a crewed model is named
    crewed: bool = False  # Antonov, Ilyushin: a crewed aircraft that is no jet, helicopter or drone


LEXICON: dict[str, Entry] = {}
EMPTY = Entry()


def _entries(words: str) -> list[Entry]:
    out = []
    for word in words.split():
        key = normalise_word(word.replace("_", " "))
        if not key:
            key = word.lower()
        entry = LEXICON.get(key)
        if entry is None:
            entry = LEXICON[key] = Entry()
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
_set("recon reconnaissance surveillance استطلاع استطلاعيه استطلاعي", recon=True)
# محلّقة, "the hoverer": how Lebanese outlets name a quadcopter (Lebanon Debate, NNA).
_aircraft("drone", 0.7, "محلقه محلقات")
# "طيران العدو التجسسي", the enemy's spy aviation: Lebanese usage for a reconnaissance drone (al-Mehwar).
_aircraft("drone", 0.9, "تجسسي تجسسيه")
_set("تجسسي تجسسيه", recon=True)
# Crewed models that are no jet, helicopter or drone: the An-30 reconnaissance aircraft over
# Syria (SOHR), the Antonov and Ilyushin bombers over Darfur and Kordofan (Darfur 24, Radio
# Dabanga). Naming one overrules "reconnaissance" (a drone) and the nationality prior.
_set("antonov antonovs انتونوف انطونوف انتنوف انتوف ilyushin اليوشن اليوشين", crewed=True)
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
    اقلع اقلعت يقلع تقلع اقلاع اقلاعات اقلعتا انطلق انطلقت انطلاق ينطلق تنطلق اقلعوا يقلعوا انطلقوا ينطلقوا
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
    raided raiding القت القوا القاء
    shot shooting
""")
# هاجم, "attacked", and هجوم, "an attack": how drone and raid reports say a strike (Yalla
# Syria's FPV drones, al-Taghyeer's and al-Nour's drone attacks on Khartoum). A ground attack
# (هجوم بري) is no air strike (GROUND_FIRE_WORDS).
_action("striking", 0.95, "هاجم هاجمت يهاجم تهاجم هاجمتا يهاجمان تهاجمان هجوم هجمات هجوما")
# دمّر, "destroyed", with the aviation as subject (Sudan Tribune's and Asharq al-Awsat's "the
# army's warplanes destroyed Nyala airport"). تدمر is left out: it is also Palmyra.
_action("striking", 0.95, "دمر دمرت يدمر دمرتا")
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
    دايريا دورانات
""")
# تمشيط, "combing" an area (helicopters searching where pilots came down, SOHR): a loiter.
_action("circling", 0.9, "تمشط يمشط تمشيط تمشطان يمشطان combing")
# جاب, "roamed" the sky (Nedaa Syria's "جابت أجواء محافظة إدلب", al-Awal's drones "تجوب سماء
# المدينة", MEE's quadcopters "that kept roaming"): a loiter.
_action("circling", 0.9, "تجوب يجوب جابت جاب تجوبان يجوبان roaming roam roams roamed")
# تحليق, "flying about" over an area, is how observatories say a loiter; حلّق, "flew over", a pass.
_action("circling", 0.6, "تحليق تحليقا")
_action("transit", 0.5, "حلق حلقت حلقتا flew دخل دخلت يدخل تدخل entered entering")
# "تقوم بدوريات على علو منخفض", "patrolling over": a patrol flies about an area (a civil-defence
# source on drones over Beirut).
_action("circling", 0.6, "دوريات بدوريات patrolling patrols")
_action("circling", 0.6, "flights")
_action("transit", 0.5, "flight")
_action("transit", 0.8, """
    passing passes passed crossing crosses crossed transiting transit overflying overflew
    عابر عابره يعبر تعبر مر مرت يمر تمر مرور
    عبرت عبروا عبرتا
    اجتاز اجتازت يجتاز تجتاز اجتازتا
""")
# Breaching the airspace is how an air force, a border army or a Home Front alert says an
# aircraft came in: a pass (Times of Israel's "drone infiltration" sirens, World Israel News'
# "penetrated Israeli territory", al-Jadeed's "خرقتا الأجواء اللبنانية", al-Masirah's and
# Mwatan's اختراق). A mock raid is a low pass too (below).
_action("transit", 0.8, """
    infiltration infiltrated infiltrating penetrated penetrating penetration intrusion intruded breached
    breaching
    اختراق اخترق اخترقت يخترق تخترق اخترقتا يخترقان تخترقان خرق خرقت يخرق تخرق خرقتا
    تسلل تسللت يتسلل تتسلل تسللتا
""")
_action("transit", 0.5, """
    heading headed moving going flying flies travelling traveling bound
    متجه متجهه متجهين متجهات متجهتين يتجه تتجه يتجهان تتجهان متوجه متوجهه يتوجه تتوجه رايح رايحه
    ماشي ماشيه يروح تروح
    اتجه اتجهت اتجهتا
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
    heading headed heads moving moves going goes flying flies flew travelling traveling bound course dir hdg
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

# Summaries of past sorties: what a tally says and a live call does not. Weights add up in
# nadhir.intake.idiom; a message reaching 1 is a summary, not a sighting.
_set("""
    طلعه طلعات sortie sorties حصيله tally امس البارحه yesterday اولا ثانيا ثالثا رابعا خامسا
    عشرات dozens مئات hundreds احصي احصت ماضيه ماضي
    طلعاتها طلعاته
""", summary=1.0)
_set("""
    تصعيد escalation تشهد شهدت يشهد شهد witnessing witnessed يرتفع ارتفع عدد سجل سجلت recorded
    اقلاعات takeoffs وثق وثقت documented number حمله campaign متكرر متكررا متكرره repeated rose
""", summary=0.5)
# A call to take cover: it names no aircraft, it tells people what to do.
_set("""
    احتموا احتماء اختبئوا اختباء اخلوا اخلاء ملاجي ملجا ملاجئ shelter shelters evacuate evacuation
    respond ابتعدوا ابتعاد نوافذ windows ادخلوا
    الجأوا الجاوا لجوء يلجأ
    basement basements قبو اقبيه
""", shelter=True)

# Duals: طائرتان, مروحيتين ... the stem (taa marbuta written as ت before the ending) and its type.
DUAL_STEMS: dict[str, AircraftType] = {
    "طاير": "unknown", "طيار": "unknown", "مروحي": "helicopter", "حربي": "jet", "مسير": "drone",
    "حوام": "helicopter", "زنان": "drone", "مقاتل": "jet", "قاذف": "jet", "نفاث": "jet",
}
DUAL_ENDINGS = ("تان", "تين", "تا")  # طائرتان, طائرتين, and طائرتا before a noun
TAKE_WORDS = frozenset({"took", "take", "taking", "takes", "taken"})
# "طائرة دون طيار" (Lebanon 24 on the Russian MoD): دون without the ب is the same "without a pilot".
NO_PILOT = (frozenset({"بدون", "بلا", "دون", "without"}), frozenset({"طيار", "pilot"}))
FUZZY_AIRCRAFT = {k: e for k, e in LEXICON.items() if e.aircraft is not None and len(k) >= 6}
FUZZY_AIRCRAFT_KEYS = list(FUZZY_AIRCRAFT)
JET_PHRASES = frozenset({("fixed", "wing"), ("fixed", "wings"), ("fast", "mover"), ("fast", "movers")})
CIRCLE_WORDS = frozenset({"circle", "circles", "دوائر", "دايري", "دايريه", "دايريا"})
# Observatory idioms (nadhir.intake.idiom): "barrel helicopter" names the type, not a strike;
# "left the airbase" is a take-off; "without any raids" and "artillery shelling" are no air strike.
BARREL_WORDS = frozenset({"برميل", "barrel"})
# The barrel words as type hints (words.read_aircraft), and the words for "a plane" that say
# what dropped them: طيران, "aviation", is left out (it is how a helicopter force is named too).
BARREL_HINTS = frozenset({"برميل", "براميل", "برميلا", "barrel", "barrels"})
PLANE_WORDS = frozenset({"طايره", "طايرات", "aircraft", "plane", "planes", "airplane", "airplanes"})
LEFT_PLACE_WORDS = frozenset({
    "left", "exited", "غادر", "غادرت", "يغادر", "تغادر", "خرج", "خرجت", "يخرج", "تخرج",
})
# The verbal nouns, "the exit of two warplanes from al-Nayrab airbase" (Step): a take-off when
# an airbase follows (as the simulator's own "خروج <aircraft> من <base>" says), nothing else.
DEPARTURE_NOUNS = frozenset({"خروج", "مغادره"})
DEPARTURE_BASE_WITHIN = 6  # "خروج سرب طيران حربي من مطار": the airbase word this many words after
BASE_WORDS = frozenset({"airbase", "base", "airport", "airfield", "مطار", "قاعده", "مهبط"})
NEGATION_WORDS = frozenset({"دون", "بدون", "without", "no", "لم"})
# Phrases of a call to take cover, and of a summary (nadhir.intake.idiom): word keys in a row.
TAKE_COVER_PHRASES = frozenset({
    ("take", "cover"), ("air", "raid"), ("داخل", "مباني"), ("clear", "streets"),
    # "go to a safe place", "enter the protected spaces" (the UAE's emergency authority, the
    # Israeli Home Front as Mwatan quotes it, Jordan's public security directorate)
    ("مكان", "امن"), ("اماكن", "امنه"), ("اماكن", "محميه"), ("مكان", "محمي"), ("safe", "place"),
    ("safe", "places"), ("protected", "space"), ("protected", "spaces"),
})
LEANING_PHRASES = frozenset({  # 0.5 each towards a summary
    ("منذ", "فجر"), ("منذ", "صباح"), ("since", "dawn"), ("since", "morning"), ("early", "hours"),
    ("تبع", "ذلك"), ("followed", "by"), ("منذ", "منتصف"), ("بشكل", "عام"), ("مختلف", "مناطق"),
    ("in", "general"),
})
# "two days ago", "hours ago", "recent days": a report about a past period ("minutes ago" may be live).
PAST_PHRASES = frozenset({
    ("قبل", "يومين"), ("قبل", "ايام"), ("قبل", "ساعات"), ("قبل", "اسبوع"), ("ايام", "اخيره"),
    ("days", "ago"), ("hours", "ago"), ("last", "night"), ("recent", "days"),
    # "لليوم السابع على التوالي", "for the third day in a row": a pattern of days (Yemen News
    # Now on drones over al-Dhalea), as "for several days" is
    ("علي", "توالي"), ("in", "row"), ("consecutive", "day"), ("straight", "day"),
})
SINCE_UNTIL = (frozenset({"منذ", "since", "from"}), frozenset({"حتي", "until", "till"}))
TAKEOFF_NEGATIONS = frozenset({"عدم", "لم", "no", "not", "never"})
HOUR_WORDS = frozenset({"ساعه", "hour"})
TODAY_WORDS = frozenset({"يوم", "today"})
# A tally counts strikes by the dozen: a number this large next to one of these nouns is no live call.
TALLY_NOUNS = frozenset({
    "غاره", "غارات", "ضربه", "ضربات", "برميل", "براميل", "برميلا", "صاروخ", "صواريخ", "طلعه", "طلعات",
    "raid", "raids", "strike", "strikes", "airstrikes", "barrels", "bombs", "sorties", "missiles",
    # the helicopters' other loads, counted the same way: naval mines and containers (Watan
    # FM's "more than twenty mines on al-Hbeit", Micro Syria, Baladi News)
    "لغم", "لغما", "الغام", "حاويه", "حاويات", "mines", "containers",
})
# "the past hour", "the past minutes": a live window, not a past period (Yemen Press Agency's
# "14 raids in the past hour"); "the past days" stays a tally.
LIVE_WINDOW_WORDS = frozenset({"ساعه", "دقائق", "دقايق", "دقيقه", "hour", "minutes"})
# "still flying over", لا تزال تحلق, "continuous flight": an aircraft that stays over an area
# is loitering (Yemen Press Agency, Masrawy and Nashwan on Sanaa and Saada; SOHR's "continuous
# flight of reconnaissance drones").
PERSIST_WORDS = frozenset({
    "still", "continuous", "continuing", "constant", "تزال", "يزال", "زال", "زالت", "مازال", "مازالت",
    "لازال", "لازالت", "مستمر", "مستمره", "متواصل", "متواصله",
    # "استمر ظهور الجسم الغريب", "continued flying": it kept on being there
    "استمر", "استمرت", "يستمر", "تستمر", "continued", "continues",
})
FLYING_WORDS = frozenset({
    "flying", "flight", "flights", "flies", "تحلق", "يحلق", "تحلقان", "يحلقان", "يحلقون", "تحليق", "تحليقا",
    # "نشاطا جويا مكثفا", intense air activity (al-Awal on drones over al-Dhalea)
    "نشاط", "نشاطا",
    # "the appearance" of an aircraft that goes on (ظهور, with استمر): there all along
    "ظهور",
})
# "flying intensively", "flying since the early hours", تحلق بشكل مكثف, تحلق ... منذ الساعات
# الأولى: flying said with its intensity or its duration is a loiter too (al-Masry al-Youm and
# Khabar Press on Israeli drones over Nabatieh and Gaza, SOHR on Idlib, witnesses in Omdurman).
MANNER_WORDS = frozenset({
    "مكثف", "مكثفه", "مكثفا", "كثيف", "كثيفه", "كثيفا", "كثافه", "بكثافه",
    "intense", "intensive", "intensively", "heavily",
    # "unprecedented flying", نشاطاً ... غير مسبوق
    "unprecedented", "مسبوق",
    "منذ", "since",
})
# "منذ قليل", "a moment ago": the time of the call, not how long the flying has lasted.
MOMENT_WORDS = frozenset({"قليل", "لحظات", "moment", "moments"})
# "Strike UAVs", "attack drones": how Ukrainian Air Force alerts name a drone's kind; the word
# before an aircraft noun says which drones, not that they are striking (UNN).
MODIFIER_WORDS = frozenset({"strike", "attack", "combat", "kamikaze"})
# "منطقة خفض التصعيد", the "de-escalation zone" of Idlib (SOHR, Baladi News): a place, not an
# escalation; the tally word after these is no tally.
DE_WORDS = frozenset({"خفض", "de"})
# "منذ أيام", "منذ عدة أيام", "for days", "for weeks": a period of days is a report about a pattern.
SINCE_WORDS = frozenset({"منذ", "since", "for"})
PERIOD_WORDS = frozenset({"ايام", "اسابيع", "اشهر", "شهور", "days", "weeks", "months"})
PERIOD_WITHIN = 2  # "منذ عدة أيام": the period word this many words after "since"
# "عاد للتحليق", "returned to fly": "returned" with an action after it means resumed, not leaving.
RESUME_WORDS = frozenset({"to"})
# "the regime's or the Russian aviation": a nationality next to these names an air force (words.py).
FORCE_WORDS = frozenset({"نظام", "regime", "او", "or"})
# "Movement of enemy UAVs recorded": a motion noun, a pass at the weakest weight (the Kyiv
# oblast administration's Telegram alerts, as UNN quotes them). "Spotted" or "detected" alone
# names no motion and stays without an action, as the project's own corpora read it.
SIGHTED_WORDS = frozenset({"movement", "movements", "تحركات", "تحرك"})  # "عدة تحركات مكثفة لسرب" (Halazon)
# "no raid recorded": a negated record is a report about a period (al-Masdar's "the local
# observatories have recorded no raid so far").
RECORD_WORDS = frozenset({
    "سجل", "سجلت", "تسجل", "يسجل", "ترصد", "يرصد", "recorded", "documented", "registered",
})
# Tens in words: a tally when next to a tally noun ("أكثر من تسعين غارة"); not lexicon entries,
# since they are also parts of names (جبل الأربعين).
TENS_WORDS = frozenset({
    "عشرين", "ثلاثين", "اربعين", "خمسين", "ستين", "سبعين", "ثمانين", "تسعين", "مئه", "مائه",
    # the same hundreds as the reader folds them (ئ becomes ي): مئة, مائة, مئتين, مئتان
    "ميه", "مايه", "ميتين", "ميتان", "مايتين", "مايتان",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
})
# Month names: "on 28 September" dates a report; a live call needs no date.
MONTH_WORDS = frozenset({
    "كانون", "شباط", "اذار", "نيسان", "ايار", "حزيران", "تموز", "اب", "ايلول", "تشرين",
    "يناير", "فبراير", "مارس", "ابريل", "مايو", "يونيو", "يوليو", "اغسطس", "سبتمبر", "اكتوبر", "نوفمبر",
    "ديسمبر", "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
})
GROUND_FIRE_WORDS = frozenset({
    "قوات", "مدفعي", "مدفعيه", "راجمات", "بري", "بريه", "artillery", "forces", "ground", "mortar", "mortars",
})

# "غارة وهمية", "a mock raid": a low, loud pass with no bomb (the Lebanese news agency on the
# southern suburb of Beirut); the strike word beside these is a pass.
MOCK_WORDS = frozenset({"وهميه", "وهمي", "وهميتين", "mock", "simulated"})
# "the Saudi defences destroyed a drone launched towards Abha airport": a strike word after
# the air defences is their shooting, not the aircraft's (al-Bilad); the aircraft is the object.
DEFENCE_WORDS = frozenset({"دفاعات", "دفاع", "مضادات", "مضاد", "defences", "defenses", "defence", "defense"})
# "مسيرة الأعلام", "مسيرات العودة": a march, not a drone (Akhbar el-Yom on the Flag March in
# Jerusalem): مسيرة followed by what is marched for, or how.
MARCH_WORDS = frozenset({
    "اعلام", "عوده", "سلميه", "احتجاجيه", "شعبيه", "حاشده", "جماهيريه", "تضامنيه", "غضب", "مليونيه",
})
# "returned to his work": a person returning (Electronic Intifada), not an aircraft leaving.
PERSON_WORDS = frozenset({"his", "her", "my", "our"})  # not "their", "its": "returned to their base"
DOWN_WORDS = frozenset({"down"})  # "shot down" is done to an aircraft, not by one

# --- since blind_10 ------------------------------------------------------------------------------
# The air defences' own words for what they did to aircraft: "اعترضت 43 طائرة مسيّرة", "أسقطت 81
# طائرة", "تم إسقاط 61 مسيّرة", "intercepted 92 drones" (Russian and Israeli communiqués, Dabanga).
# With a count of 20 or more aircraft they are a tally of a night's interceptions, not a sighting;
# a shoot-down verb with the defences right after it ("دمرت الدفاعات الجوية طائرتين") is theirs.
SHOOT_DOWN_WORDS = frozenset({
    "اعترض", "اعترضت", "اعتراض", "يعترض", "تعترض", "اسقط", "اسقطت", "اسقاط", "يسقط", "تسقط",
    "دمر", "دمرت", "تدمير", "intercepted", "destroyed", "downed",
})

# --- since blind_9 -------------------------------------------------------------------------------
# "an air raid warning", "the air raid signal", "التحذيرات من الغارات", "صفارات إنذار": the strike
# word names the alarm, not a strike (Ukrainian oblast alerts, Cairo News on the Air Force).
ALARM_WORDS = frozenset({
    "warning", "warnings", "signal", "signals", "alert", "alerts", "alarm", "alarms", "siren", "sirens",
    "تحذير", "تحذيرات", "انذار", "انذارات", "صفارات", "صافرات",
})
# Words allowed between the alarm word and the strike word: "warnings of air raids".
ALARM_JOINERS = frozenset({"of", "about", "from", "air", "من", "عن", "جويه", "جوي"})
# "the threat of UAVs", "under threat of attack UAVs", "يخشون هجمات جديدة", "missiles may enter":
# a threatened, feared or possible attack is no sighting and no strike (Kyiv's military
# administration, Ukraine's Air Force, a Lebanese civil-defence source).
THREAT_WORDS = frozenset({"threat", "threats", "threatened", "danger", "تهديد", "تهديدات"})
FEAR_WORDS = frozenset({
    "fear", "fears", "feared", "fearing", "يخشون", "يخشي", "تخشي", "خشيه", "مخاوف", "تخوف", "تخوفا",
})
MODAL_WORDS = frozenset({
    "may", "might", "could", "possible", "possibly", "potential", "expected",
    "يمكن", "ممكن", "محتمل", "محتمله", "متوقع", "متوقعه", "ربما",
})
THREAT_WITHIN = 4  # "the threat of an attack by drones": the aircraft this many words after the threat
# "interceptor missiles", صواريخ اعتراضية: the defences' weapons, no air strike (the Israeli army
# spokesman on the Golan); "an aerial target", هدف جوي, is what they were fired at: something seen.
INTERCEPT_WORDS = frozenset({"اعتراضيه", "اعتراضي", "interceptor", "interceptors", "interception"})
AERIAL_TARGET = frozenset({("هدف", "جوي"), ("aerial", "target"), ("air", "target")})
# "opened fire on", فتحت النار: a strike (WAFA on a drone over Khan Yunis).
FIRE_OPENERS = frozenset({"opened", "open", "opens", "opening", "فتحت", "فتح", "اطلقت", "اطلق", "اطلقوا"})
FIRE_WORDS = frozenset({"fire", "نار"})
# "a drone launched towards Abha airport", "طائرة مفخخة أطلقها الحوثيون باتجاه": launched
# towards a place is heading there, as the corpus labels it (al-Bilad, Gulf24).
LAUNCH_WORDS = frozenset({"اطلق", "اطلقت", "اطلقه", "اطلقها", "اطلقوا", "اطلقتها", "اطلقتا"})
LAUNCH_TOWARD_WITHIN = 3
# "طائرة مفخخة", "a booby-trapped aircraft": the Houthis' and the militias' word for an
# explosive drone (Gulf24 on Asir).
RIGGED_WORDS = frozenset({"مفخخه", "مفخخات", "مفخخ"})
# "طلعات استطلاعية", "طلعات استكشافية": reconnaissance sorties over a place are flying about
# there (NNA and al-Alam on the south of Lebanon), not a tally of sorties.
SORTIE_WORDS = frozenset({"طلعات", "طلعه", "sorties", "sortie"})
RECON_SORTIE_WORDS = frozenset({
    "استطلاعيه", "استطلاع", "استكشافيه", "استكشافي", "reconnaissance", "surveillance",
})
# "the past 24 hours" is a day's tally, not the live window "the past hour".
LIVE_WINDOW_MAX = 1
# "entered at 6:30 ... then left at 11:35": a flight given from start to end is over.
CLOCK_TIMES_FOR_A_FLIGHT = 2
YESTERDAY_WORDS = frozenset({"امس", "البارحه", "بارحه", "yesterday"})  # "since yesterday": up to now
MONTH_PAST_WORDS = frozenset({"ماضي", "ماضيه", "last"})  # "أكتوبر الماضي": which October, a date
