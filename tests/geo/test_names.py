"""Place-name normalisation and gazetteer look-up: Arabic folds, prefixes, transliterations, thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from nadhir.domain import Place
from nadhir.domain.formats.scenario import load_scenario
from nadhir.geo.gazetteer import Gazetteer, site_as_place
from nadhir.geo.names import (
    arabic_prefix_variants,
    fold_arabic,
    normalise,
    normalise_word,
    skeleton,
)

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "idlib-basic"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    scenario = load_scenario(SCENARIO)
    return Gazetteer([*(site_as_place(s) for s in scenario.sites), *scenario.places])


# --- Arabic folds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("إدلب", "ادلب"),  # alef with hamza below
        ("أريحا", "اريحا"),  # alef with hamza above
        ("آفس", "افس"),  # alef madda
        ("سرجة", "سرجه"),  # taa marbuta
        ("الزكاة", "الزكاه"),
        ("مصطفى", "مصطفي"),  # alef maqsura
        ("مؤتة", "موته"),  # waw with hamza
        ("الأتارب", "الاتارب"),
        ("إِدْلِبُ", "ادلب"),  # diacritics
        ("سـراقـب", "سراقب"),  # tatweel
        ("٣ طائرات", "3 طايرات"),  # Arabic-Indic digits, yaa with hamza
        ("۴", "4"),  # Persian digits
    ],
)
def test_arabic_folds(written: str, folded: str) -> None:
    assert fold_arabic(written) == folded


def test_definite_article_dropped_from_each_word() -> None:
    assert normalise("الأتارب") == "اتارب"
    assert normalise("معرة النعمان") == "معره نعمان"
    assert normalise("الى") == "الى".replace("ى", "ي")  # a short word is not an article + word


@pytest.mark.parametrize(
    ("word", "bare"),
    [
        ("وسراقب", "سراقب"),  # and
        ("بسراقب", "سراقب"),  # in / with
        ("لسراقب", "سراقب"),  # to
        ("فسراقب", "سراقب"),  # so
        ("بالاتارب", "اتارب"),  # in the
        ("وبالاتارب", "اتارب"),  # and in the
        ("للشمال", "شمال"),  # to the
    ],
)
def test_attached_prefixes(word: str, bare: str) -> None:
    assert bare in arabic_prefix_variants(normalise_word(word))


def test_short_words_keep_their_first_letter() -> None:
    assert arabic_prefix_variants("بنش") == []  # a three-letter name is not ب + نش
    assert arabic_prefix_variants("ادلب") == []  # no prefix letter


def test_prefixed_names_resolve(gazetteer: Gazetteer) -> None:
    for written, place_id in [("بسراقب", "saraqeb"), ("وادلب", "idlib"), ("لإدلب", "idlib"),
                              ("بالأتارب", "atarib"), ("فسرمدا", "sarmada")]:
        match = gazetteer.lookup(written)
        assert match is not None and match.place.id == place_id, written
    match = gazetteer.lookup("لسراقب")
    assert match is not None and match.prefix == "ل"


# --- Latin transliterations -----------------------------------------------------------------------


def test_latin_normalisation() -> None:
    assert normalise("Ma'arrat an-Nu'man") == "maarrat numan"
    assert normalise("Jisr el-Shughur") == "jisr shughur"
    assert normalise("Idlib's") == "idlib"
    assert normalise("Saraqéb") == "saraqeb"
    assert normalise_word("al") == ""
    assert normalise_word("Al-Bara") == "al-bara"  # a single word; the reader splits on hyphens


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Saraqeb", "Saraqib"),
        ("Saraqeb", "Saraqeeb"),
        ("Idlib", "Idleb"),
        ("Khan Sheikhoun", "Khan Shaykhun"),
        ("Ma'arrat an-Nu'man", "Maarat al-Nouman"),
        ("Maaret al-Numan", "Marat Numan"),
        ("Jisr al-Shughur", "Jisr Al Shugur"),
        ("Binnish", "Binnesh"),
        ("Kafr Nabl", "Kafranbel"),
        ("Sarjah", "Serja"),
        ("Ihsim", "Ehsem"),
        ("Ariha", "Eriha"),
        ("Mhardeh", "Mahardah"),
        ("Taftanaz", "Taftnaz"),
        ("Salqin", "Salqeen"),
        ("Maarrat Misrin", "Maartamsrin"),
        ("Jisr al-Shughur", "Jisr ech-Choghour"),
    ],
)
def test_transliterations_share_a_skeleton(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("سراقب", "سراقيب"),  # a long vowel added
        ("معرة مصرين", "معرتمصرين"),  # two words run together: taa marbuta written ت
        ("سرمدا", "سرمدة"),  # final alef / taa marbuta
        ("تفتناز", "تفتناذ"),  # ز / ذ
        ("ادلب", "ادلبب"),  # a doubled letter
    ],
)
def test_arabic_spellings_share_a_skeleton(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize(("a", "b"), [("Sarmin", "Sarmada"), ("Idlib", "Adlab Kafr"), ("سرمين", "سرمدا")])
def test_different_places_keep_different_skeletons(a: str, b: str) -> None:
    assert skeleton(a) != skeleton(b)


# --- gazetteer look-up ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "place_id", "how"),
    [
        ("Idlib", "idlib", "exact"),
        ("إدلب", "idlib", "exact"),
        ("مدينة إدلب", "idlib", "exact"),  # a generic word before the name
        ("Idlib city", "idlib", "exact"),
        ("كفر نبل", "kafr-nabl", "compact"),
        ("Kafrsajna", "kafr-sajna", "exact"),
        ("Saraqeeb", "saraqeb", "skeleton"),
        ("Sermada", "sarmada", "skeleton"),
        ("معرتمصرين", "maarrat-misrin", "skeleton"),
        ("Hama", "hama-airport", "core"),  # "Hama airbase" without the kind of place
        ("Jisr", "jisr-al-shughur", "head"),  # the only name that starts so
        ("جسرالشغور", "jisr-al-shughur", "compact"),  # run together with its article
    ],
)
def test_lookup(gazetteer: Gazetteer, written: str, place_id: str, how: str) -> None:
    match = gazetteer.lookup(written)
    assert match is not None, written
    assert (match.place.id, match.how) == (place_id, how)


@pytest.mark.parametrize("written", ["Sarmin", "Kafr Ruma", "Khan Tuman", "Maarat Harma", "كفرومة", "معرزيتا",
                                     "معرشمارين", "Talmenes", "Maar Hattat"])
def test_villages_missing_from_the_gazetteer_are_not_matched(gazetteer: Gazetteer, written: str) -> None:
    assert gazetteer.lookup(written) is None


def test_fuzzy_threshold_takes_typos_not_other_names(gazetteer: Gazetteer) -> None:
    match = gazetteer.fuzzy("jisrshugour")
    assert match is not None and match.place.id == "jisr-al-shughur"
    assert gazetteer.fuzzy("kafrruma") is None
    assert gazetteer.fuzzy("idlb") is None  # too short to guess


def test_shared_first_words_and_ambiguous_keys_name_nothing(gazetteer: Gazetteer) -> None:
    assert gazetteer.lookup("Kafr", fuzzy=False) is None  # Kafr Nabl, Kafr Lata, ...
    assert gazetteer.lookup("Tal", fuzzy=False) is None
    assert gazetteer.lookup("المعرة", fuzzy=False) is None  # two towns' names begin so


def test_sites_keep_their_names_over_villages() -> None:
    site = Place(id="town", name="Alpha", lat=1.0, lon=1.0)
    village = Place(id="village", name="Alpha", lat=2.0, lon=2.0, aliases=("Alpha Minor",))
    gazetteer = Gazetteer([site, village])
    match = gazetteer.lookup("Alpha")
    assert match is not None and match.place.id == "town"
    minor = gazetteer.lookup("Alpha Minor")
    assert minor is not None and minor.place.id == "village"


def test_places_added_later_are_found() -> None:
    gazetteer = Gazetteer([Place(id="a", name="Qornet Alpha", lat=1.0, lon=1.0)])
    assert gazetteer.lookup("Qornet Alfa") is not None  # skeleton
    gazetteer.add(Place(id="b", name="Betaville Upper", lat=2.0, lon=2.0))
    match = gazetteer.lookup("Betaville")
    assert match is not None and match.place.id == "b"
