"""What a message's words say: aircraft, count, action, the roles of its places, and its heading.

Each reader takes the tokens of one message (:mod:`nadhir.intake.tokens`) and marks or
returns what it finds; :class:`~nadhir.intake.text.MessageReader` puts them together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from nadhir.domain import Action, AircraftType
from nadhir.geo.names import (
    arabic_prefix_variants,
)
from nadhir.intake.lexicon import (
    AERIAL_TARGET,
    BARREL_HINTS,
    BASE_WORDS,
    CIRCLE_WORDS,
    DOWN_WORDS,
    DUAL_ENDINGS,
    DUAL_STEMS,
    EMPTY,
    FIRE_OPENERS,
    FIRE_WORDS,
    FLYING_WORDS,
    FORCE_WORDS,
    FUZZY_AIRCRAFT,
    FUZZY_AIRCRAFT_KEYS,
    JET_PHRASES,
    LAUNCH_TOWARD_WITHIN,
    LAUNCH_WORDS,
    MANNER_WORDS,
    MARCH_WORDS,
    MODIFIER_WORDS,
    MOMENT_WORDS,
    NO_PILOT,
    PERSIST_WORDS,
    PERSON_WORDS,
    PLANE_WORDS,
    RECON_SORTIE_WORDS,
    RESUME_WORDS,
    RIGGED_WORDS,
    SIGHTED_WORDS,
    SORTIE_WORDS,
    TAKE_WORDS,
    TALLY_NOUNS,
    Entry,
)
from nadhir.intake.tokens import Span, Tok


def _combine(degs: list[float]) -> float:
    """One direction from compass words in a row: north + west -> 315."""
    first = degs[0]
    for other in degs[1:]:
        if abs(((other - first + 180.0) % 360.0) - 180.0) in (90.0, 45.0):
            x = math.sin(math.radians(first)) + math.sin(math.radians(other))
            y = math.cos(math.radians(first)) + math.cos(math.radians(other))
            return round(math.degrees(math.atan2(x, y)) % 360.0, 6)
    return first


@dataclass(slots=True)
class Heading:
    deg: float
    priority: int  # 3 explicit, 2 "coming from", 1 a bare compass word
    confidence: float


# --- steps that need no gazetteer ----------------------------------------------------------------


def phrases(toks: list[Tok]) -> None:
    """Two-word phrases: took off, heading back, بدون طيار, in circles."""
    for i in range(len(toks) - 1):
        a, b = toks[i], toks[i + 1]
        if a.kind != "word" or b.kind != "word":
            continue
        if a.key in TAKE_WORDS and b.e.off:
            a.entry = Entry(action="takeoff", action_weight=0.95)
        elif b.e.back and a.e.cue == "head":
            b.entry = Entry(action="leaving", action_weight=0.9)
        elif a.key in NO_PILOT[0] and b.key in NO_PILOT[1]:
            b.entry = Entry(aircraft="drone", aircraft_weight=0.95)
        elif (a.key, b.key) in JET_PHRASES:
            b.entry = Entry(aircraft="jet", aircraft_weight=0.8)
        elif b.key in CIRCLE_WORDS:
            b.entry = Entry(action="circling", action_weight=0.9)
        elif a.key in MODIFIER_WORDS and b.e.aircraft is not None:
            a.entry = replace(a.e, action=None, action_weight=0.0)  # "strike UAVs": which drones
        elif a.e.action == "striking" and b.key in DOWN_WORDS:
            a.entry = replace(a.e, action=None, action_weight=0.0)  # "shot down": done to an aircraft
        elif a.e.aircraft == "drone" and b.key in MARCH_WORDS:
            a.entry = replace(a.e, aircraft=None, aircraft_weight=0.0)  # مسيرة الأعلام: a march
        elif a.e.plane_noun and b.key in RIGGED_WORDS:
            b.entry = Entry(aircraft="drone", aircraft_weight=0.9)  # طائرة مفخخة: an explosive drone
        elif a.key in FIRE_OPENERS and b.key in FIRE_WORDS:
            b.entry = Entry(action="striking", action_weight=0.95)  # opened fire on, فتحت النار
        elif (a.key, b.key) in AERIAL_TARGET:
            b.entry = Entry(action="transit", action_weight=0.5)  # هدف جوي: something seen up there
        elif a.key in SORTIE_WORDS and b.key in RECON_SORTIE_WORDS:
            # طلعات استطلاعية: reconnaissance sorties over a place are flying about there, not a tally
            a.entry = replace(a.e, summary=0.0, action="circling", action_weight=0.6)
    _launched_toward(toks)
    _resuming(toks)
    _persisting(toks)


def _launched_toward(toks: list[Tok]) -> None:
    """ "أطلقها الحوثيون باتجاه", "launched towards": a drone launched towards a place is heading there."""
    words = [t for t in toks if t.kind == "word" and not t.e.filler]
    for i, tok in enumerate(words):
        if tok.key in LAUNCH_WORDS and any(
            w.e.cue == "toward" and not w.e.weak_cue for w in words[i + 1 : i + 1 + LAUNCH_TOWARD_WITHIN]
        ):
            tok.entry = replace(tok.e, action="transit", action_weight=0.8)


def _resuming(toks: list[Tok]) -> None:
    """ "عاد الطيران للتحليق", "returned to fly over": returning to an action is resuming it, not leaving."""
    words = [t for t in toks if t.kind == "word"]
    for i, tok in enumerate(words[:-1]):
        if tok.e.action != "leaving":
            continue
        nxt = words[i + 1]
        after = words[i + 2] if i + 2 < len(words) else None
        # Arabic puts the subject between: عاد الطيران الحربي للتحليق
        to_action = any(_an_action(w) and w.prefix == "ل" for w in words[i + 1 : i + 1 + RESUME_WITHIN])
        person = nxt.key in RESUME_WORDS and after is not None and after.key in PERSON_WORDS
        if to_action or person or (nxt.key in RESUME_WORDS and after is not None and _an_action(after)):
            tok.entry = replace(tok.e, action=None, action_weight=0.0)


def _an_action(tok: Tok) -> bool:
    """Whether the word names an action other than leaving (what "returned to ..." resumes)."""
    return tok.e.action not in (None, "leaving")


BASE_NATIONALITY_WITHIN = 3  # "قاعدة حميميم الجوية الروسية": the base word this many words before
PERSIST_WITHIN = 3  # "لا تزال الطائرات الحربية تحلق": the flying word this many words after "still"
RESUME_WITHIN = 4  # "عاد الطيران الحربي للتحليق": the action this many words after "returned"
MANNER_WITHIN = 8  # "تحلق في أجواء مدينة إدلب وريفها الجنوبي بشكل مكثف": the manner this many words after
MANNER_BEFORE = 4  # "since yesterday evening unprecedented flying": the manner this many words before
CREWED_OVERRULES = 0.9  # a named crewed model overrules type hints below this (barrels, Russian)


def _persisting(toks: list[Tok]) -> None:
    """ "still flying over", "continuous flight", "flying intensively", "flying since dawn": a loiter."""
    words = [t for t in toks if t.kind == "word"]
    for i, tok in enumerate(words):
        if tok.key not in FLYING_WORDS:
            continue
        near = words[max(0, i - PERSIST_WITHIN) : i] + words[i + 1 : i + 2]
        after = words[i + 1 : i + 1 + MANNER_WITHIN]
        manner = any(
            w.key in MANNER_WORDS and not (j + 1 < len(after) and after[j + 1].key in MOMENT_WORDS)
            for j, w in enumerate(after)
        )
        # English says the manner first: "unprecedented flying", "since yesterday evening ... flying"
        before = words[max(0, i - MANNER_BEFORE) : i]
        manner = manner or (tok.raw.isascii() and any(w.key in MANNER_WORDS for w in before))
        manner = manner and tok.e.action != "circling"  # تحليق مكثف is a loiter already: keep its weight
        if manner or any(w.key in PERSIST_WORDS for w in near):
            tok.entry = replace(tok.e, action="circling", action_weight=0.9)


def read_aircraft(toks: list[Tok]) -> tuple[AircraftType, float, AircraftType]:
    """The aircraft type with the most weight, its confidence, and the type named by a dual form."""
    scores: dict[AircraftType, float] = {}
    first_seen: dict[AircraftType, int] = {}
    dual_type: AircraftType = "unknown"
    crewed = names_crewed_model(toks)
    # "a military aircraft dropped barrels", "the aircraft dropped explosive barrels": the text
    # says a plane dropped them and names no type; barrels hint at a helicopter only when no
    # plane is named (nsr313 on Aleppo, Sudan's barrels from "the aircraft"). A typed word
    # beside them (طائرة مروحية) keeps its hint, so its confidence is as before.
    plane_named = any(t.kind == "word" and t.key in PLANE_WORDS for t in toks) and not any(
        t.kind == "word" and t.e.aircraft is not None and t.key not in BARREL_HINTS for t in toks
    )
    for i, tok in enumerate(toks):
        if tok.kind != "word":
            continue
        entry = tok.entry
        kind: AircraftType | None = None
        weight = 0.0
        if crewed and entry is not None and (entry.recon or 0.0 < entry.aircraft_weight < CREWED_OVERRULES):
            continue  # "an Antonov An-30 reconnaissance aircraft", "an Antonov drops barrels": none of ours
        if plane_named and tok.key in BARREL_HINTS:
            continue
        if entry is not None and 0.0 < entry.aircraft_weight < 0.5 and _names_a_force(toks, i):
            continue  # الغارات الروسية, "regime or Russian aviation": who raided, not which type
        if entry is not None and entry.model is not None:
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and nxt.kind == "num" and 2 <= nxt.num < 1000:
                kind, weight = entry.model, 0.95
                nxt.used = True
        if kind is None and entry is not None and entry.aircraft is not None:
            kind, weight = entry.aircraft, entry.aircraft_weight
        if kind is None and entry is None and tok.key.endswith(DUAL_ENDINGS) and tok.key[0] >= "\u0600":
            ending = next(e for e in DUAL_ENDINGS if tok.key.endswith(e))
            stem = tok.key[: -len(ending)]
            for s in (stem, *arabic_prefix_variants(stem)):
                dual = DUAL_STEMS.get(s)
                if dual is not None:
                    tok.entry = Entry(count=2, plane_noun=True)
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


def _names_a_force(toks: list[Tok], i: int) -> bool:
    """Whether a nationality word (روسي, Russian) qualifies raids or pairs with the regime.

    The nationality is a weak prior for the type only when it describes an aircraft ("طائرة
    روسية", "a Russian over Saraqeb"). Observatory prose also says "the Russian raids" (الغارات
    الروسية), "Russian strikes" and "the regime's or the Russian aviation" (لطيران النظام أو
    الروسي): there it says whose air force, and the text names no type (al-Masdar, SMART).
    """
    before = next((t for t in reversed(toks[:i]) if t.kind != "sep"), None)
    after = toks[i + 1] if i + 1 < len(toks) else None
    # "قاعدة حميميم الجوية الروسية", "Russia's air base": whose base, not which aircraft
    prior = [t for t in toks[max(0, i - BASE_NATIONALITY_WITHIN) : i] if t.kind == "word"]
    later = [t for t in toks[i + 1 : i + 1 + BASE_NATIONALITY_WITHIN] if t.kind == "word"]
    if any(t.key in BASE_WORDS for t in (*prior, *(later if toks[i].raw.isascii() else []))):
        return True
    for near in (before, after if toks[i].raw.isascii() else None):
        if near is None or near.kind != "word":
            continue
        if near.key in FORCE_WORDS or near.key in TALLY_NOUNS or near.e.action == "striking":
            return True
    return False


def names_crewed_model(toks: list[Tok]) -> bool:
    """Whether the message names a crewed model that is no jet, helicopter or drone (Antonov, An-30)."""
    for i, tok in enumerate(toks):
        if tok.kind != "word":
            continue
        if tok.e.crewed:
            return True
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        model_number = nxt is not None and nxt.kind == "num" and 2 <= nxt.num < 200
        if tok.key == "an" and tok.raw[:1] == "A" and model_number:
            return True  # An-26, An-30 (not the article "an")
    return False


def _fuzzy_aircraft(toks: list[Tok]) -> tuple[AircraftType | None, float]:
    """A misspelt aircraft word (helikopter, مروحبة), tried only when no aircraft word was found."""
    for tok in toks:
        if not tok.content() or len(tok.key) < 6:
            continue
        best = process.extractOne(tok.key, FUZZY_AIRCRAFT_KEYS, scorer=fuzz.ratio, score_cutoff=85.0)
        if best is not None:
            entry = FUZZY_AIRCRAFT[best[0]]
            return entry.aircraft, entry.aircraft_weight * best[1] / 100.0 * 0.8
    return None, 0.0


def cue_before(toks: list[Tok], start: int) -> bool:
    j = start - 1
    while j >= 0 and toks[j].e.filler:
        j -= 1
    if j < 0:
        return False
    if toks[j].kind == "arrow":
        return True
    e = toks[j].entry
    return e is not None and (e.cue is not None or e.compass is not None or e.area is not None)


def aircraft_before(toks: list[Tok], start: int) -> bool:
    prev = toks[start - 1] if start > 0 else None
    if prev is not None and prev.kind == "num" and prev.used:
        return True  # Su-24 <name>
    return prev is not None and prev.names_aircraft()


def heading_after(toks: list[Tok], end: int) -> bool:
    nxt = toks[end] if end < len(toks) else None
    return nxt is not None and (nxt.kind == "arrow" or nxt.e.cue == "head")


def introduces_place(toks: list[Tok], i: int) -> bool:
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


def skippable(toks: list[Tok], j: int, cue: Entry) -> bool:
    e = toks[j].entry
    assert e is not None
    return e.filler or e.cue == "of" or (toks[j].key == "من" and cue.compass is not None)


def roles(toks: list[Tok], spans: list[Span]) -> None:
    """Each place's role from the cue before it; relative positions from compass words around it."""
    for span in spans:
        _look_back(toks, span)
        _look_ahead(toks, span)
        if span.match is not None and span.match.prefix == "ل" and not span.cued and (
                span.bearing is None and span.area is None):
            span.role, span.cued = "toward", True  # لX: to X
        if span.bearing is not None and span.area in (None, "near"):
            span.area = "of"


