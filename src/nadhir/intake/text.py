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
   (:func:`~nadhir.geo.names.normalise_word`) and looked up in the lexicon,
   with an attached Arabic prefix (و ب ل ف ك, ``لل``) removed when the
   word itself is not found (:mod:`nadhir.intake.tokens`, :mod:`nadhir.intake.lexicon`).
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
import unicodedata
from pathlib import Path

from nadhir.domain import Action, AircraftType, Place
from nadhir.geo.distance import bearing_deg, haversine_m
from nadhir.geo.frame import LocalFrame
from nadhir.geo.gazetteer import Gazetteer, site_as_place
from nadhir.geo.names import (
    ARABIC_DIACRITICS,
    ARABIC_INDIC_DIGITS,
    INVISIBLES,
    WordForms,
    word_forms,
)
from nadhir.intake.idiom import NOT_LIVE_REASON, observatory_phrases, read_kind
from nadhir.intake.parsed import MessageKind, ParsedMessage
from nadhir.intake.tokens import Span, Tok, tokenise, words_as_written
from nadhir.intake.words import (
    Heading,
    aircraft_before,
    cue_before,
    heading_after,
    introduces_place,
    phrases,
    read_action,
    read_aircraft,
    read_count,
    read_heading,
    roles,
    skippable,
)

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


def _offset(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    r = math.radians(bearing)
    return LocalFrame(lat, lon).to_latlon(distance_m * math.sin(r), distance_m * math.cos(r))


# --- the reader ----------------------------------------------------------------------------------


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
        toks = tokenise(clean)
        if not any(t.kind == "word" for t in toks):
            return ParsedMessage(text=text, rejection="no words")
        phrases(toks)
        observatory_phrases(toks)
        aircraft, aircraft_conf, dual_type = read_aircraft(toks)
        spans = self._places(toks, clean)
        roles(toks, spans)
        heading = read_heading(toks)
        count, count_conf = read_count(toks)
        toward = any(s.role == "toward" and s.match is not None for s in spans)
        action, action_conf = read_action(toks, heading is not None or toward)
        if aircraft == "unknown" and dual_type != "unknown":
            aircraft, aircraft_conf = dual_type, 0.9
        kind = read_kind(toks, count)
        if kind != "sighting":  # a tally's strikes are past, a call to take cover is no strike
            action, action_conf = "unknown", 0.0
        return self._assemble(text, spans, aircraft, aircraft_conf, count, count_conf, action, action_conf,
                              heading, kind)

    # --- places ----------------------------------------------------------------------------------

    def _places(self, toks: list[Tok], text: str) -> list[Span]:
        """Known names by dictionary look-up; then unknown words after place cues (fuzzy, else unknown)."""
        spans: list[Span] = []
        segment: list[Tok] = []
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
            if e is None or tok.used or not introduces_place(toks, i):
                continue
            j = i + 1
            while j < len(toks) and toks[j].entry is not None and skippable(toks, j, e):
                j += 1
            run: list[Tok] = []
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

    def _match_segment(self, segment: list[Tok], toks: list[Tok], text: str) -> list[Span]:
        gaz = self.gazetteer
        forms: list[WordForms] = []
        for tok in segment:
            if tok.forms is None:
                tok.forms = word_forms(tok.pkey)
            forms.append(tok.forms)
        out: list[Span] = []
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
            if lexical and not cue_before(toks, start):
                i += 1
                continue
            if weak and not (cue_before(toks, start) or aircraft_before(toks, start)
                             or heading_after(toks, end)):
                i += 1
                continue
            out.append(Span(start, end, match, words_as_written(toks, start, end, text)))
            i += n
        return out

    def _resolve_words(self, run: list[Tok], toks: list[Tok], text: str) -> Span:
        """Unknown words: a distinctive first word of a name, a fuzzy match, or unknown."""
        gaz = self.gazetteer
        start = run[0].index
        end = run[-1].index + 1
        after = toks[end] if end < len(toks) else None
        if len(run) == 1 and (after is None or not after.content()):
            head = gaz.head_match(run[0].forms or word_forms(run[0].pkey))
            if head is not None:
                return Span(start, end, head, words_as_written(toks, start, end, text))
        for n in range(len(run), 0, -1):
            key = " ".join(t.pkey for t in run[:n])
            match = gaz.fuzzy(key)
            if match is None and n > 1:
                match = gaz.fuzzy(key.replace(" ", ""))  # Kafr X / KafrX
            if match is not None:
                stop = run[n - 1].index + 1
                return Span(start, stop, match, words_as_written(toks, start, stop, text))
        return Span(start, end, None, words_as_written(toks, start, end, text))

    def _uncued_words(self, toks: list[Tok], text: str) -> list[Span]:
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
        spans: list[Span],
        aircraft: AircraftType,
        aircraft_conf: float,
        count: int | None,
        count_conf: float,
        action: Action,
        action_conf: float,
        heading: Heading | None,
        kind: MessageKind = "sighting",
    ) -> ParsedMessage:
        known = [s for s in spans if s.match is not None]
        unknown = [s for s in spans if s.match is None]

        def first(spans_: list[Span], *roles: str) -> Span | None:
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

        where: Span | None = None
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
            rejection=NOT_LIVE_REASON.get(kind)
            or (None if found_anything else "no aircraft, place or heading found"),
            kind=kind,
        )


def _is_airbase(place: Place) -> bool:
    return "air" in place.kind.lower() or place.kind.lower() in ("base", "airport")


def _position(span: Span) -> tuple[float, float, float]:
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
