"""Whether a message is a live sighting, a summary of past sorties, or a call to take cover.

Observatories and civil-defence channels do not only call what they see. They also post
tallies ("55 sorties from four military airports today", "the number of Russian raids rises
to 110", "between 9:50 and 10:00 eight Russian aircraft took off") and relay calls to take
cover ("those from Hass respond immediately to the air raid warning", "go inside, away from
the windows"). Neither says where an aircraft is now: a summary must not start a track, and
a call to take cover must not be read as a strike.

How it decides, on the tokens of one message (:mod:`nadhir.intake.tokens`):

- **take cover**: a word or phrase of a call to take cover (shelters, clear the streets,
  take cover, air raid warning, inside the buildings) and no aircraft named at all. A
  sighting that also tells people to take cover ("barrel helicopter entered from the east,
  clear the streets") stays a sighting;
- **summary**: the summary weights of its words and phrases add up to 1 or more: a word of
  a tally (sorties, yesterday, dozens, first/second in a list) weighs 1, a word that only
  leans that way (escalation, witnessing, past, the number of, documented) 0.5; so do the
  phrases "between <hour> and <hour>" (1), "no/not ... took off" (1), "no raid recorded"
  (لم تسجّل ... أيّة غارة, 1), a date not said to be
  today ("on 28 September", 1), a count of 20 or more strikes, barrels or sorties (1), "two
  days ago", "hours ago", "last night", "recent days", "for (several) days" (منذ عدة أيام, 1),
  "since dawn", "since morning",
  "since midnight", "early hours", "followed by that", "in general", "various areas", a
  "since ... until ..." period (0.5 each), and six or more aircraft or strikes in one
  message (0.5); the words of a tally include the tens (twenty ... ninety, عشرين ... تسعين),
  dozens and hundreds, "past" (الماضية; but "the past hour", "the past minutes" are a live
  window) and "counted" (أحصى), and tens in words count as 20 or more; naval mines and
  containers are counted like barrels; the "de-escalation zone" (منطقة خفض التصعيد) is a
  place, so its "escalation" weighs nothing;
- otherwise a **sighting**.

Before that, :func:`observatory_phrases` reads a few phrases the way observatories and news
reports mean them: "barrel helicopter" (مروحية برميل) names the helicopter, it is no strike;
"left/غادر <airbase>" is a take-off; a strike word after "without/دون/no/لم" is no strike
("without any raids being carried out"); and shelling by ground forces or artillery (قصف
قوات النظام, القصف المدفعي, artillery shelling, rocket launchers وراجمات الصواريخ, the
ground-fire word read with or without an attached prefix) is no air strike. Since blind_8:
"the exit of <aircraft> from <airbase>" (خروج, مغادرة) is a take-off; a mock raid (غارة
وهمية, "mock raid") is a low pass; a strike word right after the air defences (الدفاعات
السعودية دمرت طائرة مسيرة) is their shooting, not the aircraft's; and "for the Nth day in a
row" (على التوالي) is a pattern of days, as "for several days" is. A call to take cover also
says "go to a safe place", "enter the protected spaces" (مكان آمن, الأماكن المحمية, ادخلوا).

Since blind_9: a strike word is no strike when it names an alarm ("air raid warning", "the
air raid signal", التحذيرات من الغارات), a threatened, feared or possible attack ("the threat
of an attack", يخشون هجمات, يمكن للصواريخ) or an interceptor (صواريخ اعتراضية); a strike verb
whose object is a mock raid (شن عدداً من الغارات الوهمية) is a pass. An aircraft named only as
a threat ("the threat of UAVs for the capital", "under threat of attack UAVs") is no sighting:
the message is a warning, a call to take cover; a take-cover phrase may carry an attached
preposition (لأماكن محمية). Towards a tally: a number of hours before "the past hours" (the
past 24 hours) is a day, not the live window; "two hundred" in words counts as tens do; a
flight given with two clock times and a leaving word ("entered at 6:30 ... left at 11:35") is
over. Not towards a tally: "since yesterday" (a duration up to now), and "last" after a month
("أكتوبر الماضي", a date, which counts as dated unless the message says today).

Since blind_10: the air defences' count of a night ("اعترضت 43 طائرة مسيّرة", "intercepted 92
drones": a shoot-down word and 20 or more aircraft) is a tally; a shoot-down verb with the
defences right after it (دمرت الدفاعات الجوية, verb before subject) is their shooting, no
strike; a take-off word before an alarm word (انطلاق صفارات الإنذار) is the alarm sounding.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from nadhir.geo.names import arabic_prefix_variants
from nadhir.intake.lexicon import (
    ALARM_JOINERS,
    ALARM_WORDS,
    BARREL_WORDS,
    BASE_WORDS,
    CLOCK_TIMES_FOR_A_FLIGHT,
    DE_WORDS,
    DEFENCE_WORDS,
    DEPARTURE_BASE_WITHIN,
    DEPARTURE_NOUNS,
    EMPTY,
    FEAR_WORDS,
    GROUND_FIRE_WORDS,
    HOUR_WORDS,
    INTERCEPT_WORDS,
    LEANING_PHRASES,
    LEFT_PLACE_WORDS,
    LIVE_WINDOW_MAX,
    LIVE_WINDOW_WORDS,
    MOCK_WORDS,
    MODAL_WORDS,
    MONTH_PAST_WORDS,
    MONTH_WORDS,
    NEGATION_WORDS,
    PAST_PHRASES,
    PERIOD_WITHIN,
    PERIOD_WORDS,
    RECORD_WORDS,
    SHOOT_DOWN_WORDS,
    SINCE_UNTIL,
    SINCE_WORDS,
    TAKE_COVER_PHRASES,
    TAKEOFF_NEGATIONS,
    TALLY_NOUNS,
    TENS_WORDS,
    THREAT_WITHIN,
    THREAT_WORDS,
    TODAY_WORDS,
    YESTERDAY_WORDS,
    Entry,
)
from nadhir.intake.parsed import MessageKind
from nadhir.intake.tokens import Tok

SUMMARY_AT = 1.0  # summary weight from which a message is a summary
MANY = 6  # this many aircraft or strikes in one message lean towards a tally
MANY_WEIGHT = 0.5
TALLY_COUNT = 20  # "30 barrels", "40 raids", "(112) barrels since morning": counted, not seen

NOT_LIVE_REASON: dict[MessageKind, str] = {
    "summary": "a summary of past sorties, not a live sighting",
    "take_cover": "a call to take cover, not a sighting",
}


BASE_WITHIN = 4  # words between "left" and the airbase word ("left the Hama military airbase")
NEGATION_WITHIN = 3  # "دون تنفيذ أي غارات": the strike word within this many words of the negation
GROUND_WITHIN = 2  # "قصف قوات النظام", "shelled by regime forces"
MOCK_WITHIN = 2  # "غارة إسرائيلية وهمية": the mock word this many words after the strike word
DEFENCE_WITHIN = 2  # "الدفاعات السعودية دمرت": the strike word this many words after the defences
MOCKED_OBJECT_WITHIN = 4  # "شن عدداً من الغارات الوهمية": the mock word this many words after the verb
ALARM_WITHIN = 3  # "warnings of air raids": the strike word this many words after the alarm word
FEAR_WITHIN = 2  # "يخشون هجمات", "may strike": the strike word this many words after


def observatory_phrases(toks: list[Tok]) -> None:
    """Re-read the phrases above in place: barrel helicopters, leaving a base, mock raids, no air strike."""
    words = [t for t in toks if t.kind == "word" and not t.e.filler]
    for i, tok in enumerate(words):
        e = tok.entry
        if e is None:
            e = EMPTY  # an unknown word: only the departure nouns are read below
        before = words[i - 1] if i > 0 else None
        after = words[i + 1] if i + 1 < len(words) else None
        if e.action == "takeoff" and after is not None and _is_one_of(after, ALARM_WORDS):
            # "انطلاق صفارات الإنذار": the sirens started, nothing took off
            tok.entry = replace(e, action=None, action_weight=0.0)
        elif tok.key in DEPARTURE_NOUNS and any(
            w.key in BASE_WORDS for w in words[i + 1 : i + 1 + DEPARTURE_BASE_WITHIN]
        ):
            tok.entry = replace(e, action="takeoff", action_weight=0.95)
        elif tok.key in BARREL_WORDS and any(t is not None and t.names_aircraft() for t in (before, after)):
            tok.entry = Entry(aircraft="helicopter", aircraft_weight=0.6)
        elif (
            e.action == "leaving"
            and tok.key in LEFT_PLACE_WORDS
            and any(w.key in BASE_WORDS for w in words[i + 1 : i + 1 + BASE_WITHIN])
        ):
            tok.entry = replace(e, action="takeoff", action_weight=0.95)
        elif e.action == "striking" and (
            any(w.key in MOCK_WORDS for w in words[i + 1 : i + 1 + MOCK_WITHIN])
            or (before is not None and before.key in MOCK_WORDS)
            or _mocked_object(words, i)
        ):
            tok.entry = replace(e, action="transit", action_weight=0.8)
        elif e.action == "striking" and _not_an_air_strike(words, i):
            tok.entry = replace(e, action=None, action_weight=0.0)


def _mocked_object(words: list[Tok], i: int) -> bool:
    """ "شن عدداً من الغارات الوهمية": a strike verb whose object is a mock raid."""
    after = words[i + 1 : i + 1 + MOCKED_OBJECT_WITHIN]
    return any(
        w.e.action == "striking" and any(m.key in MOCK_WORDS for m in after[j + 1 : j + 1 + MOCK_WITHIN])
        for j, w in enumerate(after)
    )


def _not_an_air_strike(words: list[Tok], i: int) -> bool:
    """A strike word that is no air strike: negated, ground fire's, the air defences' shooting,
    an alarm's name, a threatened, feared or possible attack, or an interceptor."""
    before = words[i - 1] if i > 0 else None
    after = words[i + 1] if i + 1 < len(words) else None
    return (
        any(w.key in NEGATION_WORDS for w in words[max(0, i - NEGATION_WITHIN) : i])
        or any(_is_one_of(w, GROUND_FIRE_WORDS) for w in words[i + 1 : i + 1 + GROUND_WITHIN])
        or (before is not None and _is_one_of(before, GROUND_FIRE_WORDS))
        or any(_is_one_of(w, DEFENCE_WORDS) for w in words[max(0, i - DEFENCE_WITHIN) : i])
        or _defences_shot(words, i)
        or _names_an_alarm(words, i)
        or any(
            w.key in FEAR_WORDS or w.key in MODAL_WORDS or _is_one_of(w, MODAL_WORDS)
            for w in words[max(0, i - FEAR_WITHIN) : i]
        )
        or _threatened(words, i)
        or (after is not None and after.key in INTERCEPT_WORDS)
        or (before is not None and before.key in INTERCEPT_WORDS)
    )


