"""Alert text: Arabic and English wording, SMS segment counts for GSM-7 and UCS-2."""

from __future__ import annotations

import pytest
from approaches import toward
from hypothesis import given
from hypothesis import strategies as st

from nadhir.alerting.approach import approach_toward
from nadhir.alerting.text import (
    TextConfig,
    compose_text,
    sms_encoding,
    sms_segments,
    sms_size,
    truncate_to_segments,
)
from nadhir.domain import Alert, Approach, Site, TrackState
from nadhir.geo.compass import compass_point

T0 = 1746155144.0  # 2025-05-02T03:05:44Z = 06:05:44 in Damascus
IDLIB = Site("idlib", "Idlib", "town", 35.9306, 36.6339, 3000.0, name_ar="إدلب")


def alert(
    action: str = "alert", level: str = "imminent", eta: float | None = 420.0, threat: str = "jet"
) -> Alert:
    return Alert(T0, action, "idlib", level, threat, None if eta is None else T0 + eta, 0.8, "T1")  # type: ignore[arg-type]


# ---- segment counting -------------------------------------------------------


def test_gsm7_single_and_multipart_limits() -> None:
    assert sms_size("a" * 160) == sms_size("a" * 160) and sms_size("a" * 160).segments == 1
    assert sms_size("a" * 161).segments == 2
    assert sms_size("a" * 306).segments == 2
    assert sms_size("a" * 307).segments == 3
    assert sms_size("").segments == 1
    assert sms_encoding("Hello @ £ ¥ è Ä ñ") == "gsm7"


def test_gsm7_extension_characters_take_two_septets_and_are_not_split() -> None:
    assert sms_size("€" * 80).units == 160 and sms_size("€" * 80).segments == 1
    assert sms_size("€" * 81).segments == 2
    assert sms_size("[]{}^~|\\").units == 16
    # 152 plain septets then an escape pair: the pair cannot straddle the 153-septet boundary.
    text = "a" * 152 + "€" + "a" * 10
    size = sms_size(text)
    assert size.units == 164 and size.segments == 2  # 152 | 2 + 10
    text = "a" * 152 + "€" * 77 + "a"  # 152 | 76 pairs (152) | the last pair and "a"
    assert sms_size(text).segments == 3


def test_ucs2_limits_and_surrogate_pairs() -> None:
    assert sms_encoding("سراقب") == "ucs2"
    assert sms_encoding("price 5 ₺") == "ucs2"  # not in GSM-7
    assert sms_size("ب" * 70).segments == 1
    assert sms_size("ب" * 71).segments == 2
    assert sms_size("ب" * 134).segments == 2
    assert sms_size("ب" * 135).segments == 3
    emoji = "\U0001f6a8"  # outside the BMP: two UTF-16 units
    assert sms_size(emoji * 35).units == 70 and sms_size(emoji * 35).segments == 1
    # 66 units then a pair: the pair goes whole into the next segment.
    assert sms_size("ب" * 66 + emoji + "ب" * 66).segments == 3


