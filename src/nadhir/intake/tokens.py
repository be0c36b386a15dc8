"""Cutting a message into words, numbers, arrows and separators, each looked up in the lexicon."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from nadhir.geo.gazetteer import NameMatch
from nadhir.geo.names import (
    WordForms,
    arabic_prefix_variants,
    normalise_word,
)
from nadhir.intake.lexicon import EMPTY, LEXICON, Entry

Role = Literal["seen", "bare", "toward", "from", "between"]


_TOKEN = re.compile(
    r"(?P<arrow>-+>|=+>|[→➡⟶➔➜⇒⇨])"
    r"|(?P<num>\d+)"
    r"|(?P<word>[^\W\d_]+(?:['’`ʿʾ][^\W\d_]+)*|[🚁✈🛩🛫])"
    r"|(?P<times>[×✖])"
    r"|(?P<deg>°)"
    r"|(?P<sep>[,.;:!?؟،؛/|()\[\]{}\n\"«»])"
)


# --- tokens --------------------------------------------------------------------------------------


class Tok:
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
        self.entry: Entry | None = None
        self.prefix = ""  # the Arabic prefix removed to find the entry (ل, ب, ...)
        self.forms: WordForms | None = None
        self.num = 0
        self.used = False  # taken by a place, a relative position, a model number

    @property
    def e(self) -> Entry:
        """The lexicon entry, or an empty one for a word the lexicon does not know."""
        return self.entry if self.entry is not None else EMPTY

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
class Span:
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


_PRONOUN_SUFFIXES = ("هما", "هم", "ها", "ه")


def _lex(key: str) -> tuple[Entry | None, str]:
    entry = LEXICON.get(key)
    if entry is not None:
        return entry, ""
    if key and "\u0600" <= key[0] <= "\u06ff":
        for variant in arabic_prefix_variants(key):
            entry = LEXICON.get(variant)
            if entry is not None:
                return entry, "ل" if key.startswith("لل") else key[0]
        # An attached pronoun on a verb or noun of action: قصفه, غاراتها ("its shelling").
        for suffix in _PRONOUN_SUFFIXES:
            stem = key[: -len(suffix)]
            if not key.endswith(suffix) or len(stem) < 3:
                continue
            for cand in (stem, *arabic_prefix_variants(stem)):
                entry = LEXICON.get(cand)
                if entry is not None and entry.action is not None:
                    return entry, ""
        return None, ""
    if len(key) > 3 and key.endswith("s"):
        entry = LEXICON.get(key[:-1])
        if entry is not None and (entry.aircraft is not None or entry.plane_noun):
            return entry, ""
    return None, ""


WORD_CACHE: dict[str, tuple[str, str, Entry | None, str]] = {}
_WORD_CACHE_MAX = 100_000


def tokenise(text: str) -> list[Tok]:
    toks: list[Tok] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "sep"
        raw = m.group()
        tok = Tok(kind, raw, m.start(), m.end())
        if kind == "word":
            cached = WORD_CACHE.get(raw)
            if cached is None:
                pkey = normalise_word(raw)
                key = pkey or raw.lower()
                entry, prefix = _lex(key)
                cached = (key, pkey, entry, prefix)
                if len(WORD_CACHE) >= _WORD_CACHE_MAX:
                    WORD_CACHE.clear()
                WORD_CACHE[raw] = cached
            tok.key, tok.pkey, tok.entry, tok.prefix = cached
        elif kind == "num":
            tok.num = int(raw) if len(raw) <= 6 else 10**6
        if kind == "sep" and raw == "." and toks and len(toks[-1].key) == 1 and (
                toks[-1].e.compass_form == "abbr"):
            continue  # N.W., S.E.
        tok.index = len(toks)
        toks.append(tok)
    return toks


def words_as_written(toks: list[Tok], start: int, end: int, text: str) -> str:
    """The text of tokens ``start:end`` as written, with a Latin article just before them (al-X)."""
    if start > 0 and toks[start - 1].kind == "word" and not toks[start - 1].pkey:
        start -= 1
    return text[toks[start].start : toks[end - 1].end]
