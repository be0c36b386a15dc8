"""From a facility's status to the terms of its warning (:class:`nadhir.domain.readiness.SiteReadiness`).

* A facility that is evacuated, or not functioning, gets phones only, no siren. Its siren would
  call no one to shelter: the people left (guards, a few staff) are reached by their phones, and
  the neighbours are warned by their own town's siren. A siren sounding over an empty hospital
  also teaches people that the hospital's siren can be ignored.
* A facility whose people take long to move is warned earlier: each newborn in an incubator must
  be moved with its incubator, or bagged by hand, and an operation under way must be closed or
  the patient stabilised before anyone moves. Such a site hears its sirens on an aircraft's sure
  approach, not only once it circles (:meth:`nadhir.alerting.policy.AlertPolicy.desired_level`).

A status grows stale: a closure holds a week unless updated, an occupancy half a day (incubators
empty and fill within hours). These are judgements, not measurements; the numbers are in one
place so that a health focal point can change them.
"""

from __future__ import annotations

from dataclasses import dataclass

from nadhir.domain.readiness import MAX_EXTRA_LEAD_S, SiteReadiness
from nadhir.health.status import FacilityStatus


@dataclass(frozen=True, slots=True)
class ReadinessRules:
    """Extra seconds of warning for people who cannot be moved quickly."""

    incubators_s: float = 120.0  # once any newborn is in an incubator
    per_incubator_s: float = 30.0  # and for each one
    theatre_s: float = 300.0  # once any operating theatre is in use
    max_extra_s: float = 600.0
    closed_for_s: float = 7 * 86_400.0  # a closure or evacuation said this long ago still holds
    busy_for_s: float = 12 * 3_600.0  # occupied incubators, theatres in use said this long ago


def readiness(
    status: FacilityStatus | None, age_s: float = 0.0, rules: ReadinessRules | None = None
) -> SiteReadiness:
    """The terms of a facility's warning given its latest status, said ``age_s`` seconds ago
    (None, or a status grown stale: as its kind says)."""
    r = rules or ReadinessRules()
    if status is None or age_s > r.closed_for_s:
        return SiteReadiness()
    if status.evacuated:
        return SiteReadiness(sirens=False, reason="evacuated: phones only")
    if status.functionality == "not":
        return SiteReadiness(sirens=False, reason="not functioning: phones only")
    extra, why = 0.0, []
    if age_s > r.busy_for_s:
        return SiteReadiness()
    occupied = status.incubators_occupied or 0
    if occupied > 0:
        extra += r.incubators_s + r.per_incubator_s * occupied
        why.append(f"{occupied} incubators occupied")
    if (status.theatres_in_use or 0) > 0:
        extra += r.theatre_s
        why.append(f"{status.theatres_in_use} operating theatres in use")
    extra = min(extra, r.max_extra_s, MAX_EXTRA_LEAD_S)
    return SiteReadiness(
        extra_lead_s=extra, reason="; ".join(why) + (f": warned {extra:.0f} s earlier" if why else "")
    )