def _defences_shot(words: list[Tok], i: int) -> bool:
    """ "دمرت الدفاعات الجوية طائرتين", "أسقطت قوات الدفاع الجوي": a shoot-down verb before its subject,
    the air defences (Arabic puts the verb first), is their shooting, not an aircraft's strike."""
    return words[i].key in SHOOT_DOWN_WORDS and any(
        _is_one_of(w, DEFENCE_WORDS) for w in words[i + 1 : i + 1 + DEFENCE_WITHIN]
    )


def _names_an_alarm(words: list[Tok], i: int) -> bool:
    """ "air raid warning", "the air raid signal", "التحذيرات من الغارات": the alarm, not a raid."""
    after = words[i + 1 : i + 3]
    if after and (
        after[0].key in ALARM_WORDS
        or (len(after) > 1 and after[0].key in ALARM_JOINERS and after[1].key in ALARM_WORDS)
    ):
        return True
    j = i - 1
    while j >= 0 and i - j <= ALARM_WITHIN and words[j].key in ALARM_JOINERS:
        j -= 1
    return j >= 0 and i - j <= ALARM_WITHIN and _is_one_of(words[j], ALARM_WORDS)


def _threatened(words: list[Tok], i: int) -> bool:
    """ "the threat of UAVs", "under threat of attack UAVs": the word is what is threatened."""
    return any(w.key in THREAT_WORDS for w in words[max(0, i - THREAT_WITHIN) : i])