def _look_back(toks: list[Tok], span: Span) -> None:
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


def _relative_compass(tok: Tok, via_of: bool) -> bool:
    e = tok.entry
    assert e is not None
    if e.compass_form == "adv":
        return False
    if e.compass_form == "abbr":
        return via_of
    return True


def _look_ahead(toks: list[Tok], span: Span) -> None:
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


def _area_follows(toks: list[Tok], k: int) -> bool:
    n = k + 1
    while n < len(toks) and toks[n].e.compass is not None:
        n += 1
    return n < len(toks) and toks[n].e.area is not None


def _directions(toks: list[Tok]) -> list[float]:
    return [t.e.compass for t in toks if t.e.compass is not None]


def read_heading(toks: list[Tok]) -> Heading | None:
    """The heading from compass words not used for a relative position, by the cue before them."""
    best: Heading | None = None
    i = 0
    while i < len(toks):
        tok = toks[i]
        e = tok.entry
        if tok.kind == "num" and not tok.used and tok.num <= 360 and i > 0 and (
                toks[i - 1].e.cue in ("head", "toward") and not toks[i - 1].e.weak_cue):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if len(tok.raw) == 3 or (nxt is not None and (nxt.kind == "deg" or nxt.e.unit == "deg")):
                tok.used = True  # heading 045, course 230°
                found = Heading(float(tok.num % 360), 3, 0.9)
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
        pe = prev.e if prev is not None else EMPTY
        # رايح ع الشمال: "ع"/"على" after a verb of going is "to"
        to_after_verb = pe.weak_cue and pe.cue == "seen" and p > 0 and toks[p - 1].e.cue == "head"
        arrow = prev is not None and prev.kind == "arrow"
        if arrow or tok.prefix == "ل" or pe.cue in ("toward", "head") or to_after_verb:
            found = Heading(deg, 3, 0.9)
        elif pe.cue == "from":
            found = Heading((deg + 180.0) % 360.0, 2, 0.8)
        elif "adv" in forms:
            found = Heading(deg, 3, 0.85)
        else:
            single = all(len(t.key) == 1 for t in group)
            shouted = all(t.raw.isupper() for t in group)
            if single or (forms[0] == "abbr" and not shouted):
                continue
            if "adj" in forms and _next_to_part(toks, group):
                # the western side, الأحياء الشرقية: a part of a place, not a heading (but جهة
                # الشمال, "towards the north", and "NE side by side" keep theirs: no adjective)
                continue
            found = Heading(deg, 1, 0.5)
        if best is None or found.priority >= best.priority:
            best = found  # of two alike, the later: "heading NE, then turned north"
    return best


def _next_to_part(toks: list[Tok], group: list[Tok]) -> bool:
    """Whether a word for a part of a place (side, neighbourhood, حي) is right before or after the group."""
    before, after = group[0].index - 1, group[-1].index + 1
    return (before >= 0 and toks[before].e.part) or (after < len(toks) and toks[after].e.part)


def read_count(toks: list[Tok]) -> tuple[int | None, float]:
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


def read_action(toks: list[Tok], moving: bool) -> tuple[Action, float]:
    weights: dict[Action, float] = {}
    for tok in toks:
        e = tok.entry
        if tok.kind == "word" and e is not None and e.action is not None:
            weights[e.action] = max(weights.get(e.action, 0.0), e.action_weight)
    for action in _ACTION_ORDER:
        w = weights.get(action, 0.0)
        if w >= 0.5:
            return action, w
    if moving or any(tok.key in SIGHTED_WORDS for tok in toks if tok.kind == "word"):
        return "transit", 0.5
    return "unknown", 0.0
