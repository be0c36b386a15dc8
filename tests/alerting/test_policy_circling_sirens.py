"""With ``circling_siren_m`` (opt-in, per kind of aircraft), a ``circling`` cue sounds sirens only
while the track is within that distance of the site; farther, it warns phones. With
``circling_dwell_s`` (opt-in) only once the same track has circled the site that long (why:
docs/benchmarks.md, twelfth session, "circling")."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from town import CORROBORATED, TOWN

from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Site, Threat

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


# ``circling_dwell_s``: the circling cue must have held the site, by the same track, this long.
DWELL = replace(PolicyConfig(), circling_dwell_s=30.0)


def sirens_from(cfg: PolicyConfig, steps: list[tuple[float, Threat]]) -> float | None:
    """When the town's sirens first sound over ``steps`` (time, the town's strongest threat)."""
    policy = AlertPolicy([TOWN], cfg)
    for t, threat in steps:
        if any(a.level == "imminent" for a in policy.decide(t, {"town": threat})):
            return t
    return None


def orbit(t0: float, t1: float, track: str = "T1") -> list[tuple[float, Threat]]:
    return [
        (float(t), Threat("town", track, "helicopter", 0.8, float(t), 1000.0, "circling", CORROBORATED))
        for t in range(int(t0), int(t1), 5)
    ]


def test_a_circling_cue_sounds_the_sirens_once_it_has_held_for_the_dwell() -> None:
    assert sirens_from(PolicyConfig(), orbit(0, 120)) == 0.0
    assert sirens_from(DWELL, orbit(0, 120)) == 30.0


def test_a_brief_circling_cue_warns_phones_only() -> None:
    # 20 s of circling, then the same helicopter merely approaching: no sirens with the dwell.
    approach = [(t, replace(th, cue="approach", probability=0.5)) for t, th in orbit(20, 120)]
    assert sirens_from(PolicyConfig(), orbit(0, 20) + approach) == 0.0
    assert sirens_from(DWELL, orbit(0, 20) + approach) is None


def test_the_dwell_restarts_when_another_track_takes_over() -> None:
    assert sirens_from(DWELL, orbit(0, 20) + orbit(20, 120, track="T2")) == 50.0


@given(st.lists(st.booleans(), min_size=1, max_size=60))
def test_with_the_dwell_sirens_only_after_an_unbroken_run(circling_steps: list[bool]) -> None:
    steps = []
    for k, on in enumerate(circling_steps):
        [(t, th)] = orbit(5 * k, 5 * k + 1)
        steps.append((t, th if on else replace(th, cue="approach", probability=0.5)))
    got = sirens_from(DWELL, steps)
    if got is not None:
        k = int(got // 5)
        assert all(circling_steps[k - 6 : k + 1]) and k >= 6


def test_the_dwell_is_off_by_default() -> None:
    assert PolicyConfig().circling_dwell_s is None


# ``circling_spread_m``: one orbit, one target.
SPREAD = replace(PolicyConfig(), circling_spread_m=2500.0)
# A town 5.5 km north of the town (across a jet's orbit), and a hospital inside the town.
ACROSS = Site(id="across", name="Across", kind="town", lat=35.95, lon=36.6, radius_m=1500)
HOSPITAL = Site(id="hospital", name="Hospital", kind="hospital", lat=35.902, lon=36.6, radius_m=200)


def orbit_over(site: str, track: str = "J1") -> Threat:
    return Threat(site, track, "jet", 0.8, 0.0, 2000.0, "circling", CORROBORATED)


def sirens_at(cfg: PolicyConfig, steps: list[dict[str, Threat]]) -> set[str]:
    """The sites whose sirens sound over ``steps`` (one every 10 s)."""
    policy = AlertPolicy([TOWN, ACROSS, HOSPITAL], cfg)
    out = set()
    for k, threats in enumerate(steps):
        out |= {a.site for a in policy.decide(10.0 * k, threats) if a.level == "imminent"}
    return out


def test_one_orbit_sounds_sirens_round_one_target() -> None:
    # The jet's circling raises the town's sirens; then its orbit takes in the town across it.
    steps = [{"town": orbit_over("town")}] * 3 + [
        {"town": orbit_over("town"), "across": orbit_over("across")}
    ] * 3
    assert sirens_at(PolicyConfig(), steps) == {"town", "across"}
    assert sirens_at(SPREAD, steps) == {"town"}


def test_the_hospital_inside_the_struck_town_is_the_same_target() -> None:
    steps = [{"town": orbit_over("town")}] * 3 + [
        {"town": orbit_over("town"), "hospital": orbit_over("hospital")}
    ] * 3
    assert sirens_at(SPREAD, steps) == {"town", "hospital"}


def test_another_aircraft_circling_across_still_sounds_them() -> None:
    steps = [{"town": orbit_over("town")}] * 3 + [
        {"town": orbit_over("town"), "across": orbit_over("across", track="J2")}
    ] * 3
    assert sirens_at(SPREAD, steps) == {"town", "across"}


def test_the_spread_is_off_by_default() -> None:
    assert PolicyConfig().circling_spread_m is None