def _is_one_of(tok: Tok, keys: frozenset[str]) -> bool:
    """Whether the word is one of these, with or without an attached prefix (وراجمات, بالمدفعية)."""
    return tok.key in keys or any(v in keys for v in arabic_prefix_variants(tok.key))


def read_kind(toks: list[Tok], count: int | None) -> MessageKind:
    """What the message is: a live ``sighting``, a ``summary`` of past sorties, or ``take_cover``."""
    words = [t for t in toks if t.kind == "word"]
    content = [t for t in words if not t.e.filler]
    named = [t for i, t in enumerate(content) if t.names_aircraft() and not _threatened(content, i)]
    if (_calls_to_take_cover(words) or _warns_of_a_threat(content)) and not named:
        return "take_cover"
    if summary_weight(toks, count) >= SUMMARY_AT:
        return "summary"
    return "sighting"


def _warns_of_a_threat(words: list[Tok]) -> bool:
    """ "under threat of attack UAVs", "the threat of an attack by drones": a warning, not a sighting."""
    return any(
        (w.names_aircraft() or w.e.action == "striking" or w.key in INTERCEPT_WORDS) and _threatened(words, i)
        for i, w in enumerate(words)
    )


def _pairs(words: list[Tok]) -> list[tuple[str, str]]:
    """Consecutive word keys, skipping fillers ("clear the streets" -> clear, streets)."""
    keys = [t.key for t in words if not t.e.filler]
    return list(pairwise(keys))


