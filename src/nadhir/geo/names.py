"""Normalising place names written in Arabic or Latin letters.

Spotters write the same town many ways: with or without hamza on the alef
(``إ``/``ا``), with or without diacritics, with ``ة`` or ``ه``; in Latin letters
with ``e`` or ``i``, ``ou`` or ``u``, ``q`` or ``k``, doubled letters or not,
``al-``/``el-``/``an-`` or nothing, apostrophes for ayn; two words or one
(``Kafr X``/``KafrX``, ``Xة Y``/``XتY``). No place name appears here: names
are data (see :mod:`nadhir.geo.gazetteer`). Several keys are derived from a
name:

* :func:`normalise` folds letter variants that carry no meaning (Arabic
  alef/hamza forms, taa marbuta, alef maqsura, diacritics, tatweel, the
  definite article; Latin case, accents, apostrophes, articles, hyphens);
* :func:`skeleton` further reduces a name to its consonants, which is where
  transliterations agree (``-qeb`` and ``-qib`` both give ``kb``) and
  where Arabic spellings with and without long vowels agree (``..اقب`` and
  ``..اقيب``);
* :func:`arabic_prefix_variants` gives a word without an attached prefix
  (و ب ل ف, and ``لل``), so that ``بX`` ("in X") finds ``X``.

Keys are built word by word (:class:`WordForms`) so that a reader can try
every run of words in a message without normalising each run again.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic letters that are written interchangeably in informal text.
_ARABIC_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي", "ء": "",
    "ـ": "",  # tatweel
    "گ": "ك", "ک": "ك", "ی": "ي", "ې": "ي", "ۍ": "ي", "ە": "ه", "ہ": "ه", "ھ": "ه",
    "پ": "ب", "چ": "ج", "ڤ": "ف", "ڨ": "ق",
})
# Harakat, Quranic marks, superscript alef; and invisible format characters
# (zero-width joiners, bidi marks) that split or hide inside words.
ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
INVISIBLES = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
ARABIC_INDIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LATIN_ARTICLES = frozenset({
    "al", "el", "an", "ar", "as", "ash", "at", "ad", "az", "adh", "l", "ul",
    "ech", "esh", "es", "ed", "ez", "en", "et", "er",  # French-style transliterations (ech-, ed-)
})
_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_IS_ARABIC = re.compile("[\u0600-\u06ff]")
_APOSTROPHES = re.compile(r"['`ʿʾ’‘´]")
_POSSESSIVE = re.compile(r"['’]s\b")

# Prefixes (and, with/in, to/for, so, like) that attach to the following Arabic word.
ARABIC_PREFIXES = ("و", "ب", "ل", "ف", "ك")


def has_arabic(text: str) -> bool:
    """True when the text contains Arabic letters."""
    return bool(_IS_ARABIC.search(text))


def fold_arabic(text: str) -> str:
    """Fold Arabic letter variants, drop diacritics and tatweel, map Arabic-Indic digits."""
    text = ARABIC_DIACRITICS.sub("", text)
    return text.translate(_ARABIC_FOLD).translate(ARABIC_INDIC_DIGITS)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def drop_arabic_article(word: str) -> str:
    """``الشمال`` -> ``شمال``; short words (``الى``) are left alone."""
    if word.startswith("ال") and len(word) > 3:
        return word[2:]
    return word


def normalise_word(word: str) -> str:
    """The comparison key of a single word (no spaces or hyphens); "" for a Latin article.

    Same rules as :func:`normalise`, for a reader that has already split a
    message into words.
    """
    if word.isascii():
        word = word.lower()
    else:
        word = fold_arabic(word)
        if not word.isascii():
            word = _strip_accents(word).lower()
    if "'" in word or "’" in word or "`" in word or "ʿ" in word or "ʾ" in word or "‘" in word:
        word = _APOSTROPHES.sub("", _POSSESSIVE.sub("", word))
    if not word:
        return ""
    if "\u0600" <= word[0] <= "\u06ff":
        return drop_arabic_article(word)
    if word in _LATIN_ARTICLES:
        return ""
    return word


def normalise(name: str) -> str:
    """A comparison key for a place name: lower case, folded, articles and punctuation removed."""
    text = fold_arabic(INVISIBLES.sub("", unicodedata.normalize("NFKC", name)))
    text = _strip_accents(text).lower()
    # Apostrophes and ayn marks inside Latin words (Ma'a.., Nu`..) are dropped, not split on;
    # a possessive 's goes altogether.
    text = _APOSTROPHES.sub("", _POSSESSIVE.sub("", text))
    text = _NON_WORD.sub(" ", text.replace("-", " ").replace("_", " "))
    words = []
    for word in _SPACES.split(text.strip()):
        if not word:
            continue
        if has_arabic(word):
            word = drop_arabic_article(word)
        elif word in _LATIN_ARTICLES:
            continue
        words.append(word)
    return " ".join(words)


# --- consonant skeletons -------------------------------------------------------------------------

_LATIN_VOWELS = frozenset("aeiouyw")
_LATIN_DIGRAPHS = (("gh", "g"), ("ch", "sh"), ("ph", "f"), ("dj", "j"), ("q", "k"))  # anywhere
_LATIN_INNER_DIGRAPHS = (("dh", "z"), ("th", "t"))  # not at the start: Dhuhur/Duhur keep their d
_ARABIC_LONG_VOWELS = frozenset("اوي")
# Letters that informal writing confuses (ذ/ز, ظ/ض, ث/ت as spoken in the Levant).
_ARABIC_SOUND_FOLD = str.maketrans({"ذ": "ز", "ظ": "ض", "ث": "ت"})


def _latin_parts(word: str) -> tuple[str, str]:
    """(skeleton of the word at the start of a name, skeleton of the word inside a name)."""
    if not word:
        return "", ""
    for a, b in _LATIN_DIGRAPHS:
        if a in word:
            word = word.replace(a, b)
    first = word[0]
    rest = word[1:]
    # A final -ah/-eh (taa marbuta) is written with or without the h: ..jah/..ja, ..deh/..da.
    if len(rest) >= 2 and rest[-1] == "h" and rest[-2] in "aeiou":
        rest = rest[:-1]
    for a, b in _LATIN_INNER_DIGRAPHS:
        if a in rest:
            rest = rest.replace(a, b)
    if first in "aeiou":
        first = "a"  # a leading vowel is kept as a marker: idl../edl.. -> adl.., not dl..
    consonants = "".join(ch for ch in rest if ch not in _LATIN_VOWELS)
    inner = ("" if first in _LATIN_VOWELS else first) + consonants
    return first + consonants, inner


def _arabic_parts(word: str) -> tuple[str, str]:
    """(skeleton of the word when another word follows, skeleton of the word at the end).

    Long vowels (ا و ي) inside a word are dropped, as is a final ``ه`` (taa
    marbuta) or ``ا``; before another word a final ``ه`` becomes ``ت``, as it
    is written when the two words are run together (``Xة Y`` / ``XتY``).
    """
    if not word:
        return "", ""
    word = word.translate(_ARABIC_SOUND_FOLD)
    first, rest = word[0], word[1:]
    ends_with_taa = rest.endswith("ه")
    if rest and rest[-1] in "ها":
        rest = rest[:-1]
    body = _dedupe(first + "".join(ch for ch in rest if ch not in _ARABIC_LONG_VOWELS))
    return (body + "ت" if ends_with_taa else body), body


def _dedupe(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if not out or ch != out[-1]:
            out.append(ch)
    return "".join(out)


def skeleton(name: str) -> str:
    """Consonant skeleton of a name, without spaces.

    Transliterations disagree mostly on vowels and doubled letters; the
    consonants survive (``sheikhoun`` and ``shaykhun`` -> ``shkhn``).
    A leading vowel is kept as a marker (any vowel: ``e..``/``a..``/``i..`` -> ``a..``),
    so that a name is not confused with the same consonants without its vowel.
    Arabic names lose their inner long vowels.
    """
    words = normalise(name).split()
    return skeleton_of_words([word_forms(w) for w in words])


def skeleton_of_words(words: list[WordForms]) -> str:
    """The skeleton of a run of words (all Arabic or all Latin; "" for mixed scripts)."""
    if not words:
        return ""
    if all(w.is_arabic for w in words):
        return "".join(w.ar_mid for w in words[:-1]) + words[-1].ar_last
    if any(w.is_arabic for w in words):
        return ""
    return _dedupe(words[0].lat_head + "".join(w.lat_inner for w in words[1:]))


def arabic_prefix_variants(word: str) -> list[str]:
    """The word without one attached prefix (و ب ل ف ك, with a following article), if long enough."""
    out: list[str] = []
    if len(word) < 4 or not ("\u0600" <= word[0] <= "\u06ff"):
        return out
    if word.startswith("لل") and len(word) > 4:
        out.append(word[2:])
    if word[0] in ARABIC_PREFIXES:
        stripped = word[1:]
        if stripped.startswith("ال") and len(stripped) > 3:
            stripped = stripped[2:]
        if stripped not in out:
            out.append(stripped)
    if word[0] == "و" and len(word) > 4 and word[1] in ARABIC_PREFIXES:  # وب.. ول..
        stripped = word[2:]
        if stripped.startswith("ال") and len(stripped) > 3:
            stripped = stripped[2:]
        if stripped not in out:
            out.append(stripped)
    return out


class WordForms:
    """One normalised word and the pieces of every key it can be part of."""

    __slots__ = ("ar_last", "ar_mid", "is_arabic", "key", "lat_head", "lat_inner", "variants")

    def __init__(self, key: str) -> None:
        self.key = key
        self.is_arabic = bool(key) and "\u0600" <= key[0] <= "\u06ff"
        if self.is_arabic:
            self.ar_mid, self.ar_last = _arabic_parts(key)
            self.lat_head = self.lat_inner = ""
            self.variants: tuple[str, ...] = (key, *arabic_prefix_variants(key))
        else:
            self.lat_head, self.lat_inner = _latin_parts(key)
            self.ar_mid = self.ar_last = ""
            self.variants = (key,)

    def __repr__(self) -> str:
        return f"WordForms({self.key!r})"


_FORMS_CACHE: dict[str, WordForms] = {}
_FORMS_CACHE_MAX = 50_000


def word_forms(key: str) -> WordForms:
    """Cached :class:`WordForms` of a normalised word."""
    forms = _FORMS_CACHE.get(key)
    if forms is None:
        forms = WordForms(key)
        if len(_FORMS_CACHE) >= _FORMS_CACHE_MAX:
            _FORMS_CACHE.clear()
        _FORMS_CACHE[key] = forms
    return forms
