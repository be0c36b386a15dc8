"""With ``circling_siren_m`` (opt-in, per kind of aircraft), a ``circling`` cue sounds sirens only
while the track is within that distance of the site; farther, it warns phones (why:
docs/benchmarks.md, twelfth session, "circling")."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from town import CORROBORATED, TOWN

from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Threat

# The setting under test, at the values measured in docs/benchmarks.md (twelfth session).
CFG = replace(PolicyConfig(), circling_siren_m={"jet": 5000.0, "helicopter": 2000.0})


def circling(kind: str, distance_m: float, cue: str = "circling") -> Threat:
    return Threat("town", "T1", kind, 0.8, 0.0, distance_m, cue, CORROBORATED)  # type: ignore[arg-type]


def level(cfg: PolicyConfig, threat: Threat) -> str | None:
    return AlertPolicy([TOWN], cfg).desired_level(TOWN, threat, 0.0)


def test_a_jet_circling_far_from_the_town_warns_phones_not_sirens() -> None:
    # A jet whose orbit takes in the town, 7 km off: the defaults sound the sirens.
    assert level(PolicyConfig(), circling("jet", 7000.0)) == "imminent"
    assert level(CFG, circling("jet", 7000.0)) == "early"


def test_a_jet_circling_near_the_town_still_sounds_the_sirens() -> None:
    assert level(CFG, circling("jet", 4000.0)) == "imminent"


def test_each_kind_has_its_own_distance_and_a_kind_without_one_is_unlimited() -> None:
    assert level(CFG, circling("helicopter", 3000.0)) == "early"
    assert level(CFG, circling("helicopter", 1500.0)) == "imminent"
    assert level(CFG, circling("unknown", 20_000.0)) == "imminent"


def test_other_cues_are_untouched() -> None:
    # A strike reported at the town sounds its sirens wherever the aircraft is.
    assert level(CFG, circling("unknown", 20_000.0, "impact")) == "imminent"


@given(st.sampled_from(["jet", "helicopter"]), st.floats(0.0, 30_000.0))
def test_never_a_siren_the_defaults_would_not_sound(kind: str, distance_m: float) -> None:
    threat = circling(kind, distance_m)
    got = level(CFG, threat)
    assert got in ("imminent", "early")
    assert (got == "imminent") == (distance_m <= CFG.circling_siren_m[kind])
    assert level(PolicyConfig(), threat) == "imminent"


def test_off_by_default() -> None:
    assert PolicyConfig().circling_siren_m == {}
