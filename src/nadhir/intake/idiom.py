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
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from nadhir.geo.names import arabic_prefix_variants
from nadhir.intake.lexicon import (
    BARREL_WORDS,
    BASE_WORDS,
    DE_WORDS,
    DEFENCE_WORDS,
    DEPARTURE_BASE_WITHIN,
    DEPARTURE_NOUNS,
    EMPTY,
    GROUND_FIRE_WORDS,
    HOUR_WORDS,
    LEANING_PHRASES,
    LEFT_PLACE_WORDS,
    LIVE_WINDOW_WORDS,
    MOCK_WORDS,
    MONTH_WORDS,
    NEGATION_WORDS,
    PAST_PHRASES,
    PERIOD_WITHIN,
    PERIOD_WORDS,
    RECORD_WORDS,
    SINCE_UNTIL,
    SINCE_WORDS,
    TAKE_COVER_PHRASES,
    TAKEOFF_NEGATIONS,
    TALLY_NOUNS,
    TENS_WORDS,
    TODAY_WORDS,
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


def observatory_phrases(toks: list[Tok]) -> None:
    """Re-read the phrases above in place: barrel helicopters, leaving a base, mock raids, no air strike."""
    words = [t for t in toks if t.kind == "word" and not t.e.filler]
    for i, tok in enumerate(words):
        e = tok.entry
        if e is None:
            e = EMPTY  # an unknown word: only the departure nouns are read below
        before = words[i - 1] if i > 0 else None
        after = words[i + 1] if i + 1 < len(words) else None
        if tok.key in DEPARTURE_NOUNS and any(
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
        ):
            tok.entry = replace(e, action="transit", action_weight=0.8)
        elif e.action == "striking" and _not_an_air_strike(words, i):
            tok.entry = replace(e, action=None, action_weight=0.0)


def _not_an_air_strike(words: list[Tok], i: int) -> bool:
    """A strike word that is no air strike: negated, ground fire's, or the air defences' shooting."""
    before = words[i - 1] if i > 0 else None
    return (
        any(w.key in NEGATION_WORDS for w in words[max(0, i - NEGATION_WITHIN) : i])
        or any(_is_one_of(w, GROUND_FIRE_WORDS) for w in words[i + 1 : i + 1 + GROUND_WITHIN])
        or (before is not None and _is_one_of(before, GROUND_FIRE_WORDS))
        or any(_is_one_of(w, DEFENCE_WORDS) for w in words[max(0, i - DEFENCE_WITHIN) : i])
    )


def _is_one_of(tok: Tok, keys: frozenset[str]) -> bool:
    """Whether the word is one of these, with or without an attached prefix (وراجمات, بالمدفعية)."""
    return tok.key in keys or any(v in keys for v in arabic_prefix_variants(tok.key))


def read_kind(toks: list[Tok], count: int | None) -> MessageKind:
    """What the message is: a live ``sighting``, a ``summary`` of past sorties, or ``take_cover``."""
    words = [t for t in toks if t.kind == "word"]
    if _calls_to_take_cover(words) and not any(t.names_aircraft() for t in words):
        return "take_cover"
    if summary_weight(toks, count) >= SUMMARY_AT:
        return "summary"
    return "sighting"


def _pairs(words: list[Tok]) -> list[tuple[str, str]]:
    """Consecutive word keys, skipping fillers ("clear the streets" -> clear, streets)."""
    keys = [t.key for t in words if not t.e.filler]
    return list(pairwise(keys))


def _calls_to_take_cover(words: list[Tok]) -> bool:
    if any(t.e.shelter for t in words):
        return True
    return any(pair in TAKE_COVER_PHRASES for pair in _pairs(words))


def summary_weight(toks: list[Tok], count: int | None) -> float:
    """How strongly the message reads as a tally of past activity (1 or more: a summary)."""
    words = [t for t in toks if t.kind == "word"]
    weight = sum(
        t.e.summary
        for i, t in enumerate(words)
        if not _live_window(words, i) and not _de_escalation(words, i)
    )
    pairs = _pairs(words)
    weight += 0.5 * sum(pair in LEANING_PHRASES for pair in pairs)
    weight += 1.0 * sum(pair in PAST_PHRASES for pair in pairs)
    dated = _dated(toks) and not any(t.key in TODAY_WORDS for t in words)  # "this morning, 30 May" is today
    period = _hour_range(toks) or _no_takeoff(words) or _no_record(words) or _for_days(words)
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
    """A count of 20 or more (digits or tens in words) next to a strike, barrel or sortie (two tokens)."""
    for i, tok in enumerate(toks):
        large = (tok.kind == "num" and tok.num >= TALLY_COUNT) or (
            tok.kind == "word" and tok.key in TENS_WORDS
        )
        if not large:
            continue
        near = toks[max(0, i - 2) : i] + toks[i + 1 : i + 3]
        if any(t.kind == "word" and t.key in TALLY_NOUNS for t in near):
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


def _live_window(words: list[Tok], i: int) -> bool:
    """ "the past hour", "الدقائق الماضية": a past word right after an hour or minutes is a live window."""
    return i > 0 and words[i].e.summary > 0 and words[i - 1].key in LIVE_WINDOW_WORDS


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
