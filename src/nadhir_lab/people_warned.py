""" "People warned" beside "sites warned": a score's strike-site pairs weighted by the people there.

The shared scorer counts strike-site pairs: a strike on a town of 160,000 and one on a camp of
300 weigh the same. Coordinators also ask how many *people* were warned. Each pair is weighted by
its site's ``population`` (``sites.geojson``; for a displacement site, its latest individuals):

- ``sites_struck``: sites with at least one strike in their area; ``sites_warned``: those of them
  with at least one warned pair;
- ``people_at_strikes``: the population summed over every strike-site pair; ``people_warned``:
  summed over the warned pairs; ``people_warned_share`` their ratio (None with no weight at all);
- ``sites_without_population``: struck sites with no population given, left out of the people
  figures (never counted as 0 people, which would hide them) and named so that it shows.

It weights pairs, it is not a head count: where sites overlap (a hospital inside a town) a strike
pairs with both and their people count in both.

It reads only a :class:`ScoreReport`'s per-site rows and the sites, so the scorer's own figures
(and its agreement with ``../shared/tools/score_scenario.py``) are untouched: with no ``--people``
the report is exactly what it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nadhir.domain import Site
from nadhir_lab.scoring import ScoreReport


@dataclass(frozen=True, slots=True)
class PeopleWarned:
    """A score's warned pairs counted in sites and in people."""

    sites_struck: int
    sites_warned: int
    people_at_strikes: int
    people_warned: int
    sites_without_population: tuple[str, ...]

    @property
    def people_warned_share(self) -> float | None:
        return self.people_warned / self.people_at_strikes if self.people_at_strikes else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites_struck": self.sites_struck,
            "sites_warned": self.sites_warned,
            "people_at_strikes": self.people_at_strikes,
            "people_warned": self.people_warned,
            "people_warned_share": self.people_warned_share,
            "sites_without_population": list(self.sites_without_population),
        }


def people_warned(report: ScoreReport, sites: Sequence[Site]) -> PeopleWarned:
    """The report's strike-site pairs weighted by each site's population."""
    population = {s.id: s.population for s in sites}
    struck = warned = at_strikes = people = 0
    unknown: list[str] = []
    for site_id, row in report.sites.items():
        if row.strike_site_pairs == 0:
            continue
        struck += 1
        warned += row.warned > 0
        weight = population.get(site_id)
        if weight is None:
            unknown.append(site_id)
            continue
        at_strikes += weight * row.strike_site_pairs
        people += weight * row.warned
    return PeopleWarned(struck, warned, at_strikes, people, tuple(sorted(unknown)))


def format_people(p: PeopleWarned) -> str:
    """Two lines for the score's text summary."""
    share = "n/a" if p.people_warned_share is None else f"{100 * p.people_warned_share:.1f}%"
    lines = [
        f"sites warned        {p.sites_warned} of {p.sites_struck} struck",
        f"people warned       {p.people_warned:,} of {p.people_at_strikes:,} at strikes ({share})",
    ]
    if p.sites_without_population:
        lines.append(f"  (no population, left out: {', '.join(p.sites_without_population)})")
    return "\n".join(lines)
