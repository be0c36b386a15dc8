"""Which sites a phones-only episode opens for (opt-in ``early_reach_m``, ``early_sites_per_track``,
``early_first_factor``): gates on opening only, so no open episode is cut short and no siren waits
(why: docs/benchmarks.md, thirteenth session, "idle minutes")."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from nadhir.alerting.policy import AlertPolicy, PolicyConfig
from nadhir.domain import Alert, Site, Threat

# Three towns in a row along a jet's path, and a hospital inside the middle one (Idlib countryside).
SITES = [
    Site(id="saraqib", name="Saraqib", kind="town", lat=35.862, lon=36.805, radius_m=2000),
    Site(id="maarat", name="Maarat al-Numan", kind="town", lat=35.643, lon=36.671, radius_m=2500),
    Site(
        id="maarat-hospital",
        name="Maarat al-Numan hospital",
        kind="hospital",
        lat=35.645,
        lon=36.675,
        radius_m=300,
    ),
    Site(id="khan-shaykhun", name="Khan Shaykhun", kind="town", lat=35.442, lon=36.651, radius_m=2000),
]
WITNESSES = frozenset({"obs-a", "obs-b"})
ONE_PER_JET = replace(PolicyConfig(), early_sites_per_track={"jet": 1.0})


def jet(
    site: str, p: float, km: float = 10.0, cue: str = "approach", track: str | None = "T7", eta: float = 90.0
) -> Threat:
    return Threat(
        site=site,
        track=track,
        aircraft="jet",
        probability=p,
        eta=eta,
        distance_m=km * 1000.0,
        cue=cue,  # type: ignore[arg-type]
        witnesses=WITNESSES,
    )


def step(*threats: Threat) -> dict[str, Threat]:
    return {t.site: t for t in threats}


def opened(alerts: list[Alert]) -> set[str]:
    return {a.site for a in alerts if a.action == "alert"}


def test_one_track_opens_phones_only_at_the_site_it_calls_for_most() -> None:
    threats = step(jet("saraqib", 0.45), jet("maarat", 0.6), jet("khan-shaykhun", 0.5))
    assert opened(AlertPolicy(SITES, PolicyConfig()).decide(0.0, threats)) == {
        "saraqib",
        "maarat",
        "khan-shaykhun",
    }
    assert opened(AlertPolicy(SITES, ONE_PER_JET).decide(0.0, threats)) == {"maarat"}


def test_the_others_open_when_the_track_comes_on_to_them() -> None:
    policy = AlertPolicy(SITES, ONE_PER_JET)
    assert opened(policy.decide(0.0, step(jet("saraqib", 0.45), jet("maarat", 0.6)))) == {"maarat"}
    # The jet turns for Saraqib: Maarat's episode stays open (it is not cut short), Saraqib opens.
    alerts = policy.decide(10.0, step(jet("saraqib", 0.9), jet("maarat", 0.3)))
    assert opened(alerts) == {"saraqib"}
    assert set(policy.active()) == {"saraqib", "maarat"}


def test_sites_are_ranked_by_how_far_above_their_own_threshold() -> None:
    # The hospital's early threshold is 0.24 (0.4 x 0.6): 0.3 there calls more than 0.45 in a town.
    threats = step(jet("maarat-hospital", 0.3), jet("saraqib", 0.45))
    assert opened(AlertPolicy(SITES, ONE_PER_JET).decide(0.0, threats)) == {"maarat-hospital"}


def test_each_track_has_its_own_ranking_and_other_kinds_are_not_gated() -> None:
    heli = Threat("khan-shaykhun", "H2", "helicopter", 0.45, 120.0, 6000.0, "approach", WITNESSES)
    threats = step(jet("saraqib", 0.45), jet("maarat", 0.6), jet("khan-shaykhun", 0.5, track="T8"))
    assert opened(AlertPolicy(SITES, ONE_PER_JET).decide(0.0, threats)) == {"maarat", "khan-shaykhun"}
    threats = step(jet("saraqib", 0.45), jet("maarat", 0.6), heli)
    assert opened(AlertPolicy(SITES, ONE_PER_JET).decide(0.0, threats)) == {"maarat", "khan-shaykhun"}


def test_strike_reports_and_sirens_never_wait() -> None:
    impact = Threat("saraqib", None, "unknown", 0.5, 0.0, 0.0, "impact", WITNESSES)
    circling = jet("khan-shaykhun", 0.8, km=1.0, cue="circling", eta=30.0)
    alerts = AlertPolicy(SITES, ONE_PER_JET).decide(0.0, step(impact, jet("maarat", 0.95), circling))
    levels = {a.site: a.level for a in alerts if a.action == "alert"}
    assert levels == {"saraqib": "early", "maarat": "early", "khan-shaykhun": "imminent"}


def test_reach_holds_back_a_far_track_until_it_comes_within_it() -> None:
    cfg = replace(PolicyConfig(), early_reach_m={"jet": 8000.0})
    policy = AlertPolicy(SITES, cfg)
    assert opened(policy.decide(0.0, step(jet("saraqib", 0.5, km=12.0)))) == set()
    assert opened(policy.decide(10.0, step(jet("saraqib", 0.5, km=7.0)))) == {"saraqib"}
    # A helicopter has no entry: it is not held back.
    heli = Threat("maarat", "H2", "helicopter", 0.45, 300.0, 20_000.0, "approach", WITNESSES)
    assert opened(AlertPolicy(SITES, cfg).decide(0.0, step(heli))) == {"maarat"}


def test_the_likeliest_target_opens_below_its_threshold_and_only_it() -> None:
    cfg = replace(ONE_PER_JET, early_first_factor={"jet": 0.8})
    threats = step(jet("saraqib", 0.33), jet("khan-shaykhun", 0.3))
    assert opened(AlertPolicy(SITES, ONE_PER_JET).decide(0.0, threats)) == set()
    assert opened(AlertPolicy(SITES, cfg).decide(0.0, threats)) == {"saraqib"}
    # Under 0.8 x 0.4, or moving away, it waits.
    assert opened(AlertPolicy(SITES, cfg).decide(0.0, step(jet("saraqib", 0.31)))) == set()
    assert opened(AlertPolicy(SITES, cfg).decide(0.0, step(jet("saraqib", 0.35, cue="receding")))) == set()


def test_off_by_default() -> None:
    c = PolicyConfig()
    assert (c.early_reach_m, c.early_sites_per_track, c.early_first_factor) == ({}, {}, {})


SITE_IDS = [s.id for s in SITES]
one_step = st.dictionaries(
    st.sampled_from(SITE_IDS),
    st.tuples(
        st.floats(0.0, 1.0),
        st.sampled_from(["approach", "overhead", "circling", "nearby", "receding"]),
        st.sampled_from(["T1", "T2"]),
        st.floats(0.5, 20.0),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(one_step, min_size=1, max_size=40),
    st.sampled_from([1.0, 2.0]),
    st.sampled_from([None, 0.8]),
    st.sampled_from([None, 6000.0]),
)
def test_no_siren_starts_later_with_the_gates(
    steps: list, most: float, first: float | None, reach: float | None
) -> None:
    """Whatever the threats, each site's first siren comes when it comes without the gates."""
    cfg = replace(
        PolicyConfig(),
        early_sites_per_track={"jet": most},
        early_first_factor={} if first is None else {"jet": first},
        early_reach_m={} if reach is None else {"jet": reach},
    )

    def first_sirens(config: PolicyConfig) -> dict[str, float]:
        policy = AlertPolicy(SITES, config)
        out: dict[str, float] = {}
        for k, by_site in enumerate(steps):
            threats = step(
                *(
                    jet(s, p, km=km, cue=cue, track=track, eta=k * 20.0 + 60.0)
                    for s, (p, cue, track, km) in by_site.items()
                )
            )
            for a in policy.decide(k * 20.0, threats):
                if a.level == "imminent" and a.action != "all_clear":
                    out.setdefault(a.site, a.t)
        return out

    assert first_sirens(cfg) == first_sirens(PolicyConfig())
