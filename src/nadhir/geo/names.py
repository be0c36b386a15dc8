"""Normalising place names written in Arabic or Latin letters.

Spotters write the same town many ways: ``إدلب``/``ادلب``/``ادلبِ``,
``Idlib``/``Idleb``, ``Saraqeb``/``Saraqib``, ``Ma'arrat an-Nu'man``/
``Maarat al-Nouman``. Two keys are derived from a name:

* :func:`normalise` folds letter variants that carry no meaning (Arabic
  alef/hamza forms, taa marbuta, alef maqsura, diacritics, tatweel, the
  definite article; Latin case, accents, apostrophes, articles, hyphens);
* :func:`skeleton` further reduces a Latin name to its consonants, which is
  where transliterations agree (``saraqeb`` and ``saraqib`` both give ``srqb``).
"""

from __future__ import annotations

import re
import unicodedata

# Arabic letters that are written interchangeably in informal text.
_ARABIC_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي", "ء": "",
    "ـ": "",  # tatweel
    "گ": "ك", "ک": "ك", "ی": "ي", "پ": "ب", "چ": "ج", "ڤ": "ف",
})
_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LATIN_ARTICLES = frozenset({"al", "el", "an", "ar", "as", "ash", "at", "ad", "ad", "az", "adh", "l"})
_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_IS_ARABIC = re.compile("[\u0600-\u06ff]")


def has_arabic(text: str) -> bool:
    """True when the text contains Arabic letters."""
    return bool(_IS_ARABIC.search(text))


def fold_arabic(text: str) -> str:
    """Fold Arabic letter variants, drop diacritics and tatweel, map Arabic-Indic digits."""
    text = _ARABIC_DIACRITICS.sub("", text)
    return text.translate(_ARABIC_FOLD).translate(_ARABIC_INDIC)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _drop_arabic_article(word: str) -> str:
    if word.startswith("ال") and len(word) > 3:
        return word[2:]
    return word


def normalise(name: str) -> str:
    """A comparison key for a place name: lower case, folded, articles and punctuation removed."""
    text = fold_arabic(unicodedata.normalize("NFKC", name))
    text = _strip_accents(text).lower()
    # Apostrophes and ayn marks inside Latin words (Ma'arrat, Nu`man) are dropped, not split on.
    text = re.sub(r"['`ʿʾ’‘]", "", text)
    text = _NON_WORD.sub(" ", text.replace("-", " ").replace("_", " "))
    words = []
    for word in _SPACES.split(text.strip()):
        if not word:
            continue
        if has_arabic(word):
            word = _drop_arabic_article(word)
        elif word in _LATIN_ARTICLES:
            continue
        words.append(word)
    return " ".join(words)


_VOWELS = re.compile(r"[aeiouyw]")


def skeleton(name: str) -> str:
    """Consonant skeleton of a normalised Latin name (Arabic is returned normalised, without spaces).

    Transliterations disagree mostly on vowels and doubled letters; the
    consonants survive (``khan sheikhoun`` and ``khan shaykhun`` -> ``khnshkhn``).
    A leading vowel is kept as a marker (any vowel: ``eriha``/``ariha``, ``ahsem``/``ihsim``),
    so that ``idlib`` is not ``dlb``.
    """
    norm = normalise(name).replace(" ", "")
    if not norm or has_arabic(norm):
        return norm
    head, tail = norm[0], norm[1:]
    # 'dh', 'th' and 'z' are written for the same emphatic letters; 'q'/'k' likewise.
    tail = tail.replace("dh", "z").replace("th", "t").replace("q", "k")
    head = "a" if head in "aeiou" else head.replace("q", "k")
    tail = _VOWELS.sub("", tail.replace("ou", "u").replace("ee", "i"))
    out = [head]
    for ch in tail:
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)