@given(st.text(alphabet=st.sampled_from(["a", "€", "ب", "\U0001f6a8", " "]), max_size=400))
def test_segments_never_undercount(text: str) -> None:
    size = sms_size(text)
    single, multi = (160, 153) if size.encoding == "gsm7" else (70, 67)
    if size.units <= single:
        assert size.segments == 1
    else:
        assert size.segments >= -(-size.units // multi)
        assert size.segments <= -(-size.units // (multi - 1))


def test_truncation_fits_and_marks_the_cut() -> None:
    cut = truncate_to_segments("word " * 100, 1)
    assert sms_segments(cut) == 1 and cut.endswith("...")
    cut_ar = truncate_to_segments("كلمة " * 100, 2)
    assert sms_segments(cut_ar) == 2 and cut_ar.endswith("…")
    assert truncate_to_segments("short", 1) == "short"


# ---- wording ----------------------------------------------------------------


def test_english_imminent_message() -> None:
    text = compose_text(toward(alert(), 44.0, 226.0), IDLIB, "en")
    assert text == (
        "NADHIR: TAKE SHELTER NOW. Warplane approaching Idlib, from the south-west, "
        "heading north-east, expected 06:12 (in 7 min)."
    )
    assert sms_size(text).encoding == "gsm7"


def test_early_update_and_all_clear_wording() -> None:
    early = compose_text(alert(level="early", threat="helicopter"), IDLIB, "en")
    assert (
        early
        == "NADHIR warning: Helicopter may approach Idlib, expected 06:12 (in 7 min). Be ready to shelter."
    )
    update = compose_text(alert("update", "imminent", eta=-5), IDLIB, "en")
    assert update.startswith("NADHIR update: TAKE SHELTER NOW.") and "(now)" in update
    clear = {lang: compose_text(alert("all_clear", eta=None), IDLIB, lang) for lang in ("ar", "en")}
    assert clear["en"].startswith("NADHIR: ALL CLEAR for Idlib")
    assert "زال" in clear["ar"] and "إدلب" in clear["ar"]


def test_arabic_message_has_threat_time_and_direction() -> None:
    text = compose_text(toward(alert(threat="drone"), 0.0, 180.0), IDLIB, "ar")
    assert text.startswith("نذير: احتموا الآن.")
    for part in ("طائرة مسيرة", "إدلب", "قادما من الجنوب", "باتجاه الشمال", "06:12", "خلال 7 دقائق"):
        assert part in text
    assert sms_segments(text) <= 2


@pytest.mark.parametrize(
    ("minutes", "words"), [(1, "خلال دقيقة"), (2, "خلال دقيقتين"), (5, "خلال 5 دقائق"), (11, "خلال 11 دقيقة")]
)
def test_arabic_minute_forms(minutes: int, words: str) -> None:
    assert words in compose_text(alert(eta=minutes * 60.0), IDLIB, "ar")


def test_messages_shorten_to_fit_the_segment_limit() -> None:
    long_name = Site(
        "x",
        "Kafr Nabl and the villages of the southern Zawiya mountain district",
        "town",
        35.6,
        36.5,
        3000.0,
        name_ar="كفرنبل وقرى جبل الزاوية الجنوبي وما حولها من البلدات",
    )
    a = toward(Alert(T0, "alert", "x", "early", "jet", T0 + 600, 0.5, None), 90.0, 270.0)
    for limit in (1, 2, 3):
        cfg = TextConfig(max_segments=limit)
        for lang in ("ar", "en"):
            text = compose_text(a, long_name, lang, cfg)  # type: ignore[arg-type]
            assert sms_segments(text) <= limit
    # With room, the full wording is used; with one segment the Arabic one must drop details.
    full = compose_text(a, long_name, "ar", TextConfig(max_segments=3))
    short = compose_text(a, long_name, "ar", TextConfig(max_segments=1))
    assert "باتجاه" in full and len(short) < len(full)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="site"):
        compose_text(alert(), Site("other", "Other", "town", 0, 0, 1), "en")
    with pytest.raises(ValueError, match="language"):
        compose_text(alert(), IDLIB, "fr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_segments"):
        TextConfig(max_segments=0)
    with pytest.raises(ValueError, match="finite"):
        compass_point(float("nan"))


def test_the_approach_of_a_track() -> None:
    state = TrackState(T0, "T1", 35.80, 36.50, 200.0, 40.0, "jet", 500.0)
    approach = approach_toward(state, IDLIB)
    assert approach.heading_deg == 40.0
    assert approach.from_deg is not None and compass_point(approach.from_deg) == "SW"
    assert (approach.from_point, approach.heading_point) == ("SW", "NE")
    over = approach_toward(TrackState(T0, "T1", 35.9306, 36.6339, 0.0, 10.0, "helicopter", 50.0), IDLIB)
    assert over == Approach()  # hovering over the site: no direction to give


def test_names_are_cleaned_for_messages() -> None:
    odd = Site("odd", "  Kafr\tNabl\r\n ", "town", 35.6, 36.5, 1000.0, name_ar="\x07")
    a = Alert(T0, "alert", "odd", "imminent", "jet", T0 + 60, 0.8, None)
    assert "approaching Kafr Nabl," in compose_text(a, odd, "en")
    assert "Kafr Nabl" in compose_text(a, odd, "ar")  # no usable Arabic name: the English one
    blank = Site("blank-7", " ", "town", 35.6, 36.5, 1000.0)
    assert "blank-7" in compose_text(
        Alert(T0, "alert", "blank-7", "early", "jet", None, 0.5, None), blank, "en"
    )