def _calls_to_take_cover(words: list[Tok]) -> bool:
    if any(t.e.shelter for t in words):
        return True
    # "الجأوا لأماكن محمية": the phrase's first word may carry an attached preposition
    return any(
        (a, b) in TAKE_COVER_PHRASES or any((v, b) in TAKE_COVER_PHRASES for v in arabic_prefix_variants(a))
        for a, b in _pairs(words)
    )


def summary_weight(toks: list[Tok], count: int | None) -> float:
    """How strongly the message reads as a tally of past activity (1 or more: a summary)."""
    words = [t for t in toks if t.kind == "word"]
    weight = sum(
        t.e.summary
        for i, t in enumerate(words)
        if not _live_window(toks, words, i)
        and not _de_escalation(words, i)
        and not _names_a_month(words, i)
        and not _since_yesterday(words, i)
    )
    pairs = _pairs(words)
    weight += 0.5 * sum(pair in LEANING_PHRASES for pair in pairs)
    weight += 1.0 * sum(pair in PAST_PHRASES for pair in pairs)
    today = any(t.key in TODAY_WORDS for t in words)
    dated = (_dated(toks) or any(_names_a_month(words, i) for i in range(len(words)))) and not today
    period = (
        _hour_range(toks)
        or _no_takeoff(words)
        or _no_record(words)
        or _for_days(words)
        or _whole_flight(toks, words)
    )
    if period or dated or _tally_count(toks):
        weight += 1.0
    keys = {t.key for t in words}
    if keys & SINCE_UNTIL[0] and keys & SINCE_UNTIL[1]:
        weight += 0.5
    if count is not None and count >= MANY:
        weight += MANY_WEIGHT
    return weight


def _hour_range(toks: list[Tok]) -> bool:
    """ "between the hour 9:50 and the hour ten", "between 09:50 and 10:00": a window, not a moment."""
    for i, tok in enumerate(toks):
        if tok.e.cue != "between" or i + 1 >= len(toks):
            continue
        nxt = toks[i + 1]
        if nxt.key in HOUR_WORDS:
            return True
        if nxt.kind == "num" and i + 3 < len(toks) and toks[i + 2].raw == ":" and toks[i + 3].kind == "num":
            return True
    return False


def _dated(toks: list[Tok]) -> bool:
    """A day and a month ("في 28 أيلول", "on 28 September", "September 28"): a dated report."""
    for i, tok in enumerate(toks):
        if tok.kind == "word" and tok.key in MONTH_WORDS:
            near = [toks[j] for j in (i - 1, i + 1) if 0 <= j < len(toks)]
            if any(t.kind == "num" and 1 <= t.num <= 31 for t in near):
                return True
    return False


def _tally_count(toks: list[Tok]) -> bool:
    """A count of 20 or more (digits or tens in words) next to a strike, barrel or sortie (two tokens).

    Next to an aircraft too when the message shoots them down ("intercepted 43 drones", "تم إسقاط
    61 مسيّرة"): the air defences' count of a night, not aircraft seen now.
    """
    shot_down = any(t.kind == "word" and t.key in SHOOT_DOWN_WORDS for t in toks)
    for i, tok in enumerate(toks):
        large = (tok.kind == "num" and tok.num >= TALLY_COUNT) or (
            tok.kind == "word" and tok.key in TENS_WORDS
        )
        if not large:
            continue
        near = toks[max(0, i - 2) : i] + toks[i + 1 : i + 3]
        counted = [t for t in near if t.kind == "word"]
        if any(t.key in TALLY_NOUNS or (shot_down and t.names_aircraft()) for t in counted):
            return True
    return False


