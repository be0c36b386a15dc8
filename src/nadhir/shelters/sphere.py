"""A site's gaps against Sphere's minimum standards, and sites ranked by need.

The standards (The Sphere Handbook, 2018 edition; see docs/shelters.md for the chapters):

- ``latrines``: at most 20 people per working toilet (WASH, Excreta management standard 3.2,
  key indicator for communal toilets);
- ``water``: at least 15 litres per person per day (WASH, Water supply standard 2.1);
- ``space``: at least 3.5 m² of covered living space per person (Shelter and settlement
  standard 3, living space, key indicator);
- ``flooding``: the share of tents damaged or flooded. Sphere gives no percentage; its Shelter
  and settlement standards ask that every household's shelter keep the weather out, so the
  threshold is 0 by default: any flooded tent is a miss. It is a parameter
  (:class:`Thresholds`), since a coordinator may choose a tolerance for a figure counted by eye.

Division by zero never happens: a figure whose denominator is 0 is ``None`` (JSON ``null``).

- people but **no working latrine**: ``people_per_latrine`` is ``None`` and ``latrines`` is a
  miss (the worst kind: its shortfall is 1);
- **no people** (``individuals == 0``): the per-person figures are ``None`` and no standard is
  missed for them (nobody lacks water where nobody lives); ``people_per_latrine`` is 0 when
  latrines work, ``None`` when none do;
- **no tents**: ``flooded_share`` is ``None`` and ``flooding`` is not a miss;
- a figure the site did not report: ``None``, not a miss, and its name is in ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from nadhir.domain.displacement import SiteUpdate

Standard = Literal["latrines", "water", "space", "flooding"]
STANDARDS: tuple[Standard, ...] = ("latrines", "water", "space", "flooding")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The minimums a site is held to (Sphere 2018 by default)."""

    max_people_per_latrine: float = 20.0
    min_water_litres_per_person_day: float = 15.0
    min_covered_m2_per_person: float = 3.5
    max_flooded_share: float = 0.0


SPHERE = Thresholds()


@dataclass(frozen=True, slots=True)
class Gaps:
    """One site's figures against the standards, from its latest update."""

    site_id: str
    individuals: int | None
    people_per_latrine: float | None
    water_litres_per_person_day: float | None
    covered_m2_per_person: float | None
    flooded_share: float | None
    misses: tuple[Standard, ...]  # standards it falls short of, in :data:`STANDARDS` order
    shortfall: dict[Standard, float]  # 0 (met) .. 1 (nothing at all), per standard known
    unknown: tuple[Standard, ...]  # standards whose figures were not reported

    @property
    def worst(self) -> Standard | None:
        """The standard it misses most (the map's colour), or None when it misses none."""
        if not self.misses:
            return None
        return max(self.misses, key=lambda s: self.shortfall[s])

    @property
    def need(self) -> float:
        """Sum of the shortfalls: 0 for a site that meets every standard, up to 4."""
        return sum(self.shortfall.values())


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def gaps(update: SiteUpdate, thresholds: Thresholds = SPHERE) -> Gaps:
    """The site's figures and misses from one update (see the module docstring for zeros)."""
    people = update.individuals
    latrines = update.latrines_working
    shortfall: dict[Standard, float] = {}
    unknown: list[Standard] = []

    per_latrine: float | None = None
    if people is None or latrines is None:
        unknown.append("latrines")
    elif latrines == 0:
        shortfall["latrines"] = 1.0 if people > 0 else 0.0
    else:
        per_latrine = people / latrines
        # 1 - 20/ppl: 0 at the standard, towards 1 as people per latrine grow without bound
        limit = thresholds.max_people_per_latrine
        shortfall["latrines"] = max(0.0, 1.0 - limit / per_latrine) if per_latrine else 0.0

    water = _ratio(update.water_litres_per_day, people)
    if update.water_litres_per_day is None or people is None:
        unknown.append("water")
    elif people > 0 and water is not None:
        shortfall["water"] = max(0.0, 1.0 - water / thresholds.min_water_litres_per_person_day)

    space = _ratio(update.covered_area_m2, people)
    if update.covered_area_m2 is None or people is None:
        unknown.append("space")
    elif people > 0 and space is not None:
        shortfall["space"] = max(0.0, 1.0 - space / thresholds.min_covered_m2_per_person)

    flooded = _ratio(update.tents_flooded, update.tents)
    if update.tents is None or update.tents_flooded is None:
        unknown.append("flooding")
    elif flooded is not None:
        shortfall["flooding"] = flooded if flooded > thresholds.max_flooded_share else 0.0

    misses = tuple(s for s in STANDARDS if shortfall.get(s, 0.0) > 0.0)
    return Gaps(
        site_id=update.site_id,
        individuals=people,
        people_per_latrine=per_latrine,
        water_litres_per_person_day=water,
        covered_m2_per_person=space,
        flooded_share=flooded,
        misses=misses,
        shortfall=shortfall,
        unknown=tuple(unknown),
    )


def ranked(updates: Iterable[SiteUpdate], thresholds: Thresholds = SPHERE) -> list[Gaps]:
    """Every site's gaps, the neediest first.

    Need is ordered by how many standards a site misses, then by the sum of its shortfalls, then by
    how many people live there (a gap shared by more people first), then by id (a stable order).
    """
    out = [gaps(u, thresholds) for u in updates]
    out.sort(key=lambda g: (-len(g.misses), -g.need, -(g.individuals or 0), g.site_id))
    return out


def as_json(g: Gaps) -> dict[str, object]:
    """The figures as ``nadhir shelters gaps --json`` prints them (one object per site)."""
    return {
        "site_id": g.site_id,
        "individuals": g.individuals,
        "people_per_latrine": g.people_per_latrine,
        "water_litres_per_person_day": g.water_litres_per_person_day,
        "covered_m2_per_person": g.covered_m2_per_person,
        "flooded_share": g.flooded_share,
        "misses": list(g.misses),
        "worst": g.worst,
        "unknown": list(g.unknown),
    }