def _no_takeoff(words: list[Tok]) -> bool:
    """ "no aircraft took off", عدم إقلاع أي طائرة: a negated take-off is a report about a period."""
    for i, tok in enumerate(words):
        if tok.key in TAKEOFF_NEGATIONS and any(w.e.action == "takeoff" for w in words[i + 1 : i + 4]):
            return True
    return False


RECORD_WITHIN = 2  # "لم تسجّل المراصد": the record word right after the negation
RECORDED_STRIKE_WITHIN = 5  # "... المراصد المحلية أيّة غارة": the strike within this many words after it


def _no_record(words: list[Tok]) -> bool:
    """ "no raid recorded", لم تسجّل المراصد أيّة غارة: a negated record of strikes covers a period."""
    for i, tok in enumerate(words):
        if tok.key not in TAKEOFF_NEGATIONS:
            continue
        for j in range(i + 1, min(len(words), i + 1 + RECORD_WITHIN)):
            if words[j].key in RECORD_WORDS:
                after = words[j + 1 : j + 1 + RECORDED_STRIKE_WITHIN]
                if any(w.key in TALLY_NOUNS for w in after):
                    return True
    return False


def _live_window(toks: list[Tok], words: list[Tok], i: int) -> bool:
    """ "the past hour", "الدقائق الماضية": a past word right after an hour or minutes is a live window.

    Not "the past 24 hours" (خلال الـ(24) ساعة الماضية): a number of hours before it is a day's tally.
    """
    if not (i > 0 and words[i].e.summary > 0 and words[i - 1].key in LIVE_WINDOW_WORDS):
        return False
    k = words[i - 1].index - 1
    while k >= 0 and toks[k].kind == "sep":
        k -= 1
    return not (k >= 0 and toks[k].kind == "num" and toks[k].num > LIVE_WINDOW_MAX)


def _names_a_month(words: list[Tok], i: int) -> bool:
    """ "أكتوبر الماضي", "last October": the past word dates a month (a date, not a tally word)."""
    return i > 0 and words[i].key in MONTH_PAST_WORDS and words[i - 1].key in MONTH_WORDS


def _since_yesterday(words: list[Tok], i: int) -> bool:
    """ "منذ مساء أمس", "since yesterday evening": a duration up to now, not a past day."""
    return words[i].key in YESTERDAY_WORDS and any(w.key in SINCE_WORDS for w in words[max(0, i - 2) : i])


def _whole_flight(toks: list[Tok], words: list[Tok]) -> bool:
    """ "entered at 6:30 ... then left at 11:35": a flight given from start to end is over."""
    if not any(w.e.action == "leaving" for w in words):
        return False
    times = sum(_is_clock_time(toks, k) for k in range(len(toks)))
    return times >= CLOCK_TIMES_FOR_A_FLIGHT


def _is_clock_time(toks: list[Tok], k: int) -> bool:
    """ "الساعة 6,30", "at the hour 11", "10:05": a time of day starts here."""
    tok = toks[k]
    if tok.kind == "word" and tok.key in HOUR_WORDS:
        nxt = next((t for t in toks[k + 1 :] if t.kind != "sep"), None)
        return nxt is not None and nxt.kind == "num"
    return (
        tok.kind == "num"
        and k + 2 < len(toks)
        and toks[k + 1].raw == ":"
        and toks[k + 2].kind == "num"
        and not (k > 0 and toks[k - 1].raw == ":")
    )


def _de_escalation(words: list[Tok], i: int) -> bool:
    """ "منطقة خفض التصعيد", "the de-escalation zone": a place's name, not an escalation."""
    return i > 0 and words[i].e.summary > 0 and words[i - 1].key in DE_WORDS


def _for_days(words: list[Tok]) -> bool:
    """ "منذ عدة أيام", "for days": flying or striking over a period of days is a report about a pattern."""
    for i, tok in enumerate(words):
        if tok.key in SINCE_WORDS and any(
            w.key in PERIOD_WORDS for w in words[i + 1 : i + 1 + PERIOD_WITHIN]
        ):
            return True
    return False
